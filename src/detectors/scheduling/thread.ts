// Temporary: the scheduling detector's in-thread half is callback-recorder.ts, started from a
// DetectorContext. Kept for the detector list's import until it lists startSchedulingDetector from there.
import type { Detector } from '../detector.js';
import type { ThreadSlot } from '../../protocol/thread-slot.js';
import { startSchedulingDetector as startFromContext } from './callback-recorder.js';

export function startSchedulingDetector(slot: ThreadSlot): Detector {
  return startFromContext({ slot });
}
