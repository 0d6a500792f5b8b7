// `import 'asyncdebug/auto'` from app code: the agent starts only when ASYNC_DEBUG is on (debug mode).
import { readConfig } from './config.js';
import { isWatchdogThread, startAgent } from './agent/thread-agent.js';

try {
  const config = readConfig();
  if (config.mode === 'debug' && !isWatchdogThread()) startAgent(config);
} catch {
  // never stop the app from starting
}
