// One line per finding kind for SARIF rules, JUnit and annotations.
export const KIND_TITLES: Record<string, string> = {
  block: 'Event loop blocked',
  'sync-io': 'Synchronous I/O on the event loop',
  'atomics-wait': 'Atomics.wait on a thread with an event loop',
  unawaited: 'Promise never awaited',
  'unhandled-rejection': 'Unhandled promise rejection',
  'never-settled': 'Awaited promise never settled',
  'threadpool-saturation': 'libuv thread pool saturated',
  'large-message': 'postMessage blocked by a large structured clone',
};

export function kindTitle(kind: string): string {
  return KIND_TITLES[kind] ?? kind;
}
