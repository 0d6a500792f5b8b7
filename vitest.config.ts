import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 40_000,
    hookTimeout: 60_000,
    // Integration tests run real Node processes that spin a core on purpose, and each has a watchdog
    // thread that must get CPU while it spins: one file at a time on this two-core machine.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
