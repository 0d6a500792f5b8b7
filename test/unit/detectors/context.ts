// A DetectorContext for starting a detector in the test's own process, with the findings it emits.
import { readConfig } from '../../../src/config.js';
import type { DetectorContext } from '../../../src/detectors/detector.js';
import type { StartupPhase } from '../../../src/detectors/startup.js';
import type { Finding, OtherFinding } from '../../../src/finding.js';

export interface TestContext extends DetectorContext {
  findings: OtherFinding[];
  startup: StartupPhase;
}

/** `env`: ASYNC_DEBUG_* variables as the app would set them. Past start-up unless `startup` says otherwise. */
export function detectorContext(env: Record<string, string> = {}, startup: Partial<StartupPhase> = {}): TestContext {
  const findings: OtherFinding[] = [];
  return {
    config: readConfig(env, () => {}),
    emit: (f: Finding) => findings.push(f as OtherFinding),
    startup: { turned: true, serving: true, exiting: false, ...startup },
    // The detectors tested in-process do not read the thread's slot (only the scheduling detector does).
    slot: undefined as unknown as DetectorContext['slot'],
    findings,
  };
}
