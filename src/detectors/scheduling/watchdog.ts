// Temporary: the scheduling detector's watchdog half is callback-probe.ts. Kept for the block
// watcher's import until it imports from there.
export { createProbe, type Probe } from './callback-probe.js';
