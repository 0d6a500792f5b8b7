// The request state as the watchdog reads it back from another thread: checked field by field.
import { describe, expect, it } from 'vitest';
import { contextFramesOn, requestStateFrom } from '../../src/request-state.js';

describe('requestStateFrom', () => {
  it('takes the JSON the native reader returns, and a parsed object (the probe\'s)', () => {
    const state = { id: 3, method: 'GET', path: '/users/7', route: '/users/:id', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
    expect(requestStateFrom(JSON.stringify(state))).toEqual(state);
    expect(requestStateFrom(state)).toEqual(state);
  });

  it('drops what is not a request state: no store, bad JSON, missing fields, wrong types', () => {
    for (const v of [undefined, null, '', 'not json', '{"id":1}', JSON.stringify({ id: '1', method: 'GET', path: '/' }), JSON.stringify({ id: 1, method: 'GET' }), 42]) {
      expect(requestStateFrom(v)).toBeUndefined();
    }
  });

  it('keeps trace ids only when both are well-formed, and bounds every string', () => {
    expect(requestStateFrom({ id: 1, method: 'GET', path: '/', traceId: 'x', spanId: 'b'.repeat(16) })).toEqual({ id: 1, method: 'GET', path: '/' });
    const long = requestStateFrom({ id: 1, method: 'GET'.repeat(20), path: `/${'p'.repeat(500)}`, route: `/${'r'.repeat(500)}` })!;
    expect(long.method.length).toBeLessThanOrEqual(16);
    expect(long.path.length).toBe(200);
    expect(long.route!.length).toBe(200);
    expect(requestStateFrom('x'.repeat(5000))).toBeUndefined();
  });
});

describe('contextFramesOn', () => {
  it('is on from Node 24, off before (22 only with its flag)', () => {
    expect(contextFramesOn('20.20.2')).toBe(false);
    expect(contextFramesOn('24.1.0')).toBe(!process.execArgv.includes('--no-async-context-frame'));
    expect(contextFramesOn('26.12.1')).toBe(!process.execArgv.includes('--no-async-context-frame'));
    expect(contextFramesOn('22.23.5')).toBe(process.execArgv.includes('--experimental-async-context-frame') || (process.env.NODE_OPTIONS ?? '').includes('--experimental-async-context-frame'));
  });
});
