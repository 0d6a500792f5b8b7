// Temporary: the health types moved to thread-health.ts and readHealth to protocol/health.ts. Kept for
// the importers outside this change (reporters/, otel/, tui/, api.ts) until they import thread-health.ts.
export type { LoopDelay, ThreadHealth } from '../thread-health.js';
