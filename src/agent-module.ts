// The agent is one CommonJS bundle (dist/agent/thread-agent.cjs), loaded synchronously by every entry,
// ESM or CommonJS: Node's require cache makes it one instance per thread whichever way the app reached
// it (`import 'asyncdebug/api'` and `require('asyncdebug/api')` see the same running agent), and no entry
// needs a top-level await (which `require()` of ESM refuses with ERR_REQUIRE_ASYNC_MODULE).
import { createRequire } from 'node:module';

export type AgentModule = typeof import('./agent/thread-agent.js');

let loaded: AgentModule | null = null;

/** Loads the agent's code on first use: with ASYNC_DEBUG=0 an entry costs only itself and the config. */
export function agentModule(): AgentModule {
  // Spelled from dist/: this file is dist/agent-module.js, and is inlined into dist/*.cjs.
  return (loaded ??= createRequire(import.meta.url)('./agent/thread-agent.cjs') as AgentModule);
}
