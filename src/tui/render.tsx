// Puts the App on the terminal: the alternate screen (so that quitting leaves the terminal as it was),
// Ink's render, and the way back. Loaded by `asyncdebug tui` only (dynamic import): the package's other
// entries never load React or Ink.
import { Chalk } from 'chalk';
import chalk from 'chalk';
import { render } from 'ink';
import { App, type AppProps } from './app.js';

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

export interface Ui {
  /** Resolves when the UI has ended (the user quit, or close() was called) and the terminal is back. */
  done: Promise<void>;
  close(): void;
}

export function startUi(props: Omit<AppProps, 'onQuit'>, onQuit: () => void, stdout: NodeJS.WriteStream = process.stdout): Ui {
  // Ink draws with the shared chalk instance: without color it must draw none (chalk alone does not
  // read NO_COLOR).
  if (!props.color) chalk.level = 0;
  else if (chalk.level === 0) chalk.level = new Chalk({ level: 1 }).level;
  let inAlt = true;
  const leave = () => {
    if (!inAlt) return;
    inAlt = false;
    try {
      stdout.write(LEAVE_ALT_SCREEN);
    } catch {
      // terminal gone
    }
  };
  stdout.write(ENTER_ALT_SCREEN);
  process.once('exit', leave);
  let quitCalled = false;
  const instance = render(
    <App
      {...props}
      onQuit={() => {
        quitCalled = true;
        onQuit();
      }}
    />,
    { stdout, exitOnCtrlC: false, patchConsole: true },
  );
  // The terminal went away (closed window, tmux killed): end the UI; the caller stops what it started.
  const gone = () => {
    inAlt = false;
    if (!quitCalled) {
      quitCalled = true;
      try {
        instance.unmount();
      } catch {
        // nothing to draw on
      }
    }
  };
  stdout.on('error', gone);
  process.stdin.on('error', gone);
  process.stdin.on('end', gone);
  const done = instance.waitUntilExit().then(
    () => undefined,
    () => undefined,
  ).finally(() => {
    leave();
    process.removeListener('exit', leave);
    stdout.off('error', gone);
    process.stdin.off('error', gone);
    process.stdin.off('end', gone);
  });
  return {
    done,
    close() {
      if (!quitCalled) instance.unmount();
    },
  };
}
