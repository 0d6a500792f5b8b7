// Temporary: `elu` moved to loop-utilization.ts and the health publisher to agent/loop-health.ts. Kept
// for the thread-pool detector's import until it takes `elu` from loop-utilization.ts.
export { elu } from '../loop-utilization.js';
