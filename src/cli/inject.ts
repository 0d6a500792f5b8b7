// The environment that puts the agent into every Node process of a command: NODE_OPTIONS gets an
// --import of this package's register.cjs by absolute file URL (a bare name would not resolve in a
// child whose cwd is elsewhere), after whatever the user already had there.
import { pathToFileURL, fileURLToPath } from 'node:url';
// A file URL has no spaces or quotes (they are percent-encoded), but it is quoted whenever it could need it.
import { quoteNodeOption } from '../node-options.js';

export { quoteNodeOption };

/** dist/register.cjs of this installation (this file is dist/cli/inject.js). */
export const REGISTER_URL = pathToFileURL(fileURLToPath(new URL('../register.cjs', import.meta.url))).href;

/** True when NODE_OPTIONS already imports an asyncdebug entry (two copies would start two agents). */
export function importsAsyncdebug(nodeOptions: string): boolean {
  return nodeOptions.includes(REGISTER_URL) || /--import[= ]"?\S*asyncdebug(\/auto|\/dist\/(register|auto)\.c?js)?"?(\s|$)/.test(nodeOptions);
}

export interface InjectOptions {
  reportDir: string;
  /** Reporters when the user's environment does not name any; json is always added. */
  reporters: string[];
}

export function agentEnv(base: NodeJS.ProcessEnv, options: InjectOptions): NodeJS.ProcessEnv {
  const env = { ...base };
  const user = (base.NODE_OPTIONS ?? '').trim();
  if (!importsAsyncdebug(user)) env.NODE_OPTIONS = `${user ? `${user} ` : ''}--import=${quoteNodeOption(REGISTER_URL)}`;
  env.ASYNC_DEBUG_REPORT_DIR = options.reportDir;
  const chosen = base.ASYNC_DEBUG_REPORTERS?.trim() ? base.ASYNC_DEBUG_REPORTERS.split(',').map((s) => s.trim()).filter(Boolean) : options.reporters;
  env.ASYNC_DEBUG_REPORTERS = [...new Set([...chosen, 'json'])].join(',');
  return env;
}
