import { defineConfig } from 'vitest/config';

// Tests start real worker threads from the built files in dist/ (`npm test` builds first), and many
// of them oversubscribe the 2 cores on purpose; running test files one at a time keeps each file's
// thread count what the test says it is.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
