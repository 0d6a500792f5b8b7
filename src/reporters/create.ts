import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import { createJsonlReporter } from './jsonl.js';
import { fanOut, type Reporter } from './reporter.js';

/** The reporters the configuration asks for, as one function that never throws. */
export function createReporters(config: Config, consoleReporter: () => Reporter): (f: Finding) => void {
  const reporters: Reporter[] = [];
  if (config.reporters.includes('console')) reporters.push(consoleReporter());
  if (config.reportDir && config.reporters.includes('json')) reporters.push(createJsonlReporter(config.reportDir));
  const all = fanOut(reporters);
  return (f) => all.report(f);
}
