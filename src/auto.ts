// `import 'asyncdebug/auto'` or `require('asyncdebug/auto')` from app code: the agent starts only when
// ASYNC_DEBUG is on (debug mode).
import { readConfig } from './config.js';
import { agentModule } from './agent-module.js';

try {
  const config = readConfig();
  if (config.mode === 'debug') {
    const { isWatchdogThread, startAgent } = agentModule();
    if (!isWatchdogThread()) startAgent(config);
  }
} catch {
  // never stop the app from starting
}
