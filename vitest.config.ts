import { defineConfig } from 'vitest/config';

/**
 * Three tiers (README, "Tests"); `npm test` runs them all, after lint and build.
 *
 * - unit: pure code — no socket, no server, no process, no build; seconds in all.
 * - integration: real servers on port 0 and real sockets, in this process.
 * - slow: what needs the build or takes seconds a file — `c2` processes (the CLI, the
 *   terminal client under tmux), Chromium, the Vite bundle, kill -9 and outage faults, the
 *   1,000-client load, the frame corpus and the fuzzers.
 *
 * A new test file is integration unless listed here.
 */
const UNIT = [
  'test/unit/**/*.test.ts',
  'test/client/{input-history,roster,slash,tui-units,units}.test.ts',
  'test/web/{commands,directory,entries,format,history-merge,task-pool,virtual}.test.ts',
  'test/listing/{address,keys,list-cache,liveness-checker}.test.ts',
];
const SLOW = [
  'test/soak/**/*.test.ts',
  'test/e2e/**/*.test.ts',
  'test/faults/**/*.test.ts',
  'test/web/bundle.test.ts',
  'test/integration/cli-*.test.ts',
  'test/listing/cli.test.ts',
  'test/client/{chat-cli,chat-e2e}.test.ts',
  // Hundreds of cases against a real server, by design: the frame corpus, the fuzzers.
  'test/hostile/{chat-corpus,chat-fuzz}.test.ts',
  // c2 server processes against a redis-server of the test's own, one killed with SIGKILL.
  'test/cluster/{node-death,redis-outage,redis-freeze,listing-lease,local-nodes}.test.ts',
  // Debian's nginx in front of c2 processes, with the files of deploy/ (docs/DEPLOY.md).
  'test/deploy/**/*.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    teardownTimeout: 10_000,
    // Each file starts its own servers on port 0, so files run in parallel safely.
    fileParallelism: true,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...SLOW] } },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
