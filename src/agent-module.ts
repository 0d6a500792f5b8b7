// The agent is one CommonJS bundle (dist/agent/thread-agent.cjs), loaded synchronously by every entry,
// ESM or CommonJS: Node's require cache makes it one instance per thread whichever way the app reached
// it (`import 'asyncdebug/api'` and `require('asyncdebug/api')` see the same running agent), and no entry
// needs a top-level await (which `require()` of ESM refuses with ERR_REQUIRE_ASYNC_MODULE). It loads
// through V8's code cache (code-cache.ts), which puts it into the same require cache.
import { fileURLToPath } from 'node:url';
import { loadBundle } from './code-cache.js';
import { atThreadExit } from './agent/exit-hook.js';

export type AgentModule = typeof import('./agent/thread-agent.js');

let loaded: AgentModule | null = null;

/** Loads the agent's code on first use: with ASYNC_DEBUG=0 an entry costs only itself and the config. */
export function agentModule(): AgentModule {
  if (loaded) return loaded;
  // Spelled from dist/: this file is dist/agent-module.js, and is inlined into dist/*.cjs.
  const bundle = loadBundle(fileURLToPath(new URL('./agent/thread-agent.cjs', import.meta.url)));
  // A cache to write: when the thread exits, after the agent's summary (its hook, installed later, runs first).
  if (bundle.save) atThreadExit(bundle.save);
  return (loaded = bundle.exports as AgentModule);
}
