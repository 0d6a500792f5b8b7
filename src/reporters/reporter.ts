import type { Finding } from '../finding.js';

/** A reporter takes each finding when it is made. It must not throw and must not block for long. */
export interface Reporter {
  report(finding: Finding): void;
}

/** Calls every reporter; one that throws is silenced rather than allowed into the app. */
export function fanOut(reporters: Reporter[]): (finding: Finding) => void {
  return (finding) => {
    for (const r of reporters) {
      try {
        r.report(finding);
      } catch {
        // a reporter failure must never reach the app
      }
    }
  };
}
