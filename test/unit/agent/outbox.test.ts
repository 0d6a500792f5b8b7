// A thread's outbox on a real registry in shared memory: each finding to the thread's own reporters
// (json, written at once) and into its ring for the hub; with no hub, not into the ring; at the main
// thread's exit, a hub that never came up is given up on and every ring is taken over, while a hub
// that is up gets a moment to report the last findings.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/config.js';
import { makeFinding, type Finding } from '../../../src/finding.js';
import { openOutbox } from '../../../src/agent/outbox.js';
import { HubState, Registry } from '../../../src/protocol/registry.js';
import { ringDrain, ringPending } from '../../../src/protocol/ring.js';
import { reportPath } from '../../../src/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function finding(id: string, extra: Record<string, unknown> = {}): Finding {
  return makeFinding('sync-io', { id, message: `finding ${id}`, site: null, frames: [], ...extra });
}

/** A registry with this thread's slot (thread 0), the outbox on it, and where its json goes. */
function setup({ reporters = 'json', isMain = true, threadId = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-outbox-'));
  dirs.push(dir);
  const config = readConfig({ ASYNC_DEBUG_REPORTERS: reporters, ASYNC_DEBUG_REPORT_DIR: dir }, () => {});
  const registry = new Registry();
  const slot = registry.claim(threadId);
  if (!slot) throw new Error('no slot');
  const outbox = openOutbox({ config, watched: { registry, slot }, isMain, health: () => [] });
  const written = () => readFileSync(reportPath(dir), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as Finding).id);
  const drained = () => {
    const ids: string[] = [];
    ringDrain(slot, (f) => ids.push((f as Finding).id));
    return ids;
  };
  return { registry, slot, outbox, written, drained };
}

describe('outbox', () => {
  it('sends each finding to the thread\'s own reporters and into its ring, waking the hub', () => {
    const { registry, outbox, written, drained } = setup();
    outbox.send(finding('a'));
    outbox.send(finding('b'));
    expect(written()).toEqual(['a', 'b']);
    expect(registry.wakes()).toBe(2);
    expect(drained()).toEqual(['a', 'b']);
  });

  it('with the hub gone, reports for itself: nothing goes into the ring', () => {
    const { registry, slot, outbox, written } = setup();
    registry.markHubGone();
    outbox.send(finding('a'));
    expect(written()).toEqual(['a']);
    expect(ringPending(slot)).toBe(false);
    expect(registry.wakes()).toBe(0);
  });

  it('counts the findings that did not fit in the ring', () => {
    const { outbox, written } = setup();
    outbox.send(finding('huge', { pad: 'x'.repeat(70 * 1024) }));
    outbox.send(finding('small'));
    expect(outbox.dropped()).toBe(1);
    expect(written()).toEqual(['huge', 'small']);
  });

  it('a worker closes with its summary and says it is done, leaving the hub alone', () => {
    const { registry, slot, outbox, drained } = setup({ isMain: false, threadId: 4 });
    outbox.close(finding('summary-4'));
    expect(slot.done()).toBe(true);
    expect(registry.hubState()).toBe(HubState.starting);
    expect(drained()).toEqual(['summary-4']);
  });

  it('the main thread at exit gives up on a hub that never came up and takes over every ring', () => {
    const { registry, slot, outbox } = setup();
    const worker = registry.claim(5);
    if (!worker) throw new Error('no slot');
    const workerOutbox = openOutbox({ config: readConfig({ ASYNC_DEBUG_REPORTERS: 'console' }, () => {}), watched: { registry, slot: worker }, isMain: false, health: () => [] });
    workerOutbox.send(finding('from-worker'));
    expect(ringPending(worker)).toBe(true);
    outbox.close(finding('summary-0'));
    expect(registry.hubState()).toBe(HubState.gone);
    expect(ringPending(worker)).toBe(false);
    expect(ringPending(slot)).toBe(false);
    expect(slot.done()).toBe(true);
  });

  it('the main thread at exit leaves an up hub its rings, and waits a moment for its console lines', () => {
    const quiet = setup({ reporters: 'json' });
    quiet.registry.bringHubUp();
    let t0 = performance.now();
    quiet.outbox.close(finding('summary-0'));
    expect(performance.now() - t0).toBeLessThan(200);
    expect(quiet.registry.hubState()).toBe(HubState.up);
    expect(quiet.drained()).toEqual(['summary-0']);

    // With the console at the hub, the main thread waits (at most 250 ms) for the hub to drain its ring.
    const console = setup({ reporters: 'console,json' });
    console.registry.bringHubUp();
    t0 = performance.now();
    console.outbox.close(finding('summary-0'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
    expect(console.drained()).toEqual(['summary-0']);
  });

  it('the main thread at exit does not wait for the hub when its console has nothing to print: no finding pending, a summary that counts none', () => {
    const summary = (counts: Record<string, number>) => ({ ...finding('summary-0'), kind: 'summary', counts, loopDelay: { p50: 0, p99: 0, max: 0 }, elu: 0 }) as unknown as Finding;
    const waitsOf = (s: ReturnType<typeof setup>) => {
      let waits = 0;
      const original = s.slot.awaitRingRead.bind(s.slot);
      s.slot.awaitRingRead = (ms: number) => {
        waits++;
        original(Math.min(ms, 5));
      };
      return () => waits;
    };
    const clean = setup({ reporters: 'console,json' });
    clean.registry.bringHubUp();
    const cleanWaits = waitsOf(clean);
    clean.outbox.close(summary({ block: 0, 'sync-io': 0 }));
    expect(cleanWaits()).toBe(0);
    expect(clean.drained()).toEqual(['summary-0']); // still in the ring, for the hub's other reporters

    // A summary with a count gets a console line: waited for, as before.
    const found = setup({ reporters: 'console,json' });
    found.registry.bringHubUp();
    const foundWaits = waitsOf(found);
    found.outbox.close(summary({ block: 1 }));
    expect(foundWaits()).toBeGreaterThan(0);

    // So does a finding still in the ring before a clean summary.
    const pending = setup({ reporters: 'console,json' });
    pending.registry.bringHubUp();
    const pendingWaits = waitsOf(pending);
    pending.outbox.send(finding('late'));
    pending.outbox.close(summary({}));
    expect(pendingWaits()).toBeGreaterThan(0);
    expect(pending.drained()).toEqual(['late', 'summary-0']);
  });

  it('a thread nobody watches reports for itself and drops nothing', () => {
    const config = readConfig({ ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_REPORT_DIR: mkdtempSync(join(tmpdir(), 'asyncdebug-outbox-')) }, () => {});
    dirs.push(config.reportDir as string);
    const outbox = openOutbox({ config, watched: null, isMain: false, health: () => [] });
    outbox.send(finding('a'));
    outbox.close(finding('summary-9'));
    expect(outbox.dropped()).toBe(0);
    expect(readFileSync(reportPath(config.reportDir as string), 'utf8')).toContain('"summary-9"');
  });
});
