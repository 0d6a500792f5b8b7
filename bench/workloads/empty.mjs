// Does nothing: spawn-to-exit time of this file is node's start-up (plus the agent's, when preloaded).
