// `npm run docs`: rewrites the README's environment table from src/env-table.ts (through the build in
// dist/), between its env-table markers. test/unit/env-table.test.ts fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { README_END, README_START, renderEnvMarkdown } from '../dist/env-table.js';

const file = new URL('../README.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = text.indexOf(README_START);
const end = text.indexOf(README_END);
if (start < 0 || end < start) {
  process.stderr.write(`docs: README.md has no env-table markers (${README_START} … ${README_END})\n`);
  process.exit(1);
}
const next = `${text.slice(0, start + README_START.length)}\n${renderEnvMarkdown()}${text.slice(end)}`;
if (next !== text) writeFileSync(file, next);
process.stdout.write(next !== text ? 'README.md: environment table rewritten\n' : 'README.md: environment table up to date\n');
