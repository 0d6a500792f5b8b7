import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 40_000,
    hookTimeout: 60_000,
    // Integration tests run real Node processes that block on purpose; two at a time fits two cores.
    maxWorkers: 2,
  },
});
