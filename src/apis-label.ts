// How a sync-io site's APIs are named, in the CLI's table and the HTML page alike.

/** APIs named in a site's label; more are counted. */
const APIS_SHOWN = 3;

/**
 * The sync APIs called at a site (`[fs.readFileSync, crypto.pbkdf2Sync]`, worst call's first): a site is a
 * function, so two calls in one handler share a row, whose line is the worst call's; the names say what
 * else is there. Empty when none.
 */
export function apisLabel(apis: readonly string[]): string {
  if (apis.length === 0) return '';
  const more = apis.length > APIS_SHOWN ? `, +${apis.length - APIS_SHOWN} more` : '';
  return `[${apis.slice(0, APIS_SHOWN).join(', ')}${more}]`;
}

/** The APIs of sites shown as one row: the worst site's first, each named once. */
export function mergedApis(sites: readonly { apis: readonly string[]; worstMs: number }[]): string[] {
  const byWorst = [...sites].sort((a, b) => b.worstMs - a.worstMs);
  return [...new Set(byWorst.flatMap((s) => s.apis))];
}
