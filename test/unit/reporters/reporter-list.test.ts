// The reporter table's fan-out: a reporter that throws is turned off with one warning and the others
// go on receiving every finding.
import { describe, expect, it } from 'vitest';
import { fanOut, type Reporter } from '../../../src/reporters/reporter.js';
import { makeFinding, type Finding } from '../../../src/finding.js';
import { REPORTERS } from '../../../src/reporters/reporter-list.js';

const finding = (id: string): Finding => makeFinding('sync-io', { id, message: 'm', site: null, frames: [] });

describe('reporters', () => {
  it('a reporter that throws is turned off with one warning; the others get every finding', () => {
    const warnings: string[] = [];
    const got: string[] = [];
    let calls = 0;
    const bad: Reporter = {
      report() {
        calls++;
        throw new Error('disk full');
      },
    };
    const good: Reporter = { report: (f) => void got.push(f.id), flush: () => void got.push('flushed') };
    const all = fanOut([bad, good], (w) => warnings.push(w), ['bad', 'good']);
    for (const id of ['a', 'b', 'c']) all.report(finding(id));
    all.flush();
    expect(got).toEqual(['a', 'b', 'c', 'flushed']);
    expect(calls).toBe(1);
    expect(warnings).toEqual(['the bad reporter failed (disk full) and is turned off; the others go on']);
  });

  it('makeFinding puts the envelope first: contract version, id, kind, time, pid, threadId', () => {
    const f = finding('x');
    expect(Object.keys(f).slice(0, 6)).toEqual(['v', 'id', 'kind', 'time', 'pid', 'threadId']);
    expect(f).toMatchObject({ v: 1, kind: 'sync-io', pid: process.pid, threadId: 0 });
  });

  it('every reporter the table knows has a place and a module', () => {
    for (const [name, entry] of Object.entries(REPORTERS)) {
      expect(['thread', 'hub', 'main'], name).toContain(entry?.place({} as never));
      expect(entry?.module, name).toMatch(/\.js$/);
    }
  });
});
