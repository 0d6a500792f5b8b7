// Holds the data the agents sent, and what the CLI knows about the command it runs, for the UI to
// subscribe to. No React here.
import type { ClientEvent } from './client.js';
import { applyEvent, clearFindings, initialData, type DataState } from './state.js';

export interface CommandInfo {
  /** `running`, or how it ended (`exited with code 0`, `ended by SIGTERM`, `cannot run ...`). */
  state: 'running' | 'ended';
  text: string;
}

export interface Store {
  readonly data: DataState;
  command: CommandInfo | null;
  dispatch(e: ClientEvent): void;
  setCommand(info: CommandInfo): void;
  clear(): void;
  subscribe(listener: () => void): () => void;
}

export function createStore(now: () => number = Date.now): Store {
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of listeners) l();
  };
  const store: Store = {
    data: initialData(),
    command: null,
    dispatch(e) {
      applyEvent(store.data, e, now());
      notify();
    },
    setCommand(info) {
      store.command = info;
      store.data.version++;
      notify();
    },
    clear() {
      clearFindings(store.data);
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}
