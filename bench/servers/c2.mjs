/**
 * The server under test: the real c2 chat server (built into dist/), started through its
 * programmatic API with room for every bench client and flood control off (the bench's
 * senders are meant to go as fast as the server allows). Everything else — the slow
 * consumer limit, history, heartbeats — is the default.
 *
 * `options` (from `npm run bench -- --c2 option=value`) are given to startChatServer over
 * these: top-level options replace the bench's, `limits` are merged with its limits.
 * `announceLimit` comes from the scenario (the connections scenario measures joins with
 * their notices on).
 *
 * C2_BENCH_DIST=<dir> benchmarks another build (a dist/ directory) instead: for trying a
 * change of the server against the same bench before making it; the bench's `c2base` server
 * names its build in its arguments (`dist`, from C2_BENCH_BASE), for an A/B in one run.
 */
import { childArgs } from '../lib/child.mjs';
import { distUrl, runServer } from './common.mjs';

const { startChatServer } = await import(`${distUrl(childArgs().dist)}/server/chat-server.js`);

await runServer(async ({ maxUsers = 20_000, announceLimit, options = {} }) => {
  const { limits = {}, ...rest } = options;
  const server = await startChatServer({
    host: '127.0.0.1',
    port: 0,
    id: 7,
    name: 'bench',
    maxUsers,
    // A scenario that measures join notices says so (announceLimit ≥ its users); else the default.
    ...(announceLimit === undefined ? {} : { announceLimit }),
    ...rest,
    limits: { floodRatePerSecond: 1e9, floodBurst: 1e9, ...limits },
  });
  return { port: server.port };
});
