import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { heartbeatMs, readConfig, reportPath, type Config } from '../../src/config.js';

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

  it('json without a directory is one warning, and findings go to the console instead of nowhere', () => {
    const { config, warnings } = read({ ASYNC_DEBUG_REPORTERS: 'json' });
    expect(config.reporters).toEqual(['console']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ASYNC_DEBUG_REPORT_DIR');
    expect(read({ ASYNC_DEBUG_REPORTERS: 'console,json' }).config.reporters).toEqual(['console']);
  });

  it.each(['bogus', ' , '])('ASYNC_DEBUG_REPORTERS=%j: nothing usable named, so the default console', (value) => {
    const { config, warnings } = read({ ASYNC_DEBUG_REPORTERS: value });
    expect(config.reporters).toEqual(['console']);
    // one warning per dropped name; an empty list is the same as unset
    expect(warnings).toHaveLength(value.split(',').filter((s) => s.trim()).length);
    if (warnings.length) expect(warnings.at(-1)).toContain('using console');
  });

  it('unknown reporter names are dropped, known ones kept', () => {
    const { config, warnings } = read({ ASYNC_DEBUG_REPORTERS: 'bogus,json', ASYNC_DEBUG_REPORT_DIR: '/tmp/x' });
    expect(config.reporters).toEqual(['json']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"bogus"');
  });

  it('every variable of the table is parsed: a good value sets its field', () => {
    const { config, warnings } = read({
      ASYNC_DEBUG: 'on', ASYNC_DEBUG_SLOW_MS: '250', ASYNC_DEBUG_REPORTERS: 'console', ASYNC_DEBUG_REPORT_DIR: ' /tmp/r ',
      ASYNC_DEBUG_STRICT: 'true', ASYNC_DEBUG_SYNC_AFTER: 'listening', ASYNC_DEBUG_SYNC_MIN_MS: '2.5',
      ASYNC_DEBUG_ALLOW_SYNC: 'fs.*, scripts/** ,', ASYNC_DEBUG_STACK_ENGINE: 'Inspector', ASYNC_DEBUG_CPUPROFILE_DIR: ' /tmp/p ',
      ASYNC_DEBUG_REPORT_MODE: '0640', ASYNC_DEBUG_REPORT_MAX_MB: '2', ASYNC_DEBUG_REQUEST: 'off',
    });
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      mode: 'debug', slowMs: 250, reporters: ['console', 'json'], reportDir: '/tmp/r', strict: true,
      syncAfter: 'listening', syncMinMs: 2.5, allowSync: ['fs.*', 'scripts/**'], engine: 'inspector', cpuProfileDir: '/tmp/p',
      messageMs: 20, messageBytes: 16777216, poolWaitMs: 50, maxThreads: 1024, otel: null, prometheusHost: '127.0.0.1', prometheusPort: 9464,
      reportMode: 0o640, reportMaxBytes: 2 * 1024 * 1024, request: false,
    });
  });

  it.each([
    ['ASYNC_DEBUG', 'yes'],
    ['ASYNC_DEBUG_SLOW_MS', '-5'],
    ['ASYNC_DEBUG_SLOW_MS', '1.5'],
    ['ASYNC_DEBUG_SLOW_MS', 'soon'],
    ['ASYNC_DEBUG_STRICT', 'maybe'],
    ['ASYNC_DEBUG_REQUEST', 'routes'],
    ['ASYNC_DEBUG_REPORTERS', 'console,fax'],
    ['ASYNC_DEBUG_SYNC_AFTER', 'later'],
    ['ASYNC_DEBUG_SYNC_MIN_MS', '-1'],
    ['ASYNC_DEBUG_STACK_ENGINE', 'gdb'],
    // Out of range: a threshold no loop reaches would turn detection off without a word.
    ['ASYNC_DEBUG_SLOW_MS', '1e20'],
    ['ASYNC_DEBUG_SLOW_MS', '600001'],
    ['ASYNC_DEBUG_SLOW_MS', 'Infinity'],
    ['ASYNC_DEBUG_SYNC_MIN_MS', '1e9'],
    ['ASYNC_DEBUG_MESSAGE_MS', '1e20'],
    ['ASYNC_DEBUG_MESSAGE_BYTES', '1e20'],
    ['ASYNC_DEBUG_POOL_WAIT_MS', 'NaN'],
    ['ASYNC_DEBUG_PROMETHEUS_PORT', '70000'],
    ['ASYNC_DEBUG_REPORT_MODE', '777'],
    ['ASYNC_DEBUG_REPORT_MODE', '400'],
    ['ASYNC_DEBUG_REPORT_MODE', '2600'],
    ['ASYNC_DEBUG_REPORT_MODE', 'rw'],
    ['ASYNC_DEBUG_REPORT_MAX_MB', '0'],
    ['ASYNC_DEBUG_REPORT_MAX_MB', '1e6'],
  ])('bad %s=%j: one warning naming variable and value, default kept', (name, value) => {
    const { config, warnings } = read({ [name]: value });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(name === 'ASYNC_DEBUG_REPORTERS' ? '"fax"' : `${name}=${JSON.stringify(value)}`);
    expect(config.slowMs).toBe(100);
    expect(config.mode).toBe('default');
    expect(config.strict).toBe(false);
    expect(config).toEqual(read({}).config);
  });

  it('every reporter the contract names is shipped: console, json, otel, tui', () => {
    const { config, warnings } = read({ ASYNC_DEBUG_REPORTERS: 'console,otel,tui', ASYNC_DEBUG_REPORT_DIR: '/tmp/x' });
    expect(config.reporters.sort()).toEqual(['console', 'json', 'otel', 'tui']);
    expect(warnings).toEqual([]);
  });

  it('the heartbeat is a tenth of the threshold, within 2..20 ms', () => {
    expect(heartbeatMs(100)).toBe(10);
    expect(heartbeatMs(5)).toBe(2);
    expect(heartbeatMs(5000)).toBe(20);
  });
});

describe("start()'s options: laid over the environment, then resolved as the environment is", () => {
  function resolved(env: Record<string, string>, options: Partial<Config> = {}) {
    const warnings: string[] = [];
    const config = readConfig(env, (w) => warnings.push(w), options);
    return { config: { ...config, reporters: [...config.reporters].sort() }, warnings };
  }

  it.each<[string, Partial<Config>, Record<string, string>]>([
    ['an exporter turns on the otel reporter', { otel: 'prometheus' }, { ASYNC_DEBUG_OTEL: 'prometheus' }],
    ['a report directory turns on json', { reportDir: '/tmp/r' }, { ASYNC_DEBUG_REPORT_DIR: '/tmp/r' }],
    ['json without a directory falls back to the console, with the warning', { reporters: ['json'] }, { ASYNC_DEBUG_REPORTERS: 'json' }],
    ['listed reporters, a directory and an exporter together', { reporters: ['tui'], reportDir: '/tmp/r', otel: 'otlp' }, { ASYNC_DEBUG_REPORTERS: 'tui', ASYNC_DEBUG_REPORT_DIR: '/tmp/r', ASYNC_DEBUG_OTEL: 'otlp' }],
    ['a threshold and debug mode', { slowMs: 40, mode: 'debug' }, { ASYNC_DEBUG_SLOW_MS: '40', ASYNC_DEBUG: '1' }],
  ])('%s', (_, options, env) => {
    const fromOptions = resolved({}, options);
    expect(fromOptions).toEqual(resolved(env));
    expect(fromOptions.config).toMatchObject({ ...options, reporters: fromOptions.config.reporters });
  });

  it('start({ otel }) turns the otel reporter on (it was left off when start() resolved options itself)', () => {
    expect(resolved({}, { otel: 'prometheus' }).config.reporters).toEqual(['console', 'otel']);
  });

  it('an option overrides its variable; the other variables still count', () => {
    const env = { ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_SLOW_MS: '250', ASYNC_DEBUG_REPORTERS: 'tui' };
    expect(resolved(env, { otel: null }).config).toMatchObject({ otel: null, slowMs: 250, reporters: ['tui'] });
    expect(resolved(env, { reporters: ['console'] }).config.reporters).toEqual(['console', 'otel']);
  });

  it('reporters: [] is no reporter at all (subscribe() alone), with no warning', () => {
    expect(resolved({}, { reporters: [] })).toEqual({ config: expect.objectContaining({ reporters: [] }), warnings: [] });
  });
});

describe('reportPath', () => {
  it("is the json reporter's file of a process: <dir>/asyncdebug-<pid>.jsonl, the directory made absolute", () => {
    expect(reportPath('/tmp/r', 42)).toBe('/tmp/r/asyncdebug-42.jsonl');
    expect(reportPath('rel/dir', 7)).toBe(join(resolve('rel/dir'), 'asyncdebug-7.jsonl'));
    expect(reportPath('/tmp/r')).toBe(`/tmp/r/asyncdebug-${process.pid}.jsonl`);
  });
});
