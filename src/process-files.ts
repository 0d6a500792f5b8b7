// What every thread of a process must agree on about the files the agent writes, handed from the thread
// that decides it to the threads it starts as worker_threads environment data (as the registry is):
// - the JSON Lines report: the file the first thread created, by path and identity (device and inode),
//   so that every other thread appends to that very file and to nothing put in its place;
// - the directory of exported source maps, chosen (not yet made) by the first thread;
// - a few process-wide counters in shared memory: bytes written to the report, lines dropped past its
//   cap (per kind), and the warnings already given, so that each is given once per process.
import { join } from 'node:path';
import { builtin } from './lazy-builtin.js';
import { now, pid } from './original.js';
import { userTempDir } from './private-files.js';

const KEY = 'asyncdebug:files';

/** Indexes into `ProcessFiles.flags` (Int32). */
export const Flag = {
  /** A report write failed (said once). */
  writeFailed: 0,
  /** The report reached its cap (said once; the `dropped` record was written). */
  capReached: 1,
  /** Lines dropped past the cap. */
  droppedLines: 2,
  /** The exported-maps directory could not be used (said once). */
  mapsFailed: 3,
  /** Dropped lines per kind start here, in the order of DROP_KINDS. */
  droppedByKind: 4,
} as const;

/** The kinds whose dropped lines are counted one by one; any other kind counts as `other`. */
export const DROP_KINDS = ['block', 'sync-io', 'atomics-wait', 'unawaited', 'unhandled-rejection', 'never-settled', 'threadpool-saturation', 'large-message', 'aggregate', 'health', 'other'] as const;

export interface ProcessFiles {
  /** The JSON Lines report made for this process; null when none was made. */
  report: SharedReport | null;
  /** Where exported source maps go (made at first need). */
  mapsDir: string;
  /** Int32 flags and counters (Flag). */
  flags: Int32Array;
  /** [0]: bytes written to the report by every thread; [1]: when it reached its cap (epoch ms). */
  bytes: BigInt64Array;
}

/** The report file, as the thread that created it found it. */
export interface SharedReport {
  path: string;
  dev: number;
  ino: number;
}

interface Shared {
  report: SharedReport | null;
  mapsDir: string;
  flags: SharedArrayBuffer;
  bytes: SharedArrayBuffer;
}

type WorkerThreads = typeof import('node:worker_threads');
const threads = (): WorkerThreads => builtin<WorkerThreads>('worker_threads');

let mine: ProcessFiles | null = null;

function view(s: Shared): ProcessFiles {
  return { report: s.report, mapsDir: s.mapsDir, flags: new Int32Array(s.flags), bytes: new BigInt64Array(s.bytes) };
}

/** A name nobody can guess ahead (the directory it goes in is private anyway). */
export function freshSuffix(): string {
  return `${now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/** This process's shared state: inherited from the thread that started this one, or made here. */
export function processFiles(): ProcessFiles {
  if (mine) return mine;
  const inherited = threads().getEnvironmentData(KEY) as Shared | undefined;
  if (inherited && typeof inherited === 'object' && inherited.flags instanceof SharedArrayBuffer) {
    mine = view(inherited);
    return mine;
  }
  const shared: Shared = {
    report: null,
    mapsDir: join(userTempDir(), `maps-${pid}-${freshSuffix()}`),
    flags: new SharedArrayBuffer(4 * (Flag.droppedByKind + DROP_KINDS.length)),
    bytes: new SharedArrayBuffer(16),
  };
  mine = view(shared);
  publish(shared);
  return mine;
}

function publish(shared: Shared): void {
  try {
    threads().setEnvironmentData(KEY, shared);
  } catch {
    // the threads this one starts make their own
  }
}

/** Records the report this thread opened, for the threads it starts from now on. */
export function shareReport(files: ProcessFiles, report: SharedReport): void {
  files.report = report;
  publish({ report, mapsDir: files.mapsDir, flags: files.flags.buffer as SharedArrayBuffer, bytes: files.bytes.buffer as SharedArrayBuffer });
}

/** True for the first caller in the process (a warning given once). */
export function firstTime(files: ProcessFiles, flag: number): boolean {
  return Atomics.compareExchange(files.flags, flag, 0, 1) === 0;
}

/** For tests: forget this thread's view. */
export function resetProcessFiles(): void {
  mine = null;
}
