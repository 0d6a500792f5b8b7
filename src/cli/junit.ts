// JUnit XML for CI systems without SARIF: one test case for the command and one per counted site;
// a site over its budget (or new against the baseline) is a failure.
import type { Gate } from './gate.js';
import { describeStatus, type CommandResult } from './launch.js';
import { kindTitle } from '../kinds.js';
import type { Site } from './sites.js';
import { siteLabel } from './site-table.js';

function xml(text: string): string {
  // Characters XML 1.0 cannot hold at all are dropped; the rest escaped.
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '').replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

export function toJunit(sites: Site[], gate: Gate, result: CommandResult, elapsedMs: number): string {
  const cases: string[] = [];
  const commandOk = !result.startError && result.code === 0;
  cases.push(
    `    <testcase classname="asyncdebug" name="command">${commandOk ? '' : `\n      <failure message="${xml(describeStatus(result))}" type="command"/>\n    `}</testcase>`,
  );
  let failures = commandOk ? 0 : 1;
  for (const s of sites) {
    const status = gate.status.get(s.key);
    if (status === 'external' || status === 'below-min') continue;
    const name = xml(siteLabel(s));
    const attrs = `classname="asyncdebug.${xml(s.kind)}" name="${name}"${s.file ? ` file="${xml(s.file)}" line="${s.line}"` : ''}`;
    if (status === 'over-budget') {
      failures++;
      const why = gate.usedBaseline ? 'new against the baseline, over the budget' : 'over the budget';
      cases.push(`    <testcase ${attrs}>\n      <failure message="${xml(`${kindTitle(s.kind)}: ${why}`)}" type="${xml(s.kind)}">${xml(`${s.message}\n${s.count}× at ${siteLabel(s)} (${s.threads.join(', ')})`)}</failure>\n    </testcase>`);
    } else {
      cases.push(`    <testcase ${attrs}>\n      <system-out>${xml(`${status}: ${s.message}`)}</system-out>\n    </testcase>`);
    }
  }
  const time = (elapsedMs / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="asyncdebug" tests="${cases.length}" failures="${failures}" time="${time}">\n  <testsuite name="asyncdebug" tests="${cases.length}" failures="${failures}" errors="0" time="${time}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}
