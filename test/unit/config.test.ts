import { describe, expect, it } from 'vitest';
import { heartbeatMs, readConfig } from '../../src/config.js';

function read(env: Record<string, string>) {
  const warnings: string[] = [];
  const config = readConfig(env, (w) => warnings.push(w));
  return { config, warnings };
}

describe('configuration from the environment', () => {
  it('defaults', () => {
    const { config, warnings } = read({});
    expect(config).toMatchObject({ mode: 'default', slowMs: 100, reporters: ['console'], reportDir: null, strict: false });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['1', 'debug'], ['true', 'debug'], ['ON', 'debug'],
    ['0', 'off'], ['false', 'off'], ['off', 'off'], ['', 'default'],
  ])('ASYNC_DEBUG=%j is %s', (value, mode) => {
    expect(read({ ASYNC_DEBUG: value }).config.mode).toBe(mode);
  });

  it('a report directory turns on json next to the listed reporters', () => {
    const { config } = read({ ASYNC_DEBUG_REPORT_DIR: '/tmp/x', ASYNC_DEBUG_REPORTERS: 'console' });
    expect(config.reporters.sort()).toEqual(['console', 'json']);
    expect(config.reportDir).toBe('/tmp/x');
  });

  it('json without a directory is one warning and no json', () => {
    const { config, warnings } = read({ ASYNC_DEBUG_REPORTERS: 'json' });
    expect(config.reporters).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ASYNC_DEBUG_REPORT_DIR');
  });

  it.each([
    ['ASYNC_DEBUG', 'yes'],
    ['ASYNC_DEBUG_SLOW_MS', '-5'],
    ['ASYNC_DEBUG_SLOW_MS', '1.5'],
    ['ASYNC_DEBUG_SLOW_MS', 'soon'],
    ['ASYNC_DEBUG_STRICT', 'maybe'],
    ['ASYNC_DEBUG_REPORTERS', 'console,fax'],
  ])('bad %s=%j: one warning naming variable and value, default kept', (name, value) => {
    const { config, warnings } = read({ [name]: value });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(name === 'ASYNC_DEBUG_REPORTERS' ? '"fax"' : `${name}=${JSON.stringify(value)}`);
    expect(config.slowMs).toBe(100);
    expect(config.mode).toBe('default');
    expect(config.strict).toBe(false);
  });

  it('reporters the contract names but this version lacks are said, not silently dropped', () => {
    const { config, warnings } = read({ ASYNC_DEBUG_REPORTERS: 'console,otel' });
    expect(config.reporters).toEqual(['console']);
    expect(warnings[0]).toContain('otel');
  });

  it('the heartbeat is a tenth of the threshold, within 2..20 ms', () => {
    expect(heartbeatMs(100)).toBe(10);
    expect(heartbeatMs(5)).toBe(2);
    expect(heartbeatMs(5000)).toBe(20);
  });
});
