// The health line is part of the contract: each of its fields is documented in its section of
// docs/report-format.md, and readers of findings can tell it apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHealthLine } from '../../src/health-record.js';
import { ROOT } from '../helpers.js';

describe('the health line', () => {
  it('has every field of its type documented in its own section of the report format', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'report-format.md'), 'utf8');
    const start = doc.indexOf('### `health`');
    expect(start).toBeGreaterThan(0);
    const section = doc.slice(start, doc.indexOf('\n### ', start + 1));
    const source = readFileSync(join(ROOT, 'src', 'health-record.ts'), 'utf8');
    const body = /export interface HealthRecord \{([\s\S]+?)\n\}/.exec(source)![1]!;
    const fields = [...body.matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]!);
    expect(fields).toEqual(expect.arrayContaining(['loopDelay', 'elu', 'time', 'id']));
    const envelope = doc.slice(doc.indexOf('## Fields of every line'), doc.indexOf('## Kinds'));
    for (const field of fields) expect(section.includes(`\`${field}\``) || envelope.includes(`| \`${field}\` |`), field).toBe(true);
  });

  it('is told apart from findings', () => {
    expect(isHealthLine({ kind: 'health' })).toBe(true);
    expect(isHealthLine({ kind: 'block' })).toBe(false);
  });
});
