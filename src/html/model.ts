// What the HTML report's page is given: the run, reduced to what the page draws, built by
// build-model.ts from the JSON Lines reports and embedded in the page as JSON. Shared by the builder
// (Node) and the page (src/html/page/, the browser): types only. Strings are kept once (`strings`),
// frames once (`frames`), stacks once (`stacks`), so 10,000 findings at a few hundred sites stay small.

/** Index into `ReportModel.strings`. */
export type StringRef = number;
/** Index into `ReportModel.frames`; -1: none. */
export type FrameRef = number;
/** Index into `ReportModel.stacks`; -1: none. */
export type StackRef = number;

/** A frame: file, line, column (1-based), function. */
export type FrameTuple = [file: StringRef, line: number, column: number, fn: StringRef];

export interface ReportModel {
  /** Of this model; the page refuses one it does not know. */
  format: 1;
  /** Epoch ms the report was built. */
  builtAt: number;
  /** asyncdebug's version that built it. */
  tool: string;
  /** The command (`asyncdebug ci -- <command>`), when known. */
  command: string | null;
  /** Project root sites are shown relative to. */
  root: string;
  /** Report files read, and how many lines were broken (skipped). */
  files: string[];
  problems: number;
  /** Epoch ms of the first and last thing seen. */
  start: number;
  end: number;
  /** The agents' mode (from the threads' summaries); `mixed` when they differ, null when none said. */
  mode: 'default' | 'debug' | 'mixed' | null;
  strings: string[];
  frames: FrameTuple[];
  /** Innermost first. */
  stacks: FrameRef[][];
  codeFrames: CodeFrame[];
  threads: ThreadModel[];
  /** In time order. */
  marks: Mark[];
  sites: SiteRow[];
  /** What was left out to keep the page small (0 when nothing). */
  omitted: { marks: number; codeFrames: number };
}

export interface ThreadModel {
  pid: number;
  threadId: number;
  /** `pid 123 main`, `pid 123 worker 2` (the top-sites table's thread names). */
  key: string;
  /** `main thread`, `worker thread 3 "resizer"`. */
  label: string;
  /** Epoch ms the thread started (its summary's `time`), null when it wrote no summary. */
  start: number | null;
  /** From the `health` lines: epoch ms (end of each window) and the numbers of each window. */
  health: { t: number[]; p50: number[]; p99: number[]; max: number[]; elu: number[] };
  /** From the thread's `summary` line, when it wrote one. */
  summary: ThreadSummary | null;
}

export interface ThreadSummary {
  p50: number;
  p99: number;
  max: number;
  elu: number;
  startupBlockMs: number | null;
  unnamedBlocks: number | null;
  unnamedBlockMs: number | null;
  droppedFindings: number | null;
  message: string;
}

/** A titled list of frames (innermost first) shown under a mark. */
export interface StackSection {
  title: string;
  stack: StackRef;
}

/** One call path of a block's profile (outermost first, the site last) and its share of the block. */
export interface ProfilePath {
  path: FrameRef[];
  share: number;
  samples: number | null;
}

export interface Mark {
  /** The finding's id (unique within its process). */
  id: string;
  kind: string;
  /** Index into `threads`. */
  thread: number;
  /** Epoch ms it began. */
  t: number;
  /** Its length on the timeline, ms: a block's duration; 0 for findings drawn as a point. */
  d: number;
  ongoing: boolean;
  message: string;
  site: FrameRef;
  /** Its `ReportModel.sites` row, -1 when none. */
  siteRow: number;
  stack: StackRef;
  /** Index into `codeFrames`, -1 when the source could not be read. */
  code: number;
  /** Label and value pairs, already in words: api, count, origin, bytes … and fields this page does not know. */
  facts: [string, string][];
  /** Blocks: the profile by call path (the flame chart). */
  profile: ProfilePath[];
  /** Other stacks: where the callback was scheduled (debug mode), the pool's submitters … */
  more: StackSection[];
  /** The request the block belonged to (debug mode: `GET /path`), when known. */
  request: string | null;
}

/** Source lines around a site, read when the report was built. */
export interface CodeFrame {
  file: string;
  /** The site's line and column (1-based). */
  line: number;
  column: number;
  /** Line number of `lines[0]`. */
  first: number;
  lines: string[];
}

/** A row of the top-sites table (cli/sites.ts's Site, as the page needs it). */
export interface SiteRow {
  kind: string;
  file: string | null;
  fn: string | null;
  line: number;
  count: number;
  /** Whether the kind has a duration (kinds.ts): the times of one that has none mean nothing. */
  timed: boolean;
  totalMs: number;
  worstMs: number;
  /** Thread keys (ThreadModel.key). */
  threads: string[];
  apis: string[];
  /** The mark of the site's worst finding (index into `marks`), -1 when it was left out. */
  worst: number;
}
