// Text from a report or a finding (an error message, a function name, a URL) is data, not terminal
// control: shown on a terminal, an escape sequence in it could rewrite the screen, set the window title,
// or hide a line. Control characters (C0, DEL, C1) and bidirectional overrides become visible `\uXXXX`
// where the text is shown; the data itself is kept as it was (a report read back, JSON written out).
// Dependency-free: it loads in the app's threads too.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The text with control characters shown as `\uXXXX` (tab and newline kept; `oneLine` escapes them too). */
export function safeText(text: string, oneLine = false): string {
  const s = text.replace(CONTROL, escapeOne);
  return oneLine ? s.replace(/[\t\n]/g, escapeOne) : s;
}

/**
 * JSON text (from JSON.stringify) with the control characters it leaves as they are (DEL, C1,
 * bidirectional overrides) written as `\uXXXX` escapes: the same data to a parser, nothing for a terminal.
 */
export function safeJson(json: string): string {
  return json.replace(CONTROL, escapeOne);
}

/** A parsed JSON value with every string in it made safe (keys too); other values untouched. */
export function safeStrings<T>(value: T): T {
  if (typeof value === 'string') return safeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => safeStrings(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[safeText(k)] = safeStrings(v);
    return out as T;
  }
  return value;
}
