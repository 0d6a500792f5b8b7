// The app's own output is the agent's to leave alone: crash headers, error stacks, what an app's
// Error.prepareStackTrace is given, listener warnings. Each fixture runs bare (the same preload flag with
// an empty file: Node itself prints some stacks differently under --import) and with the agent, in
// default and in debug mode, under --import and --require; stdout, stderr and the exit code must be the
// same, byte for byte. Run it on each Node line.
import { describe, expect, it } from 'vitest';
import { fixture, runNode, type RunResult } from '../helpers.js';

const EMPTY = fixture('unchanged/empty-preload.cjs');
const FLAGS = ['--import', '--require'] as const;
const MODES = { default: undefined, debug: '1' } as const;

interface Case {
  file: string;
  args?: string[];
  /** What the bare run must show, so that the case cannot pass by showing nothing. */
  shows: RegExp;
  /** Node's own flags for both runs. */
  node?: string[];
  /** The environment of both runs. */
  env?: Record<string, string>;
}

const CASES: Record<string, Case> = {
  'a module throwing at load, two require()s down': { file: 'require-throws.cjs', shows: /throws-at-load\.cjs:3\n {2}throw new Error\('config is broken'\);/ },
  'a missing module': { file: 'require-missing.cjs', shows: /Cannot find module '\.\/parts\/no-such-module'/ },
  'the main module throwing at top level': { file: 'main-throws.cjs', shows: /main-throws\.cjs:3\n {2}throw new TypeError/ },
  'a sync API throwing at start-up': { file: 'sync-missing-file.cjs', shows: /ENOENT/ },
  'a sync API throwing after start-up': { file: 'sync-missing-file.cjs', args: ['later'], shows: /ENOENT/ },
  "an fs.readFile callback's error": { file: 'readfile-callback.cjs', shows: /onRead/ },
  "an fs.stat callback's error": { file: 'stat-callback.cjs', shows: /RangeError: not expected/ },
  'an fs.promises rejection nobody handles': { file: 'fs-promises.mjs', shows: /ENOENT/ },
  "an eval worker's error": { file: 'eval-worker.cjs', shows: /\[worker eval\]:1/ },
  "errors the app catches and formats with its own prepareStackTrace": { file: 'stacks.cjs', shows: /in readFile callback: Error: callback \[5 sites\]/ },
  'nine exit listeners of the app': { file: 'exit-listeners.cjs', shows: /exit listeners later: 9/ },
  'ten exit listeners of the app': { file: 'exit-listeners.cjs', args: ['10'], shows: /exit listeners later: 10/ },
  // Node 20 has no process.threadCpuUsage: the heartbeat reads its CPU time from /proc, a sync call that
  // --trace-sync-io would print a warning for at every beat.
  'a block after start-up under --trace-sync-io': { file: 'trace-sync-io.cjs', node: ['--trace-sync-io'], shows: /busy for 250 ms/ },
  // Flags in NODE_OPTIONS reach every worker that does not say otherwise: not the agent's watchdog.
  'a block after start-up under NODE_OPTIONS=--trace-sync-io': { file: 'trace-sync-io.cjs', env: { NODE_OPTIONS: '--trace-sync-io' }, shows: /busy for 250 ms/ },
  "the app's own preload in NODE_OPTIONS": { file: 'trace-sync-io.cjs', env: { NODE_OPTIONS: `--require ${fixture('unchanged/say-thread.cjs')}` }, shows: /preload ran in thread 0\n/ },
};

// Node's warnings name the process: `(node:1234)`, the one thing two runs of the same app differ by.
const outputOf = (r: RunResult) => ({ code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr.replace(/\(node:\d+\)/g, '(node:PID)') });

describe('the app\'s output with and without the agent', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it.concurrent(`${name}: the same stdout, stderr and exit code`, async () => {
      const file = fixture(`unchanged/${c.file}`);
      for (const flag of FLAGS) {
        const bare = await runNode(file, { nodeArgs: [...(c.node ?? []), flag, EMPTY], args: c.args, env: c.env });
        expect(`${bare.stdout}${bare.stderr}`).toMatch(c.shows);
        for (const [mode, value] of Object.entries(MODES)) {
          const watched = await runNode(file, { nodeArgs: [...(c.node ?? []), flag, 'asyncdebug'], args: c.args, env: { ...c.env, ASYNC_DEBUG: value } });
          expect(outputOf(watched), `${flag} asyncdebug, ${mode} mode`).toEqual(outputOf(bare));
          // the agent ran: its summary is in the report
          expect(watched.lines.some((l) => l.kind === 'summary' && l.threadId === 0), `${flag}, ${mode} mode: no summary`).toBe(true);
        }
      }
    });
  }
});
