// `import 'asyncdebug/auto'` from app code: the agent starts only when ASYNC_DEBUG is on (debug mode).
import { readConfig } from './config.js';

try {
  const config = readConfig();
  if (config.mode === 'debug') {
    const { isWatchdogThread, startAgent } = await import('./agent/thread-agent.js');
    if (!isWatchdogThread()) startAgent(config);
  }
} catch {
  // never stop the app from starting
}
