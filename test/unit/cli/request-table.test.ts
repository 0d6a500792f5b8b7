// The blocks of a run by the request they served.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { groupRequests, requestTable } from '../../../src/cli/request-table.js';
import type { ReportLine } from '../../../src/cli/report-files.js';

const c = new Chalk({ level: 0 });
let n = 0;
const block = (durationMs: number, extra: Record<string, unknown>): ReportLine =>
  ({ v: 1, id: `block-0-${++n}`, kind: 'block', time: 0, pid: 1, threadId: 0, message: '', site: null, frames: [], durationMs, ongoing: false, thresholdMs: 100, ...extra }) as ReportLine;
const user = { method: 'GET', route: '/users/:id', routeFrom: 'framework' };

describe('groupRequests and requestTable', () => {
  it('counts a block once per route it served, with its parts; withdrawn lines and blocks with no request are not rows', () => {
    const rows = groupRequests([
      block(300, { request: user }),
      block(500, { request: user, requests: [{ ...user, time: 0, durationMs: 240 }, { method: 'GET', route: '/health', routeFrom: 'path', time: 1, durationMs: 20 }, { ...user, time: 2, durationMs: 230 }] }),
      block(50, { request: user }), // under its threshold: withdrawn
      block(200, {}),
    ]);
    expect(rows).toEqual([
      { request: 'GET /users/:id', routeFrom: 'framework', blocks: 2, worstMs: 470, totalMs: 770 },
      { request: 'GET /health', routeFrom: 'path', blocks: 1, worstMs: 20, totalMs: 20 },
    ]);
    const text = requestTable(rows, c);
    expect(text).toContain('blocks by request');
    expect(text).toMatch(/GET \/users\/:id\s+2\s+470 ms\s+770 ms/);
    expect(text).toMatch(/GET \/health \(path\)\s+1/);
  });

  it('prints nothing when no block named a request', () => {
    expect(requestTable(groupRequests([block(300, {})]), c)).toBe('');
  });
});
