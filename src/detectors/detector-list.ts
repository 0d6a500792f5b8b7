// The in-thread detectors, started in this order in every thread the agent runs in. A new detector is a
// folder in src/detectors/ and one line here (and, for a watchdog half, one line in detectors/watchdog-halves.ts).
// The block detector is not listed: it is the thread's heartbeat, started first by the agent
// (agent/thread-agent.ts), and the other detectors and the loop-health numbers stand on it.
import type { DetectorEntry } from './detector.js';
import { startThreadpoolDetector } from './threadpool/pool-detector.js';
import { startSyncIoDetector } from './sync-io/sync-io-detector.js';
import { startMessagesDetector } from './messages/messages-detector.js';
import { startPromiseDetector } from './promises/promise-detector.js';
import { startSchedulingDetector } from './scheduling/callback-recorder.js';

export const DETECTORS: DetectorEntry[] = [
  // Before sync-io: where both wrap one function (crypto.randomBytes), sync-io's wrapper is the outer
  // one and its sites stay as they were.
  { name: 'threadpool', start: startThreadpoolDetector },
  { name: 'sync-io', start: startSyncIoDetector },
  { name: 'messages', start: startMessagesDetector },
  { name: 'promises', debugOnly: true, start: startPromiseDetector },
  // The watchdog can ask only the main thread (an inspector session to a worker goes through the main thread).
  { name: 'scheduling', debugOnly: true, mainOnly: true, start: startSchedulingDetector },
];
