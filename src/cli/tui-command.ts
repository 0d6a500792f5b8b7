// `asyncdebug tui -- <command...>`, `asyncdebug tui --attach [pid]`, `asyncdebug tui --list`: a live
// view of the loop health and findings of running Node processes, read from their agents' Unix
// sockets (src/reporters/tui-server.ts). The UI (Ink, React) loads only here, by dynamic import.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readSync, fstatSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { colorLevel } from '../reporters/console-format.js';
import { probeAgent, watchAgents, type Watcher } from '../tui/client.js';
import { elapsed } from '../tui/format.js';
import { ensurePrivateDir, listAgentSockets, socketDir, TUI_DIR_ENV } from '../tui/socket-dir.js';
import { NEW_FILE } from '../private-files.js';
import { createStore } from '../tui/store.js';
import { importsAsyncdebug, quoteNodeOption, REGISTER_URL } from './inject.js';
import { describeStatus, shellStatus, type CommandResult } from './launch.js';
import { EXIT_USAGE, UsageError, parseWithCommand } from './usage.js';
import { takeOptionalValue } from './optional-value.js';

export const TUI_HELP = `Usage: asyncdebug tui [options] -- <command...>
       asyncdebug tui --attach [pid]
       asyncdebug tui --list

A live terminal view of the event loops of Node processes: loop delay and utilization per
process and thread, the thread blocked right now and where, the top blocking sites, recent
findings with their stack and code, sync-I/O sites, the thread pool, unawaited promises.

With a command: runs it with the agent in every Node process it starts (as 'run' does) and
shows them; the command's stdout and stderr go to a log file (key o shows its end). Quitting
stops the command.
--attach: attaches to running apps whose agent serves the view (started with
ASYNC_DEBUG_REPORTERS=tui), all of them or the one with this pid; quitting leaves them running.

Options:
  --attach [PID]     attach to running agents (all, or one process)
  --list             print the running agents and exit
  --log FILE         where the command's output goes (default: a new file, mode 600, in the
                     private directory of the sockets; its path is printed at the end)
  -h, --help         this help

Keys: arrows/j/k move, enter open, f kind, t process, p pause, c clear, o output, ? help, q quit.
Needs an interactive terminal (not TERM=dumb); colors follow NO_COLOR / FORCE_COLOR.
Agents' sockets: ${'$'}${TUI_DIR_ENV}, default <tmpdir>/asyncdebug-<uid> (private, mode 700).
`;

/** A line on stderr, which may be a terminal that is gone by now. */
function say(text: string): void {
  process.stderr.on('error', () => {});
  try {
    process.stderr.write(text);
  } catch {
    // no terminal left to tell
  }
}

/** How long the command gets to end after SIGTERM when the user quits, before SIGKILL. */
const STOP_GRACE_MS = 3000;

function terminalProblem(env: NodeJS.ProcessEnv): string | null {
  if ((env.TERM ?? '').trim() === 'dumb') return 'this terminal (TERM=dumb) cannot show a live view';
  if (!isatty(1) || !isatty(0)) return 'a live view needs an interactive terminal (stdin and stdout are not both a terminal)';
  return null;
}

/** The command as a title: the program's base name, paths below the cwd relative to it, quoted where needed. */
export function commandTitle(command: string[], cwd = process.cwd()): string {
  return command
    .map((w, i) => {
      let word = w;
      if (i === 0 && w.includes('/')) word = basename(w);
      else if (isAbsolute(w)) {
        const rel = relative(cwd, w);
        if (rel && !rel.startsWith('..')) word = rel;
      }
      return /^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word);
    })
    .join(' ');
}

/** The last lines of a file (its last 32 kB). */
function tailLines(file: string, max = 200): string[] {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, 32 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (size > len) lines.shift();
    // no control sequences of the command on our screen
    return lines.slice(-max).map((l) => l.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ''));
  } catch {
    return [];
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

async function listAgents(dir: string): Promise<number> {
  const agents = listAgentSockets(dir);
  if (agents.length === 0) {
    process.stdout.write(`no running agents in ${dir} (start an app with ASYNC_DEBUG_REPORTERS=tui, or use 'asyncdebug tui -- <command>')\n`);
    return 0;
  }
  const hellos = await Promise.all(agents.map((a) => probeAgent(a)));
  process.stdout.write(`${'pid'.padStart(7)}  ${'node'.padEnd(9)} ${'up'.padStart(8)}  command\n`);
  agents.forEach((a, i) => {
    const h = hellos[i];
    const up = h ? elapsed(Date.now() - h.startedAt) : '?';
    const what = h ? `${commandTitle(h.argv)}  (${h.cwd})` : '(not answering)';
    process.stdout.write(`${String(a.pid).padStart(7)}  ${(h?.node ?? '?').padEnd(9)} ${up.padStart(8)}  ${what}\n`);
  });
  return 0;
}

interface Parsed {
  attach: boolean;
  pid: number | null;
  list: boolean;
  log: string | null;
  help: boolean;
  command: string[];
}

function parseTuiArgs(args: string[]): Parsed {
  // --attach takes an optional pid, which parseArgs cannot express: take it out first.
  const { given: attach, value, rest } = takeOptionalValue(args, 'attach', (word) => /^\d+$/.test(word));
  let pid: number | null = null;
  if (value !== undefined) {
    if (!/^\d+$/.test(value) || Number(value) <= 0) throw new UsageError(`tui: --attach expects a process id, got ${JSON.stringify(value)}`);
    pid = Number(value);
  }
  const { values, command } = parseWithCommand('tui', rest, { list: { type: 'boolean' }, log: { type: 'string' } });
  return { attach, pid, list: Boolean(values.list), log: typeof values.log === 'string' ? values.log : null, help: Boolean(values.help), command };
}

/** The command's environment: the agent in every Node process, with the tui reporter, sockets in `dir`. */
export function tuiEnv(base: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const env = { ...base };
  const user = (base.NODE_OPTIONS ?? '').trim();
  if (!importsAsyncdebug(user)) env.NODE_OPTIONS = `${user ? `${user} ` : ''}--import=${quoteNodeOption(REGISTER_URL)}`;
  const chosen = base.ASYNC_DEBUG_REPORTERS?.trim() ? base.ASYNC_DEBUG_REPORTERS.split(',').map((s) => s.trim()).filter(Boolean) : [];
  // console output would only go to the log file: the view shows the findings.
  env.ASYNC_DEBUG_REPORTERS = [...new Set([...chosen, 'tui'])].join(',');
  env[TUI_DIR_ENV] = dir;
  return env;
}

export async function tuiCommandLine(args: string[]): Promise<number> {
  const o = parseTuiArgs(args);
  if (o.help) {
    process.stdout.write(TUI_HELP);
    return 0;
  }
  const base = socketDir();
  if (o.list) {
    if (o.attach || o.command.length) throw new UsageError("tui: --list takes no command and no --attach; see 'asyncdebug tui --help'");
    return listAgents(base);
  }
  if (o.attach && o.command.length) throw new UsageError(`tui: --attach takes no command (got ${JSON.stringify(o.command.join(' '))}); see 'asyncdebug tui --help'`);
  if (!o.attach && o.command.length === 0) throw new UsageError("tui: no command given; usage: asyncdebug tui -- <command...> or asyncdebug tui --attach [pid]; see 'asyncdebug tui --help'");
  if (o.attach && o.log) throw new UsageError('tui: --log is for a command tui runs, not with --attach');

  const problem = terminalProblem(process.env);
  if (problem) {
    process.stderr.write(`asyncdebug tui: ${problem}; use 'asyncdebug run -- <command>' for findings as text, or 'asyncdebug tui --list'\n`);
    return EXIT_USAGE;
  }
  const dirProblem = ensurePrivateDir(base);
  if (dirProblem) {
    process.stderr.write(`asyncdebug tui: ${dirProblem}; set ${TUI_DIR_ENV} to a private directory\n`);
    return 1;
  }
  if (o.attach && o.pid !== null && !listAgentSockets(base).some((a) => a.pid === o.pid)) {
    process.stderr.write(`asyncdebug tui: no agent serves pid ${o.pid} in ${base} (was it started with ASYNC_DEBUG_REPORTERS=tui?); 'asyncdebug tui --list' shows those that do\n`);
    return 1;
  }
  return o.attach ? attach(base, o.pid) : runWithView(base, o.command, o.log);
}

/** Ink decides at import whether it is in CI (and then draws only at exit): in a terminal it is not. */
async function loadUi(): Promise<typeof import('../tui/render.js')> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return await import('../tui/render.js');
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}

async function attach(dir: string, pid: number | null): Promise<number> {
  const { startUi } = await loadUi();
  const store = createStore();
  let watcher: Watcher | null = null;
  const ui = startUi(
    {
      store,
      title: pid === null ? `attached to every agent in ${dir}` : `attached to pid ${pid}`,
      color: colorLevel(process.env, true) > 0,
      logFile: null,
      waitingText: pid === null ? `waiting for an app started with ASYNC_DEBUG_REPORTERS=tui (${dir})…` : `connecting to pid ${pid}…`,
    },
    () => watcher?.close(),
  );
  watcher = watchAgents(dir, (e) => store.dispatch(e), pid === null ? {} : { only: pid });
  const stop = () => ui.close();
  for (const s of ['SIGTERM', 'SIGHUP'] as const) process.on(s, stop);
  await ui.done;
  watcher.close();
  for (const s of ['SIGTERM', 'SIGHUP'] as const) process.removeListener(s, stop);
  return 0;
}

/** True while any process of the group is left (the command, or what it started and left behind). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops the command's whole process group (npm, its node, their children, also those left running
 * after the command itself ended): SIGTERM, then SIGKILL after STOP_GRACE_MS.
 */
async function stopCommand(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (!pgid) return;
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is gone
    }
  };
  if (!groupAlive(pgid)) return;
  kill('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      kill('SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The default log of the command: a name nobody can guess ahead, in the private directory `base`. */
export function defaultLogPath(base: string): string {
  return join(base, `tui-${process.pid}-${randomBytes(6).toString('hex')}.log`);
}

/**
 * The command's log: by default a new file (O_EXCL, O_NOFOLLOW, mode 600) in the private directory; a
 * --log FILE the user named may exist, but never as a symlink or as another user's file (the command's
 * output would be theirs to read), and is emptied only once it is known to be this user's.
 */
export function openLog(file: string, named: boolean): number {
  if (!named) return openSync(file, NEW_FILE, 0o600);
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`it belongs to another user (uid ${st.uid})`);
    ftruncateSync(fd, 0);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

async function runWithView(base: string, command: string[], logOption: string | null): Promise<number> {
  const dir = join(base, `run-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    process.stderr.write(`asyncdebug tui: cannot create ${dir}: ${(err as Error).message}\n`);
    return 1;
  }
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });
  const logFile = resolve(logOption ?? defaultLogPath(base));
  let logFd: number;
  try {
    logFd = openLog(logFile, logOption !== null);
  } catch (err) {
    cleanupDir();
    throw new UsageError(`tui: cannot write the log file ${logFile}: ${(err as Error).message}`);
  }
  const env = tuiEnv(process.env, dir);
  const { startUi } = await loadUi();
  const store = createStore();
  const watcher = watchAgents(dir, (e) => store.dispatch(e), { everyMs: 200 });

  let result: CommandResult | null = null;
  const [file, ...rest] = command as [string, ...string[]];
  const child = spawn(file, rest, { stdio: ['ignore', logFd, logFd], env, detached: true });
  closeSync(logFd);
  const exited = new Promise<CommandResult>((done) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : err.message;
      done({ code: null, signal: null, startError: `cannot run ${JSON.stringify(file)}: ${why}` });
    });
    child.once('exit', (code, signal) => done({ code, signal, startError: null }));
  }).then((r) => {
    result = r;
    store.setCommand({ state: 'ended', text: describeStatus(r).replace(/^the command /, '') });
    watcher.scan();
    return r;
  });
  store.setCommand({ state: 'running', text: 'running' });
  // However this process ends (a crash, a closed terminal), the command it started does not outlive it.
  const killLeftover = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // gone
    }
    try {
      cleanupDir();
    } catch {
      // nothing more to do at exit
    }
  };
  process.once('exit', killLeftover);

  let quitWhileRunning = false;
  const ui = startUi(
    {
      store,
      title: commandTitle(command),
      color: colorLevel(process.env, true) > 0,
      logFile,
      readLog: () => tailLines(logFile),
      waitingText: /^\s*(0|false|off)\s*$/i.test(process.env.ASYNC_DEBUG ?? '')
        ? `ASYNC_DEBUG=${process.env.ASYNC_DEBUG} turns the agent off: nothing will show here`
        : 'waiting for the first Node process of the command…',
    },
    () => {
      if (!result) quitWhileRunning = true;
    },
  );
  // Until the command is stopped and the directory removed, a SIGTERM or SIGHUP (a closed terminal
  // sends more than one) ends the UI instead of ending this process half-way.
  const stop = () => ui.close();
  for (const s of ['SIGTERM', 'SIGHUP'] as const) process.on(s, stop);
  await ui.done;
  if (!result) quitWhileRunning = true;
  await stopCommand(child);
  watcher.close();
  cleanupDir();
  process.removeListener('exit', killLeftover);
  for (const s of ['SIGTERM', 'SIGHUP'] as const) process.removeListener(s, stop);
  const final = (await exited) as CommandResult;
  say(`asyncdebug tui: ${quitWhileRunning ? 'stopped the command' : describeStatus(final)}; its output is in ${logFile}\n`);
  return quitWhileRunning ? 0 : shellStatus(final);
}
