// JUnit XML for CI systems without SARIF (Jenkins' JUnit and xunit plugins, GitLab's test reports): one
// test case for the command and one per counted site; a site over its budget (or new against the
// baseline) is a failure. It keeps to Jenkins xunit's JUnit schema (test/cli/schema/junit-10.xsd: no
// `file` or `line` on a test case; where the site is goes in the failure's text, or system-out), and a
// test case's name is its site without the line (kind in the class name; file, function and caller in
// the name), so moving code keeps the test's history.
import type { Gate } from './gate.js';
import { describeStatus, type CommandResult } from './launch.js';
import { kindTitle } from '../kinds.js';
import { callerLabel, type Site } from './sites.js';
import { siteLabel } from './site-table.js';

/** Characters XML 1.0 cannot hold at all, and the other control characters (a report's strings may have any). */
const NOT_XML = /[^\t\n\r\u0020-\u007E\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

/** Element text: control characters dropped, markup escaped (newlines kept). */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, '').replace(/[<>&"']/g, (ch) => ENTITIES[ch]!);
}

/** An attribute value: as text, and tab, newline and carriage return as character references (a parser
 *  turns raw ones into spaces). */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/[\t\n\r]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A site's test name: file, function and caller, never the line. */
export function testName(s: Site): string {
  return `${s.file} ${s.function ?? '<anonymous>'}${s.caller ? ` ← ${callerLabel(s.caller, s.file)}` : ''}`;
}

function testCase(classname: string, name: string, time: string, body: string): string {
  return `    <testcase classname="${xmlAttr(classname)}" name="${xmlAttr(name)}" time="${time}">${body ? `\n${body}\n    ` : ''}</testcase>`;
}

export function toJunit(sites: Site[], gate: Gate, result: CommandResult, elapsedMs: number): string {
  const time = (elapsedMs / 1000).toFixed(3);
  const cases: string[] = [];
  const commandOk = !result.startError && result.code === 0;
  cases.push(testCase('asyncdebug', 'command', time, commandOk ? '' : `      <failure message="${xmlAttr(describeStatus(result))}" type="command"/>`));
  let failures = commandOk ? 0 : 1;
  for (const s of sites) {
    const status = gate.status.get(s.key);
    if (status === 'external' || status === 'below-min' || s.file === null) continue;
    // Where it is, and how often: the line goes here, not into the test's name.
    const where = `${s.count}× at ${siteLabel(s)} (${s.threads.join(', ')})`;
    if (status === 'over-budget') {
      failures++;
      const why = gate.usedBaseline ? 'new against the baseline, over the budget' : 'over the budget';
      const failure = `      <failure message="${xmlAttr(`${kindTitle(s.kind)}: ${why}`)}" type="${xmlAttr(s.kind)}">${xmlText(`${s.message}\n${where}`)}</failure>`;
      cases.push(testCase(`asyncdebug.${s.kind}`, testName(s), '0', failure));
    } else {
      cases.push(testCase(`asyncdebug.${s.kind}`, testName(s), '0', `      <system-out>${xmlText(`${status}: ${s.message}\n${where}`)}</system-out>`));
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="asyncdebug" tests="${cases.length}" failures="${failures}" errors="0" time="${time}">\n  <testsuite name="asyncdebug" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${time}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}
