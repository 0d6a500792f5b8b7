// The reporters, by the name ASYNC_DEBUG_REPORTERS uses: where each runs and how it is made.
// A new reporter is one file in src/reporters/ and one line here.
import type { ReporterName } from '../config.js';
import type { ReporterEntry } from './reporter.js';

export const REPORTERS: Partial<Record<ReporterName, ReporterEntry>> = {
  otel: { place: (c) => (c.otel ? 'hub' : 'main'), module: 'otel.js' },
};
