import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    teardownTimeout: 10_000,
    // Each file starts its own servers on port 0, so files run in parallel safely.
    fileParallelism: true,
    reporters: ['default'],
  },
});
