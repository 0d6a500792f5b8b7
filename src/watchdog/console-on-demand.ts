// The console reporter of the hub, made at the first finding it gets. Made at the watchdog's start, it
// ran chalk's colour detection (node:tty, which loads node:net; node:os) and its own set-up in every
// process, findings or not (issue 22). Its code is in the watchdog's bundle (scripts/bundle-cjs.mjs);
// the `require` here makes esbuild run that part of the bundle only when it is called. This file only
// ever runs from that bundle.
import type { SummaryFinding } from '../finding.js';
import { summaryHasLine } from '../reporters/console-format.js';
import type { CreateReporter, Reporter } from '../reporters/reporter.js';

type ConsoleModule = typeof import('../reporters/console.js');

export const createConsoleOnDemand: CreateReporter = (context) => {
  let made: Reporter | null = null;
  return {
    report(finding) {
      // A clean thread's summary (a worker that ended, the main thread at exit) prints nothing: not made for it.
      if (!made && finding.kind === 'summary' && !summaryHasLine(finding as SummaryFinding)) return;
      made ??= (require('../reporters/console.js') as ConsoleModule).createReporter(context) as Reporter;
      made.report(finding);
    },
  };
};
