#!/usr/bin/env node
// The asyncdebug command: a thin shim over dist/cli (built by `npm run build`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
