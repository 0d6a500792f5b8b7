// The HTML report's model, built from report lines: marks, threads with their health, the top-sites
// table as `asyncdebug report` groups it, code frames read when the report is built, and what a report
// string may not carry into the page.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportLine, Reports } from '../../../src/cli/report-files.js';
import { groupSites } from '../../../src/cli/sites.js';
import { buildModel } from '../../../src/html/build-model.js';
import { htmlReport } from '../../../src/html/html-report.js';
import { tempDir } from '../../helpers.js';
import { modelOf } from './page-data.js';
import { syntheticRun } from './synthetic-run.js';

const frame = (file: string, line: number, fn: string, column = 3) => ({ file, line, column, function: fn });

function reports(findings: Partial<ReportLine>[]): Reports {
  return { findings: findings.map((f) => ({ v: 1, pid: 7, threadId: 0, time: 1_000, message: '', site: null, frames: [], ...f }) as ReportLine), files: ['/r/asyncdebug-7.jsonl'], problems: [] };
}

describe('the HTML report model', () => {
  it('reads the site\'s lines around it when the report is built, and only from source files', async () => {
    const dir = tempDir();
    const app = join(dir, 'app.mjs');
    writeFileSync(app, Array.from({ length: 20 }, (_, i) => `line ${i + 1}\tend`).join('\n'));
    const secret = join(dir, 'id_rsa');
    writeFileSync(secret, 'PRIVATE KEY\n'.repeat(20));
    const fifo = join(dir, 'pipe.js');
    execFileSync('mkfifo', [fifo]);
    const model = await buildModel(
      reports([
        { id: 'block-0-1', kind: 'block', durationMs: 250, ongoing: false, site: frame(app, 10, 'busy'), frames: [frame(app, 10, 'busy'), frame(app, 18, 'main')] },
        { id: 'block-0-2', kind: 'block', durationMs: 120, ongoing: false, site: frame(secret, 3, 'x'), frames: [frame(secret, 3, 'x')] },
        { id: 'block-0-3', kind: 'block', durationMs: 130, ongoing: false, site: frame(fifo, 1, 'y'), frames: [frame(fifo, 1, 'y')] },
      ]),
      { root: dir, tool: 'test' },
    );
    const [busy, key, pipe] = model.marks;
    expect(model.codeFrames[busy!.code]).toEqual({ file: 'app.mjs', line: 10, column: 3, first: 6, lines: ['line 6  end', 'line 7  end', 'line 8  end', 'line 9  end', 'line 10  end', 'line 11  end', 'line 12  end', 'line 13  end', 'line 14  end'] });
    expect(key!.code).toBe(-1);
    expect(pipe!.code).toBe(-1);
    expect(JSON.stringify(model)).not.toContain('PRIVATE KEY');
  });

  it('follows a symlinked source file (the user\'s own tree), but never one without a source extension', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'a.js'), 'one\ntwo\nthree\n');
    symlinkSync(join(dir, 'real', 'a.js'), join(dir, 'link.js'));
    const model = await buildModel(reports([{ id: 's', kind: 'sync-io', site: frame(join(dir, 'link.js'), 2, 'f'), frames: [frame(join(dir, 'link.js'), 2, 'f')] }]), { root: dir, tool: 'test' });
    expect(model.codeFrames[model.marks[0]!.code]?.lines).toEqual(['one', 'two', 'three', '']);
  });

  it('groups the top sites as `asyncdebug report` does, each row pointing at its worst finding', async () => {
    const run = syntheticRun(400);
    const model = await buildModel(run, { root: '/srv/app', tool: 'test' });
    const sites = groupSites(run.findings, '/srv/app');
    expect(model.sites.map((s) => [s.kind, s.file, s.fn, s.count, s.worstMs])).toEqual(sites.map((s) => [s.kind, s.file, s.function, s.count, s.worstMs]));
    for (const row of model.sites) {
      const worst = model.marks[row.worst]!;
      expect(worst.siteRow).toBe(model.sites.indexOf(row));
      if (row.kind === 'block') expect(worst.d).toBe(row.worstMs);
    }
    // Thread keys of the table are those of the timelines.
    const keys = new Set(model.threads.map((t) => t.key));
    for (const row of model.sites) for (const t of row.threads) expect(keys).toContain(t);
    expect(model.threads.map((t) => [t.threadId, t.health.t.length, t.start])).toEqual([[0, 600, expect.any(Number)], [2, 600, expect.any(Number)], [3, 600, expect.any(Number)], [4, 600, expect.any(Number)]]);
    expect(model.marks.every((m, i) => i === 0 || model.marks[i - 1]!.t <= m.t)).toBe(true);
  });

  it('a block\'s profile by call path: the heaviest site with the block\'s stack, another alone, and a path an entry carries itself', async () => {
    const a = frame('/app/a.js', 1, 'heavy');
    const b = frame('/app/b.js', 2, 'light');
    const main = frame('/app/main.js', 9, 'main');
    const model = await buildModel(
      reports([{ id: 'block-0-1', kind: 'block', durationMs: 300, site: a, frames: [a, main], profile: [{ site: a, samples: 6, share: 0.6 }, { site: b, samples: 3, share: 0.3 }, { site: b, samples: 1, share: 0.1, frames: [b, frame('/app/c.js', 3, 'caller'), main] } as never] }]),
      { root: '/app', tool: 'test' },
    );
    const paths = model.marks[0]!.profile.map((p) => [p.path.map((r) => model.strings[model.frames[r]![3]]), p.share]);
    expect(paths).toEqual([[['main', 'heavy'], 0.6], [['light'], 0.3], [['main', 'caller', 'light'], 0.1]]);
  });

  it('says every field in words, also fields it does not know, and where the callback was scheduled', async () => {
    const at = frame('/app/a.js', 4, 'tick');
    const model = await buildModel(
      reports([
        { id: 'block-0-1', kind: 'block', durationMs: 1500, ongoing: true, site: at, frames: [at], callback: { type: 'http-request', api: 'GET /login', scheduledAt: [] }, origin: { type: 'timer', api: 'setTimeout', frames: [frame('/app/s.js', 2, 'schedule')] }, starvedMs: 40, laterField: { nested: [at] } },
        { id: 'large-1', kind: 'large-message', durationMs: 30, bytes: 9_000_000, receiver: { threadId: 2, threadName: 'cruncher' }, site: at, frames: [at] },
      ]),
      { root: '/app', tool: 'test' },
    );
    const [block, message] = model.marks;
    expect(block!.request).toBe('GET /login');
    expect(block!.facts).toEqual(expect.arrayContaining([['duration', '1.50 s'], ['still going on', 'yes: the process ended during it (this is its last known state)'], ['callback', 'http-request · GET /login'], ['origin', 'timer · setTimeout'], ['starved ms', '40'], ['later field', 'nested: a.js:4:3 tick']]));
    expect(block!.more.map((m) => m.title)).toEqual(['Where the callback was scheduled']);
    expect(model.stacks[block!.more[0]!.stack]!.map((r) => model.strings[model.frames[r]![0]])).toEqual(['s.js']);
    expect(message!.facts).toEqual(expect.arrayContaining([['size', '~8.6 MiB'], ['receiver', 'thread id: 2, thread name: cruncher']]));
  });

  it('takes control characters and bidirectional overrides out of every string', async () => {
    const evil = 'bad\u0000\u001b[31m\u202e\u2066name\u0085\r';
    const model = await buildModel(reports([{ id: `x${evil}`, kind: 'block', durationMs: 200, message: `m${evil}\nsecond line`, site: frame(`/app/${evil}.js`, 1, evil), frames: [frame(`/app/${evil}.js`, 1, evil)], api: evil }]), { root: '/app', tool: 'test' });
    const text = JSON.stringify(model);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).not.toMatch(/\\u00(0[0-8bcef]|1[0-9a-f]|7f|8[0-9a-f]|9[0-9a-f])/i);
    expect(model.marks[0]!.message).toBe('mbad[31mname\nsecond line');
    expect(model.strings).toContain('bad[31mname');
  });

  it('10,000 findings make a page of well under a megabyte, with every finding and site', async () => {
    const run = syntheticRun(10_000);
    const { html, findings } = await htmlReport(run, { root: '/srv/app' });
    const bytes = Buffer.byteLength(html);
    console.log(`HTML report of 10,000 findings over 4 threads with 10 minutes of health lines: ${(bytes / 1024).toFixed(0)} kB`);
    expect(findings).toBe(10_000);
    expect(bytes).toBeLessThan(1024 * 1024);
    const model = modelOf(html);
    expect(model.marks).toHaveLength(10_000);
    expect(model.omitted).toEqual({ marks: 0, codeFrames: 0 });
    expect(model.sites.reduce((n, s) => n + (s.kind === 'block' ? s.count : 0), 0)).toBe(6_000);
  });
});
