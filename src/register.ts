// `node --import asyncdebug app.js` (or `--require asyncdebug`, `import 'asyncdebug'`, `require('asyncdebug')`):
// start the agent for this thread, configured from the environment. The agent's code loads only when
// it will run: ASYNC_DEBUG=0 costs one small module.
import { readConfig } from './config.js';
import { agentModule } from './agent-module.js';

try {
  const config = readConfig();
  if (config.mode !== 'off') {
    const { isWatchdogThread, startAgent } = agentModule();
    if (!isWatchdogThread()) startAgent(config);
  }
} catch {
  // The agent must never stop the app from starting.
}
