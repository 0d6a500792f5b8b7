// What each key does to the UI's state: a pure function, so keys typed faster than a frame (which
// reach Ink as one string, like a paste) are applied one by one, and tested without a terminal.
import { selectedIndex, type UiState } from './screen.js';
import { nextFilter, previousFilter, type FindingEntry } from './state.js';

export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/** What the app must do beyond the new state. */
export type KeyAction = 'quit' | 'clear' | 'pause' | 'resume' | null;

export interface KeyContext {
  /** The findings list as shown now (for moving the selection). */
  list: FindingEntry[];
  /** The pids known, for `t`. */
  pids: number[];
}

/** Splits what Ink gave as one input into single keys when it is several typed characters. */
export function splitKeys(input: string, key: Omit<KeyPress, 'input'>): KeyPress[] {
  const special = key.upArrow || key.downArrow || key.pageUp || key.pageDown || key.return || key.escape || key.ctrl || key.meta;
  const chars = [...input];
  if (special || chars.length <= 1) return [{ ...key, input }];
  return chars.map((c) => (c === '\r' || c === '\n' ? { input: '', return: true } : { input: c }));
}

export function handleKey(ui: UiState, k: KeyPress, ctx: KeyContext): { ui: UiState; action: KeyAction } {
  const same = { ui, action: null };
  const to = (next: Partial<UiState>, action: KeyAction = null) => ({ ui: { ...ui, ...next }, action });
  if (k.ctrl && k.input === 'c') return { ui, action: 'quit' };
  if (ui.view === 'help') return to({ view: 'main' });
  if (ui.view === 'output') return k.input === 'o' || k.escape || k.input === 'q' ? to({ view: 'main' }) : same;
  if (ui.view === 'detail' && (k.return || k.escape)) return to({ view: 'main' });
  const move = (delta: number) => {
    if (ctx.list.length === 0) return same;
    const i = selectedIndex(ctx.list, ui.selectedKey) + delta;
    return to({ selectedKey: i < 0 ? null : ctx.list[Math.min(ctx.list.length - 1, i)]!.key });
  };
  if (k.upArrow || k.input === 'k') return move(-1);
  if (k.downArrow || k.input === 'j') return move(1);
  if (k.pageUp) return move(-10);
  if (k.pageDown) return move(10);
  switch (k.input) {
    case 'q':
      return { ui, action: 'quit' };
    case '?':
    case 'h':
      return to({ view: 'help' });
    case 'o':
      return to({ view: 'output' });
    case 'f':
      return to({ filter: nextFilter(ui.filter), selectedKey: null });
    case 'F':
      return to({ filter: previousFilter(ui.filter), selectedKey: null });
    case 't': {
      const pids = [...ctx.pids].sort((a, b) => a - b);
      const i = ui.pid === null ? 0 : pids.indexOf(ui.pid) + 1;
      return to({ pid: i < pids.length ? pids[i]! : null, selectedKey: null });
    }
    case 'p':
    case ' ':
      return to({ paused: !ui.paused }, ui.paused ? 'resume' : 'pause');
    case 'c':
      return to({ selectedKey: null }, 'clear');
  }
  if (k.return && ui.view === 'main') return to({ view: 'detail' });
  return same;
}
