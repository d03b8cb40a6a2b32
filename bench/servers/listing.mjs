/**
 * The directory under test: the real listing server (dist/), SQLite file store (the
 * default), liveness checks off. The store is filled directly with `count` entries (the
 * registration route would ping each one); `GET /servers` is then served by the real route.
 * C2_BENCH_DIST=<dir> benchmarks another build, as for the chat server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { distUrl, runServer } from './common.mjs';

const { startListingServer } = await import(`${distUrl()}/listing/index.js`);

const NAMES = ['Chatter Server', 'the lounge', 'Café des Amis', 'retro computing', 'night owls', 'rust & friends'];

// `dir` is a scratch directory the orchestrator made (and removes). A second listing on the
// same directory finds the servers listed already. `pageCacheBytes` 0: no answers kept.
await runServer(async ({ count = 1000, dir, pageCacheBytes }) => {
  const server = await startListingServer({
    host: '127.0.0.1',
    port: 0,
    db: join(dir, 'listing.db'),
    liveness: false,
    allowPrivateAddresses: true,
    ...(pageCacheBytes === undefined ? {} : { pageCacheBytes }),
  });
  if ((await server.store.count()) >= count) return { port: server.port };
  const now = Date.now();
  const entries = Array.from({ length: count }, (_, i) => {
    const maxUsers = 50 + ((i * 37) % 950);
    return {
      id: 1_000_000 + i * 7919,
      displayName: `${NAMES[i % NAMES.length]} #${i}`,
      address: `198.51.${100 + ((i >> 8) % 150)}.${i & 255}:${5000 + (i % 1000)}`,
      connectedUsers: (i * 13) % maxUsers,
      maxUsers,
      keyHash: createHash('sha256').update(randomBytes(16)).digest('hex'),
      registeredFrom: `198.51.${100 + ((i >> 8) % 150)}.${i & 255}`,
    };
  });
  // In transactions of a few hundred; a build from before insertMany (C2_BENCH_DIST) one by one.
  if (server.store.insertMany) await server.store.insertMany(entries, now, now + 3_600_000);
  else for (const entry of entries) await server.store.insert(entry, now, now + 3_600_000);
  return { port: server.port };
});
