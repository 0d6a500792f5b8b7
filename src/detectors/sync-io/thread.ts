// Moved to sync-io-detector.ts; kept for the thread agent's import until it points there.
export { allowSync, SyncIOError } from './sync-io-detector.js';
