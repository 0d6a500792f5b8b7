// NODE_OPTIONS as the watchdog worker gets it: the app's preloads and --trace-sync-io out, every other
// option kept as written. The split is checked against Node's own reading of NODE_OPTIONS: a real
// process given the kept string must see the same options.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasNodeFlag, splitNodeOptions, watchdogNodeOptions } from '../../src/node-options.js';

describe('the watchdog\'s NODE_OPTIONS', () => {
  it('drops preloads in each spelling, with their module, and --trace-sync-io', () => {
    expect(watchdogNodeOptions('--import tsx')).toBeUndefined();
    expect(watchdogNodeOptions('--import=file:///x/register.cjs --trace-sync-io')).toBeUndefined();
    expect(watchdogNodeOptions('-r dotenv/config --max-old-space-size=512')).toBe('--max-old-space-size=512');
    expect(watchdogNodeOptions('--require ./otel.cjs --dns-result-order=ipv4first --loader ts-node/esm')).toBe('--dns-result-order=ipv4first');
    expect(watchdogNodeOptions('--experimental-loader=./hooks.mjs --no-deprecation')).toBe('--no-deprecation');
    expect(watchdogNodeOptions(undefined)).toBeUndefined();
    expect(watchdogNodeOptions('   ')).toBeUndefined();
  });

  it('keeps quoted values quoted, and keeps nothing of an unbalanced quote', () => {
    expect(splitNodeOptions('--title="my app" -r "./a b.cjs"')).toEqual(['--title=my app', '-r', './a b.cjs']);
    expect(splitNodeOptions('--title="a \\"quoted\\" name"')).toEqual(['--title=a "quoted" name']);
    expect(splitNodeOptions('--title="open')).toBeNull();
    expect(watchdogNodeOptions('-r "./a b.cjs" --title="my app"')).toBe('"--title=my app"');
    expect(watchdogNodeOptions('--title="open -r x')).toBeUndefined();
  });

  it('Node reads the kept string as the options it kept', () => {
    const kept = watchdogNodeOptions('--require ./nothing.cjs --title="asyncdebug kept" --no-deprecation');
    expect(kept).toBe('"--title=asyncdebug kept" --no-deprecation');
    const r = spawnSync(process.execPath, ['-p', 'process.title + "|" + process.noDeprecation'], { env: { ...process.env, NODE_OPTIONS: kept }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('asyncdebug kept|true');
  });
});

describe('hasNodeFlag', () => {
  it('finds a flag on the command line or in NODE_OPTIONS, as Node splits it, and nothing that only starts like it', () => {
    expect(hasNodeFlag('--trace-sync-io', ['--trace-sync-io'], undefined)).toBe(true);
    expect(hasNodeFlag('--trace-sync-io', [], '--max-old-space-size=64 --trace-sync-io')).toBe(true);
    expect(hasNodeFlag('--trace-sync-io', [], '--require "/a dir/x.cjs"\t--trace-sync-io')).toBe(true);
    expect(hasNodeFlag('--trace-sync-io', ['--trace-sync-io-x'], '--trace-sync-iox')).toBe(false);
    expect(hasNodeFlag('--no-async-context-frame', ['--no-async-context-frame=true'], '')).toBe(true);
    expect(hasNodeFlag('--trace-sync-io', [], '"unclosed --trace-sync-io')).toBe(false);
  });
});
