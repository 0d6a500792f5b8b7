// The block watcher's old address, kept only for src/watchdog/halves.ts (another part of this
// restructuring) until it imports block-watcher.ts; the code is in block-watcher.ts and open-block.ts.
export { createBlockWatcher, nextSampleDelay, sampleEvery, type BlockWatcherOptions } from './block-watcher.js';
