// The request behind a block, with real servers on loopback: plain node:http, express and fastify,
// each hit by overlapping requests to a blocking route and a fast one (request-servers.mjs). Every
// block at the blocking line names the blocking route; never a query string. In default mode that is
// Node 24 and later (AsyncContextFrame); debug mode names it on every line.
import { describe, expect, it } from 'vitest';
import { blocks, fixture, markerLine, runNode, type Line } from '../helpers.js';

const FRAMES_ON = Number(process.versions.node.split('.')[0]) >= 24;
const APP = fixture('request-servers.mjs');
const LINE = markerLine(APP);

const ROUTES: Record<string, { route: RegExp; routeFrom: 'framework' | 'path' }> = {
  http: { route: /^\/api\/users\/[789]$/, routeFrom: 'path' },
  express: { route: /^\/api\/users\/:id$/, routeFrom: 'framework' },
  fastify: { route: /^\/api\/users\/:id$/, routeFrom: 'framework' },
};

async function serve(kind: string, env: Record<string, string> = {}): Promise<Line[]> {
  const run = await runNode(APP, { args: [kind], env, timeoutMs: 30_000 });
  expect(run.stdout, run.stderr).toBe('done\n');
  expect(run.code).toBe(0);
  const reported = JSON.stringify(run.lines);
  expect(reported).not.toContain('token');
  expect(reported).not.toContain('secret');
  const mine = blocks(run.lines).filter((b) => b.site?.file === APP && b.site.line === LINE);
  // Three blocking requests: two overlapping (one block or two) and one alone.
  expect(mine.length, JSON.stringify(blocks(run.lines), null, 1)).toBeGreaterThanOrEqual(2);
  return mine;
}

function expectNamed(found: Line[], kind: string): void {
  const { route, routeFrom } = ROUTES[kind]!;
  for (const b of found) {
    const request = b.request as { method: string; route: string; routeFrom: string };
    expect(request, JSON.stringify(b, null, 1)).toMatchObject({ method: 'GET', routeFrom });
    expect(request.route).toMatch(route);
    expect(b.message).toContain(' serving ');
    for (const part of (b.requests as Array<{ route: string; durationMs: number }> | undefined) ?? []) {
      expect(part.route).toMatch(route); // the fast route's callbacks never held a block's reads
      expect(part.durationMs).toBeGreaterThan(0);
    }
  }
}

describe.each(Object.keys(ROUTES))('%s server under overlapping requests', (kind) => {
  it.runIf(FRAMES_ON)('default mode (Node 24+): every block names the blocking route', async () => {
    expectNamed(await serve(kind), kind);
  }, 40_000);

  it.runIf(!FRAMES_ON)('default mode before Node 24: no request named (a store would cost every callback there)', async () => {
    for (const b of await serve(kind)) expect(b).not.toHaveProperty('request');
  }, 40_000);

  it('debug mode: every block names the blocking route, on every Node line', async () => {
    expectNamed(await serve(kind, { ASYNC_DEBUG: '1' }), kind);
  }, 40_000);
});

it('ASYNC_DEBUG_REQUEST=0: no block names a request, the app still answers as before', async () => {
  for (const b of await serve('express', { ASYNC_DEBUG: '1', ASYNC_DEBUG_REQUEST: '0' })) {
    expect(b).not.toHaveProperty('request');
    expect(b.message).not.toContain(' serving ');
  }
}, 40_000);
