import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_TABLE, README_END, README_START, renderEnvHelp, renderEnvMarkdown } from '../../src/env-table.js';
import { ROOT } from '../helpers.js';

describe('the environment table is the one source', () => {
  it('the README table is the one the table renders (run `npm run docs` when this fails)', () => {
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    const start = readme.indexOf(README_START);
    const end = readme.indexOf(README_END);
    expect(start, 'README.md lacks the env-table markers').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start + README_START.length + 1, end)).toBe(renderEnvMarkdown());
  });

  it('--help names every variable of the table, in a terminal-wide layout', () => {
    const help = renderEnvHelp();
    for (const r of ENV_TABLE) expect(help).toContain(r.name);
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(help).not.toContain('`');
  });

  it('every variable the source reads from process.env is in the table', () => {
    const used = new Set(execFileSync('grep', ['-rhoE', 'ASYNC_DEBUG[A-Z_]*', `${ROOT}/src`], { encoding: 'utf8' }).split('\n').filter(Boolean));
    const named = new Set(ENV_TABLE.map((r) => r.name));
    for (const name of used) expect(named, name).toContain(name);
  });
});
