// Moved to detector-list.ts; kept for the thread agent's import until it points there.
export { DETECTORS } from './detector-list.js';
