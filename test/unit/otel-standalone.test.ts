// The standalone exporters' set-up without a process: a missing optional package is one warning line
// naming the install that fixes it, and the committed dashboard is the one the typed code makes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { isLoopback } from '../../src/env-table.js';
import { createStandalone } from '../../src/otel/standalone.js';
import { loadOptional } from '../../src/otel/load.js';
import { DASHBOARD_FILE, dashboardJson } from '../../dashboards/generate.js';

const without = (...missing: string[]) => <T>(name: string): Promise<T | undefined> => (missing.includes(name) ? Promise.resolve(undefined) : loadOptional<T>(name));

describe('standalone exporters', () => {
  it('prometheus without its exporter package: one line naming the npm install; no exporter, the app runs on', async () => {
    const warnings: string[] = [];
    const config = readConfig({ ASYNC_DEBUG_OTEL: 'prometheus' }, () => {});
    const made = await createStandalone(config, (l) => warnings.push(l), without('@opentelemetry/exporter-prometheus'));
    expect(made).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('npm install @opentelemetry/sdk-metrics @opentelemetry/resources @opentelemetry/exporter-prometheus');
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

  it('a package installed nowhere loads as undefined, not as an error', async () => {
    expect(await loadOptional('@opentelemetry/no-such-package-here')).toBeUndefined();
  });

  it('loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.org']) expect(isLoopback(h), h).toBe(false);
  });
});

describe('dashboards', () => {
  it('dashboards/asyncdebug.json is what dashboards/generate.ts makes (run `npm run dashboards` when this fails)', () => {
    expect(readFileSync(DASHBOARD_FILE, 'utf8')).toBe(dashboardJson());
  });
});
