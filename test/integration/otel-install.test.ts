// The package as a user gets it: `npm pack` of this repository (built), installed with plain `npm install`
// into temporary projects next to an app's OpenTelemetry SDK, from the npm registry (the only tests that
// need it), then a block exported through the app's SDK and through asyncdebug's own exporter to a
// loopback receiver.
// - Node 20: an app on SDK 2.x (npm picks that line on Node 20: 3.x needs Node 22.15+); and a project
//   that runs the standalone install command of docs/otel.md, first with asyncdebug alone (no
//   @opentelemetry/api anywhere: one line, no crash).
// - Node 24 and 26: an app on SDK 3.x.
// Each Node line runs only its own projects (the current process's line: CI runs the suite once per line,
// so each install happens once per CI run); the others are skipped with the reason printed. Cost, measured
// on a shared 2-core machine with a warm npm cache: Node 20 about 55 s (two projects, four installs),
// Node 24/26 about 25 s (one project, two installs); with a cold cache, add the downloads (~40 MB).
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, markerLine, tempDir } from '../helpers.js';
import { attributesOf, freePort, lastValues, otlpReceiver, sleep } from './otel-helpers.js';
import * as S from '../../src/otel/semconv.js';
import { NO_API_LINE } from '../../src/reporters/otel.js';

const major = Number(process.versions.node.split('.')[0]);
const SDK_LINE = major === 20 ? 2 : major === 24 || major === 26 ? 3 : null;
if (SDK_LINE === null) console.log(`otel-install: skipped on Node ${major}: the installs run under Node 20 (SDK 2.x) and Node 24/26 (SDK 3.x), once per CI run`);
else console.log(`otel-install: Node ${major}: installing next to SDK ${SDK_LINE}.x${major === 20 ? ', and the standalone install command' : ''}`);

/** What an app with its own SDK installs (no versions: npm chooses, as for a user). */
const SDK_PACKAGES = [
  '@opentelemetry/api', '@opentelemetry/sdk-node', '@opentelemetry/sdk-metrics', '@opentelemetry/sdk-trace', '@opentelemetry/sdk-logs',
  '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/exporter-metrics-otlp-http', '@opentelemetry/exporter-logs-otlp-http',
];
const INSTALL_MS = 240_000;

interface Ran { code: number | null; stdout: string; stderr: string }

/** A command under this process's Node (npm's `#!/usr/bin/env node` too), bounded. */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = INSTALL_MS): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${command} ${args.join(' ')} took over ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

async function npmInstall(dir: string, specs: string[]): Promise<Ran> {
  const r = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], dir);
  expect(r.code, `npm install ${specs.join(' ')} failed:\n${r.stderr}`).toBe(0);
  expect(r.stderr).not.toMatch(/ERESOLVE|peer dep/i);
  return r;
}

function project(name: string): string {
  const dir = tempDir(`asyncdebug-install-${name}-`);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `install-check-${name}`, version: '1.0.0', private: true }, null, 2));
  return dir;
}

/** The installed version of a package in a project. */
function installed(dir: string, name: string): string {
  return (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

const node = (dir: string, app: string, env: Record<string, string>) => run(process.execPath, ['--import', 'asyncdebug', app], dir, env, 60_000);

let tarball = '';
beforeAll(async () => {
  if (SDK_LINE === null) return;
  // The built package as `npm publish` would send it (dist is built by `pretest`; no prepare run here).
  const out = tempDir('asyncdebug-pack-');
  const packed = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', out], ROOT, {}, 120_000);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!);
}, 150_000);

describe.skipIf(SDK_LINE === null)(`next to an app's SDK ${SDK_LINE}.x on Node ${major}`, () => {
  let dir = '';

  it('installs with plain npm install: the app\'s SDK first, then the packed asyncdebug; npm ls finds no invalid peer', async () => {
    dir = project(`sdk${SDK_LINE}`);
    await npmInstall(dir, SDK_PACKAGES);
    expect(installed(dir, '@opentelemetry/sdk-metrics').split('.')[0]).toBe(String(SDK_LINE));
    await npmInstall(dir, [tarball]);
    const ls = await run('npm', ['ls', '--all', '--silent'], dir, {}, 60_000);
    expect(ls.code, `npm ls:\n${ls.stdout}\n${ls.stderr}`).toBe(0);
    for (const f of ['sdk-app.cjs', 'exit-app.cjs']) copyFileSync(join(FIXTURES, 'install', f), join(dir, f));
  }, 2 * INSTALL_MS);

  it('through the app\'s SDK: the block is a span in the app\'s trace, with asyncdebug\'s metrics and a log record', async () => {
    const receiver = await otlpReceiver();
    try {
      const r = await node(dir, 'sdk-app.cjs', { ASYNC_DEBUG_REPORTERS: 'otel', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_SERVICE_NAME: 'install-check' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('done\n');
    } finally {
      receiver.close();
    }
    const appSpans = receiver.bodies['/v1/traces'].flatMap((b) => b.resourceSpans ?? []).flatMap((s) => s.scopeSpans).flatMap((s) => s.spans);
    const checkout = appSpans.find((s) => s.name === 'checkout');
    const app = join(dir, 'sdk-app.cjs');
    const block = receiver.spans().find((s) => s.name === S.SPAN_BLOCK && String(attributesOf(s)[S.ATTR_CODE_STACKTRACE]).includes(`${app}:${markerLine(app)}:`));
    expect(block, JSON.stringify(receiver.spans().map(attributesOf))).toBeDefined();
    expect(block!.parentSpanId).toBe(checkout!.spanId);
    const blocks = [...lastValues(receiver.metrics(), S.METRIC_BLOCKS).values()].reduce((a, b) => a + b, 0);
    expect(blocks).toBeGreaterThanOrEqual(1);
    expect(receiver.metrics().map((m) => m.name)).toContain(S.METRIC_DELAY.p99);
    expect(receiver.logs().some((l) => attributesOf(l)[S.ATTR_KIND] === 'block')).toBe(true);
  }, 90_000);

  it('asyncdebug\'s own OTLP exporter (ASYNC_DEBUG_OTEL=otlp) on the same packages: the block, sent at exit', async () => {
    const receiver = await otlpReceiver();
    try {
      const r = await node(dir, 'exit-app.cjs', { ASYNC_DEBUG_REPORTERS: 'otel', ASYNC_DEBUG_OTEL: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}` });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      receiver.close();
    }
    expect(receiver.spans().some((s) => s.name === S.SPAN_BLOCK)).toBe(true);
    expect(receiver.metrics().map((m) => m.name)).toContain(S.METRIC_BLOCKS);
    expect(receiver.logs().some((l) => attributesOf(l)[S.ATTR_KIND] === 'block')).toBe(true);
  }, 90_000);
});

/** The standalone install command of docs/otel.md (its first `npm install` line). */
function docsInstallCommand(): string[] {
  const line = readFileSync(join(ROOT, 'docs', 'otel.md'), 'utf8').split('\n').find((l) => l.startsWith('npm install asyncdebug '));
  if (!line) throw new Error('docs/otel.md has no `npm install asyncdebug …` line');
  return line.split(/\s+/).slice(2);
}

describe.skipIf(major !== 20)('the standalone install command of docs/otel.md on Node 20', () => {
  let dir = '';

  it('asyncdebug alone (no @opentelemetry/api anywhere): otel says in one line what to install; the app runs on', async () => {
    dir = project('standalone');
    await npmInstall(dir, [tarball]);
    copyFileSync(join(FIXTURES, 'install', 'exit-app.cjs'), join(dir, 'exit-app.cjs'));
    const inApp = await node(dir, 'exit-app.cjs', { ASYNC_DEBUG_REPORTERS: 'otel', BLOCK_AFTER_MS: '300' });
    expect(inApp.code).toBe(0);
    expect(inApp.stdout).toBe('done\n');
    expect(inApp.stderr).toBe(`asyncdebug: ${NO_API_LINE}\n`);
    const own = await node(dir, 'exit-app.cjs', { ASYNC_DEBUG_REPORTERS: 'otel', ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: String(await freePort()), LINGER_MS: '1500' });
    expect(own.code).toBe(0);
    expect(own.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^asyncdebug: the otel reporter needs @opentelemetry\/api and .*run `npm install @opentelemetry\/api /)]);
  }, 2 * INSTALL_MS);

  it('then the documented command installs (SDK 2.x on Node 20) and /metrics serves asyncdebug\'s block', async () => {
    const specs = docsInstallCommand().map((s) => (s === 'asyncdebug' ? tarball : s));
    await npmInstall(dir, specs);
    expect(installed(dir, '@opentelemetry/sdk-metrics').split('.')[0]).toBe('2');
    const port = await freePort();
    let text = '';
    const scraping = (async () => {
      for (let i = 0; i < 100 && !text.includes(S.PROMETHEUS.blocks.name); i++) {
        await sleep(200);
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => text);
      }
    })();
    const r = await node(dir, 'exit-app.cjs', { ASYNC_DEBUG_REPORTERS: 'otel', ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: String(port), LINGER_MS: '8000' });
    await scraping;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(text).toMatch(/^asyncdebug_loop_blocks_total\{[^}]*otel_scope_name="asyncdebug"\} 1$/m);
  }, 2 * INSTALL_MS);
});
