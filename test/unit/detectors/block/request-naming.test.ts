// Request naming in this very process: a real node:http server on loopback, the store each request's
// handler and its continuations see, and how paths and express routes are written.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressRoute, pathOf, startRequestNaming, type RequestNaming } from '../../../../src/detectors/block/request-naming.js';
import { currentRequest, type RequestState } from '../../../../src/request-state.js';

describe('pathOf and expressRoute', () => {
  it('a path never keeps its query string or fragment, and is bounded', () => {
    expect(pathOf('/users/7?token=secret')).toBe('/users/7');
    expect(pathOf('/a#frag')).toBe('/a');
    expect(pathOf('')).toBe('/');
    expect(pathOf(undefined)).toBe('/');
    expect(pathOf(`/${'x'.repeat(300)}`)).toHaveLength(200);
  });

  it("express's route is the router's mount path and the route's own", () => {
    expect(expressRoute('/api', '/users/:id')).toBe('/api/users/:id');
    expect(expressRoute('', '/health')).toBe('/health');
    expect(expressRoute(undefined, /^\/r\d+$/)).toBe('/^\\/r\\d+$/');
    expect(expressRoute('/v1', ['/a', '/b'])).toBe('/v1/a,/b');
    expect(expressRoute('/v1', 42)).toBeUndefined();
  });
});

describe('startRequestNaming with a real server', () => {
  let naming: RequestNaming;
  let server: http.Server;
  let port = 0;
  const seen: Array<{ first?: RequestState; later?: RequestState; route?: unknown }> = [];

  beforeAll(async () => {
    naming = startRequestNaming();
    server = http.createServer(async (req, res) => {
      const entry: (typeof seen)[number] = { first: currentRequest() && { ...currentRequest()! } };
      // What express does when a route matches: the app reads back what it assigned.
      (req as unknown as { baseUrl: string }).baseUrl = '/api';
      (req as unknown as { route: unknown }).route = { path: '/users/:id' };
      entry.route = (req as unknown as { route: unknown }).route;
      await new Promise((done) => setTimeout(done, 5));
      entry.later = currentRequest() && { ...currentRequest()! };
      seen.push(entry);
      res.end('ok');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    naming.stop();
    await new Promise((done) => server.close(done));
  });

  const get = (path: string) => new Promise<void>((done, fail) => http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => res.resume().on('end', () => done())).on('error', fail));

  it('each of two overlapping requests sees its own state, after an await too, with the route once matched', async () => {
    await Promise.all([get('/api/users/1?token=a'), get('/api/users/2?token=b')]);
    expect(seen).toHaveLength(2);
    const paths = seen.map((s) => s.later?.path).sort();
    expect(paths).toEqual(['/api/users/1', '/api/users/2']);
    for (const s of seen) {
      expect(s.first).toMatchObject({ method: 'GET', path: s.later?.path });
      expect(s.first?.route).toBeUndefined();
      expect(s.later).toMatchObject({ route: '/api/users/:id' });
      expect(s.later?.id).toBe(s.first?.id);
      // the app's own assignment is kept, as a plain own property
      expect(s.route).toEqual({ path: '/users/:id' });
    }
    expect(seen[0]!.first!.id).not.toBe(seen[1]!.first!.id);
    expect(JSON.stringify(seen)).not.toContain('token');
  });

  it('outside a request there is none', () => {
    expect(currentRequest()).toBeUndefined();
  });
});
