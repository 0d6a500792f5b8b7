#!/usr/bin/env node
// The asyncdebug command. This version answers --version and --help; run|ci|tui|report come next.
import { readFileSync } from 'node:fs';
import { renderEnvHelp } from '../dist/env-table.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const HELP = `asyncdebug ${pkg.version} — the event-loop debugger for Node.js

Usage:
  node --import asyncdebug app.js      watch an app (default mode: cheap, safe to leave on)
  ASYNC_DEBUG=1 node --import asyncdebug app.js   debug mode
  asyncdebug --version | --help

Commands planned, not in this version: run, ci, tui, report.

Environment (all optional; a bad value prints one warning and the default is used):
${renderEnvHelp()}
Docs: README.md and docs/ in the package.
`;

const args = process.argv.slice(2);
const first = args[0];
if (first === '--version' || first === '-v') {
  process.stdout.write(`${pkg.version}\n`);
} else if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
  process.stdout.write(HELP);
} else if (['run', 'ci', 'tui', 'report'].includes(first)) {
  process.stderr.write(`asyncdebug: '${first}' is not available in this version yet; for now run: node --import asyncdebug <app.js>\n`);
  process.exitCode = 2;
} else {
  process.stderr.write(`asyncdebug: unknown command or option '${first}'; see 'asyncdebug --help'\n`);
  process.exitCode = 2;
}
