// The standalone exporters' set-up without a process: a missing optional package is one warning line
// naming the install that fixes it, and the committed dashboard is the one the typed code makes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/config.js';
import { isLoopback } from '../../../src/env-table.js';
import { createStandalone } from '../../../src/otel/standalone.js';
import { loadOptional } from '../../../src/otel/optional-packages.js';
import { DASHBOARD_FILE, dashboardJson } from '../../../dashboards/generate.js';
import type { BlockFinding } from '../../../src/finding.js';
import type { ThreadHealth } from '../../../src/thread-health.js';
import { createReporter } from '../../../src/reporters/otel.js';
import { freePort, sleep } from '../../integration/otel-helpers.js';

const without = (...missing: string[]) => <T>(name: string): Promise<T | undefined> => (missing.includes(name) ? Promise.resolve(undefined) : loadOptional<T>(name));

describe('standalone exporters', () => {
  it('prometheus without its exporter package: one line naming the npm install; no exporter, the app runs on', async () => {
    const warnings: string[] = [];
    const config = readConfig({ ASYNC_DEBUG_OTEL: 'prometheus' }, () => {});
    const made = await createStandalone(config, (l) => warnings.push(l), without('@opentelemetry/exporter-prometheus'));
    expect(made).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('npm install @opentelemetry/api @opentelemetry/sdk-metrics @opentelemetry/resources @opentelemetry/exporter-prometheus');
  });

  it('no @opentelemetry/api anywhere (it is an optional peer now): one line naming the install, no crash', async () => {
    for (const mode of ['prometheus', 'otlp']) {
      const warnings: string[] = [];
      const config = readConfig({ ASYNC_DEBUG_OTEL: mode }, () => {});
      expect(await createStandalone(config, (l) => warnings.push(l), without('@opentelemetry/api'))).toBeNull();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^the otel reporter needs @opentelemetry\/api and .*; run `npm install @opentelemetry\/api /);
    }
  });

  it('otlp without the trace and log packages: metrics still go, one line says what the spans and logs need', async () => {
    const warnings: string[] = [];
    const config = readConfig({ ASYNC_DEBUG_OTEL: 'otlp' }, () => {});
    const made = await createStandalone(config, (l) => warnings.push(l), without('@opentelemetry/sdk-trace', '@opentelemetry/sdk-logs'));
    expect(made).not.toBeNull();
    made!.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('npm install @opentelemetry/sdk-trace @opentelemetry/exporter-trace-otlp-http @opentelemetry/sdk-logs @opentelemetry/exporter-logs-otlp-http');
  });

  it('OTEL_SDK_DISABLED=true: no exporter; OTEL_TRACES_EXPORTER=none and OTEL_LOGS_EXPORTER=none: those packages are not even asked for', async () => {
    const config = readConfig({ ASYNC_DEBUG_OTEL: 'otlp' }, () => {});
    const asked: string[] = [];
    const spy = <T>(name: string): Promise<T | undefined> => {
      asked.push(name);
      return loadOptional<T>(name);
    };
    try {
      process.env.OTEL_SDK_DISABLED = 'true';
      expect(await createStandalone(config, () => {}, spy)).toBeNull();
      expect(asked).toEqual([]);
      delete process.env.OTEL_SDK_DISABLED;
      process.env.OTEL_TRACES_EXPORTER = 'none';
      process.env.OTEL_LOGS_EXPORTER = 'none';
      const warnings: string[] = [];
      const made = await createStandalone(config, (l) => warnings.push(l), spy);
      made!.close();
      expect(warnings).toEqual([]);
      expect(asked.filter((n) => /trace|logs/.test(n))).toEqual([]);
    } finally {
      for (const k of ['OTEL_SDK_DISABLED', 'OTEL_TRACES_EXPORTER', 'OTEL_LOGS_EXPORTER']) delete process.env[k];
    }
  });

  it('a package installed nowhere loads as undefined, not as an error', async () => {
    expect(await loadOptional('@opentelemetry/no-such-package-here')).toBeUndefined();
  });

  it('loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.org']) expect(isLoopback(h), h).toBe(false);
  });
});

describe('the reporter in the hub (ASYNC_DEBUG_OTEL=prometheus), in this process', () => {
  it('exists at once; findings made while the SDK loads wait and are counted; close() stops serving', async () => {
    const port = await freePort();
    const config = readConfig({ ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: String(port) }, () => {});
    const health: ThreadHealth[] = [{ pid: 1, threadId: 0, time: 0, delay: { min: 1, max: 120, mean: 5, p50: 2, p90: 9, p99: 110 }, elu: 0.5, activeMs: 10, idleMs: 10, blockedMs: 0, blocks: 1, starvedMs: 0, starvedGaps: 0, exited: false }];
    const warnings: string[] = [];
    const r = await createReporter({ config, warn: (l) => warnings.push(l), health: () => health });
    const site = { file: '/app/a.js', line: 3, column: 1, function: 'busy' };
    const block = (ongoing: boolean): BlockFinding => ({ v: 1, id: 'b1', kind: 'block', time: Date.now(), pid: 1, threadId: 0, message: 'm', site, frames: [site], durationMs: 150, ongoing });
    r.report(block(true));
    r.report(block(false));
    r.health?.(health);
    let text = '';
    for (let i = 0; i < 100 && !text.includes('asyncdebug_loop_blocks_total'); i++) {
      await sleep(100);
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text(), () => '');
    }
    expect(text).toContain('asyncdebug_loop_blocks_total{thread_id="0",thread_name="main",code_file_path="/app/a.js",code_line_number="3",code_function_name="busy",otel_scope_name="asyncdebug"} 1');
    expect(text).toContain('asyncdebug_eventloop_delay_p99{thread_id="0",thread_name="main",otel_scope_name="asyncdebug"} 0.11');
    expect(text).not.toMatch(/^nodejs_/m); // no metric under runtime-node's names
    r.close?.();
    await sleep(100);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    expect(warnings).toEqual([]);
  });
});

describe('dashboards', () => {
  it('dashboards/asyncdebug.json is what dashboards/generate.ts makes (run `npm run dashboards` when this fails)', () => {
    expect(readFileSync(DASHBOARD_FILE, 'utf8')).toBe(dashboardJson());
  });
});
