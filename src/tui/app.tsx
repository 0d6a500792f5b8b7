// The Ink application: draws the lines buildScreen() gives, handles the keys, follows the terminal's
// size, and re-draws as the agents send (or, paused, keeps a frozen copy).
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { handleKey, splitKeys } from './keys.js';
import { buildScreen, initialUi, type Line, type UiState } from './screen.js';
import { snapshot, visibleFindings, type DataState } from './state.js';
import type { Store } from './store.js';

export interface AppProps {
  store: Store;
  title: string;
  /** Draw colors (false: NO_COLOR, or a terminal without colors). */
  color: boolean;
  logFile?: string | null;
  /** Reads the last lines of the command's output (run mode). */
  readLog?: () => string[];
  waitingText?: string;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  now?: () => number;
  /** Re-draw at least this often (running clocks, a block's growing duration). */
  tickMs?: number;
  onQuit?: () => void;
}

function useTerminalSize(fixed?: { columns: number; rows: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return size;
}

function LineView({ line, color }: { line: Line; color: boolean }) {
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((s, i) => (
        <Text key={i} color={color ? s.color : undefined} bold={color ? s.bold : undefined} dimColor={color ? s.dim : undefined} inverse={color ? s.inverse : undefined}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

export function App(props: AppProps) {
  const { store } = props;
  const now = props.now ?? Date.now;
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const [ui, setUi] = useState<UiState>(initialUi);
  const [, setVersion] = useState(0);
  const [tick, setTick] = useState(0);
  const frozen = useRef<{ data: DataState; at: number } | null>(null);

  // A busy app can send thousands of findings a second: draw at most every 50 ms for them.
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = store.subscribe(() => {
      pending ??= setTimeout(() => {
        pending = null;
        setVersion((v) => v + 1);
      }, 50);
    });
    return () => {
      unsubscribe();
      if (pending) clearTimeout(pending);
    };
  }, [store]);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), props.tickMs ?? 500);
    return () => clearInterval(timer);
  }, [props.tickMs]);

  const data = ui.paused && frozen.current ? frozen.current.data : store.data;
  const at = ui.paused && frozen.current ? frozen.current.at : now();

  const uiNow = useRef(ui);
  uiNow.current = ui;
  const quit = () => {
    props.onQuit?.();
    exit();
  };

  useInput((input, key) => {
    let next = uiNow.current;
    for (const k of splitKeys(input, key)) {
      const shown = next.paused && frozen.current ? frozen.current.data : store.data;
      const r = handleKey(next, k, { list: visibleFindings(shown, next.filter, next.pid), pids: [...store.data.processes.keys()] });
      next = r.ui;
      if (r.action === 'quit') {
        uiNow.current = next;
        setUi(next);
        quit();
        return;
      }
      if (r.action === 'pause') frozen.current = { data: snapshot(store.data), at: now() };
      if (r.action === 'resume') frozen.current = null;
      if (r.action === 'clear') {
        store.clear();
        if (frozen.current) frozen.current = { data: snapshot(store.data), at: frozen.current.at };
      }
    }
    uiNow.current = next;
    setUi(next);
  });

  const logTail = ui.view === 'output' && props.readLog ? props.readLog() : undefined;
  void tick; // a tick only makes it draw again (clocks, a block's growing duration)
  const lines = buildScreen(data, ui, {
    columns: size.columns,
    rows: size.rows,
    now: at,
    title: props.title,
    command: store.command,
    logFile: props.logFile ?? null,
    ...(logTail ? { logTail } : {}),
    ...(props.waitingText ? { waitingText: props.waitingText } : {}),
  });

  return (
    <Box flexDirection="column" width={size.columns}>
      {lines.map((line, i) => (
        <LineView key={i} line={line} color={props.color} />
      ))}
    </Box>
  );
}
