// The console reporter of app threads: only the exit summary, dependency-free (see console.ts).
import type { Finding } from '../finding.js';
import { colorLevel, summaryLine, writeStderr } from './console-format.js';
import type { Reporter } from './reporter.js';

export function createConsoleSummaryReporter(): Reporter {
  const level = colorLevel();
  return {
    report(f: Finding) {
      if (f.kind !== 'summary') return;
      const text = summaryLine(f, level);
      if (text) writeStderr(text);
    },
  };
}
