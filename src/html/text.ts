// Strings from a report on their way into the page: control characters out, length bounded. A report
// line is data someone else's process wrote (or anyone who could write the file): what reaches the page
// is text only, placed with textContent, and the JSON that carries it is escaped (render-html.ts).

// C0 and C1 controls but tab and newline; bidirectional marks, overrides and isolates (a line of code
// shown in an order other than the one it runs in); the line and paragraph separators.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The text without control characters, cut to `max` characters (with an ellipsis). */
export function cleanText(value: unknown, max = 4000): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  const clean = text.replace(CONTROL, '');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** One line: as cleanText, with newlines and tabs as spaces. */
export function cleanLine(value: unknown, max = 1000): string {
  return cleanText(typeof value === 'string' ? value.replace(/[\n\t]/g, ' ') : value, max);
}

/** `awaitedBy` → `awaited by`, `poolSize` → `pool size`: a field's name as a label. */
export function fieldLabel(key: string): string {
  return cleanLine(key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase(), 60);
}
