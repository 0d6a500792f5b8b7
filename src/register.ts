// `node --import asyncdebug app.js`: start the agent for this thread, configured from the environment.
// The agent's modules load only when it will run: ASYNC_DEBUG=0 costs one small module.
import { readConfig } from './config.js';

try {
  const config = readConfig();
  if (config.mode !== 'off') {
    const { isWatchdogThread, startAgent } = await import('./agent/thread-agent.js');
    if (!isWatchdogThread()) startAgent(config);
  }
} catch {
  // The agent must never stop the app from starting.
}
