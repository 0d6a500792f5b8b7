// `node --import asyncdebug app.js`: start the agent for this thread, configured from the environment.
import { readConfig } from './config.js';
import { isWatchdogThread, startAgent } from './agent/thread-agent.js';

try {
  if (!isWatchdogThread()) startAgent(readConfig());
} catch {
  // The agent must never stop the app from starting.
}
