// A large synthetic run for the HTML report's size and speed: N findings of the usual kinds at a few
// hundred sites over several threads, and ten minutes of health lines per thread. Deterministic.
import type { ReportLine, Reports } from '../../../src/cli/report-files.js';

function frame(file: string, line: number, fn: string) {
  return { file, line, column: 5 + (line % 17), function: fn };
}

export function syntheticRun(findings: number, root = '/srv/app'): Reports {
  const lines: ReportLine[] = [];
  const pid = 4242;
  const start = 1_795_000_000_000;
  const threads = [0, 2, 3, 4];
  const sites = Array.from({ length: 300 }, (_, i) => frame(`${root}/src/module-${i % 40}.ts`, 10 + i, `handler${i}`));
  const callers = Array.from({ length: 20 }, (_, i) => frame(`${root}/src/routes/route-${i}.ts`, 30 + i, `route${i}`));
  const internals = [frame('node:internal/timers', 581, 'listOnTimeout'), frame('node:internal/timers', 519, 'processTimers')];
  for (let i = 0; i < findings; i++) {
    const site = sites[(i * 7) % sites.length]!;
    const frames = [site, callers[i % callers.length]!, frame(`${root}/node_modules/fastify/lib/route.js`, 400 + (i % 5), 'preHandler'), ...internals];
    const threadId = threads[i % threads.length]!;
    const time = start + Math.floor((i / findings) * 600_000);
    const base = { v: 1 as const, pid, threadId, time, site, frames };
    const kind = i % 10;
    if (kind < 6) {
      const ms = 100 + ((i * 37) % 900);
      lines.push({ ...base, id: `block-${threadId}-${i}`, kind: 'block', message: `The event loop of the main thread was blocked for ${ms} ms at ${site.function} (src/module.ts:${site.line}:${site.column}).`, durationMs: ms, ongoing: false, samples: Math.round(ms / 20), profile: [{ site, samples: 8, share: 0.8 }, { site: sites[(i + 1) % sites.length]!, samples: 2, share: 0.2 }] });
    } else if (kind < 9) {
      lines.push({ ...base, id: `sync-${threadId}-${i}`, kind: 'sync-io', message: `fs.readFileSync ran on the loop ${i % 50} times at this site, ${(i % 13) / 10} ms in all.`, api: 'fs.readFileSync', count: 1 + (i % 50), durationMs: (i % 13) / 10, maxMs: 0.2 });
    } else {
      lines.push({ ...base, id: `unawaited-${threadId}-${i}`, kind: 'unawaited', message: `The promise of save() was never awaited, chained or returned (it was fulfilled at exit).`, settled: 'fulfilled', function: 'save' });
    }
  }
  for (const threadId of threads) {
    for (let s = 1; s <= 600; s++) {
      lines.push({ v: 1, id: `health-${threadId}-${s}`, kind: 'health' as never, time: start + s * 1000, pid, threadId, message: 'main thread: loop delay p50 0.30 ms, p99 1.2 ms, max 3.0 ms; utilization 12%.', site: null, frames: [], loopDelay: { p50: 0.3, p99: 1.2 + (s % 7), max: 3 + (s % 50) }, elu: (s % 100) / 100 });
    }
    lines.push({ v: 1, id: `summary-${threadId}`, kind: 'summary', time: start, pid, threadId, message: 'Thread ran 600 s.', site: null, frames: [], loopDelay: { p50: 0.3, p99: 250, max: 999 }, elu: 0.4, counts: {}, startupBlockMs: 12, mode: 'default', unnamedBlocks: 0, unnamedBlockMs: 0, exitIdleMs: 0 } as ReportLine);
  }
  return { findings: lines, files: [`${root}/reports/asyncdebug-${pid}.jsonl`], problems: [] };
}
