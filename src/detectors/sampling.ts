// Which calls of a wrapped API have their site read, one rule for the detectors that wrap per-call APIs
// (sync-io times these calls too; threadpool reads queued calls besides). Per API: the first 16 calls,
// then every power-of-two-th and every 1024th. A stack read costs 5-15 us (several statSync calls), so a
// hot API is read a few times a second at most, while an API called rarely is read every time.

const ALWAYS_SAMPLED = 16;

/** Whether the n-th call (1-based) of an API is sampled; `every` (sync-io's strict mode): all are. */
export function isSampled(n: number, every: boolean): boolean {
  return every || n <= ALWAYS_SAMPLED || (n & (n - 1)) === 0 || n % 1024 === 0;
}

/**
 * A sampled call that turned out to be no call of the app's (Node's or a runner's module loading, a
 * library's machinery with no app frame) gives its place back, so that hundreds of reads by a test
 * runner loading files do not use up an API's first calls and leave the app's one read after them
 * unseen. Bounded, so that a library's hot loop of such calls is sampled like any other after a while.
 */
export const MAX_GIVEN_BACK = 4096;
