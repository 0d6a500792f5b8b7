// Blocks the event loop by spinning on the clock: the kind of synchronous work the agent must catch.
export function busyWait(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
}
