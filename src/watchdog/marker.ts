/** Marker in the watchdog's workerData, so the agent never starts inside its own watchdog. */
export const WATCHDOG_MARK = '__asyncdebugWatchdog';
