import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { listServers, startTestListing } from '../helpers/listing.js';
import { type C2Process, runC2 } from '../helpers/process.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

/**
 * `c2 local --nodes N` through bin/c2.js (contract §11): the listing and N nodes of one
 * server in the Redis of `--cluster` (one of the test's own), each node's URL printed, one
 * room across them, listed once, and Ctrl-C leaves the directory empty.
 */
let redis: TestRedis;
const procs: C2Process[] = [];
const clients: TestClient[] = [];
const listings: ListingServer[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of procs) p.kill('SIGKILL');
  for (const l of listings) await l.close();
  await redis?.dispose();
});

function local(args: string[]): C2Process {
  const p = runC2(['local', '--chat-port', '0', '--listing-port', '0', ...args]);
  procs.push(p);
  return p;
}

describe('c2 local --nodes', () => {
  it('three nodes: each URL printed, a user on node 1 sees a message sent on node 3, listed once, Ctrl-C unlists', async () => {
    const db = join(tempDir(), 'listing.db');
    const p = local(['--nodes', '3', '--cluster', redis.url, '--db', db]);
    await p.waitFor(/^Chatter is running: one chat server on 3 nodes\.$/, 20_000);
    const browser = await p.waitFor(/Server browser:/);
    const summary = await p.waitFor(/on 3 nodes, listed once; they meet in redis:/);
    const id = summary.match(/\(id (\d+)\)/)?.[1];
    const urls = [];
    for (const n of [1, 2, 3]) {
      const line = await p.waitFor(new RegExp(`^ {4}node ${n}: ws://localhost:\\d+ `));
      urls.push((line.match(/ws:\/\/\S+/)?.[0] ?? '').replace('localhost', '127.0.0.1'));
    }
    expect(new Set(urls).size).toBe(3);

    const alice = await TestClient.connect(urls[0] as string, 'alice');
    clients.push(alice);
    const carol = await TestClient.connect(urls[2] as string, 'carol');
    clients.push(carol);
    expect(await alice.next()).toBe('c2/CONNECT carol');
    carol.send('c2/MSG hello from node 3');
    expect(await carol.next()).toBe('c2/MSG carol; hello from node 3');
    expect(await alice.next()).toBe('c2/MSG carol; hello from node 3');
    // The web client is served by every node.
    for (const url of urls) expect((await fetch(url.replace('ws:', 'http:'))).status).toBe(200);

    const listingUrl = (browser.match(/http:\/\/\S+/)?.[0] ?? '').replace(/\/$/, '').replace('localhost', '127.0.0.1');
    const servers = await listServers(listingUrl);
    expect(servers).toHaveLength(1);
    expect(urls.map((u) => u.replace('ws://', ''))).toContain(servers[0]?.address);

    p.kill('SIGINT');
    expect(await p.exited(20_000)).toBe(0);
    const again = await startTestListing({ db });
    listings.push(again);
    expect(await listServers(again.url)).toEqual([]);
    // The run's server id is never used again: its keys are gone from the shared Redis.
    const r = new Redis(redis.url);
    try {
      expect(await r.keys(`c2:{${id}}:*`)).toEqual([]);
      expect(await r.keys('c2:*')).toEqual([]);
    } finally {
      r.disconnect();
    }
  }, 60_000);

  it('--nodes outside 1 … 16, or past the last port, is refused with one clear line', async () => {
    for (const n of ['0', '17', 'three']) {
      const p = local(['--nodes', n, '--db', join(tempDir(), 'listing.db')]);
      expect(await p.exited()).not.toBe(0);
      expect(p.stderr.join('\n')).toMatch(/--nodes.*the number of nodes must be a whole number from 1 to 16/);
    }
    const high = runC2(['local', '--nodes', '3', '--chat-port', '65534', '--listing-port', '0']);
    procs.push(high);
    expect(await high.exited()).toBe(1);
    expect(high.stderr.filter((l) => l !== '')).toEqual([
      'c2: --nodes 3 from --chat-port 65534 needs ports up to 65536, past 65535',
    ]);
  });

  it('a Redis that cannot be reached: one line, exit 1', async () => {
    const p = local(['--nodes', '2', '--cluster', 'redis://127.0.0.1:1', '--db', join(tempDir(), 'listing.db')]);
    expect(await p.exited(20_000)).toBe(1);
    expect(p.stderr.filter((l) => l !== '')).toEqual([
      expect.stringMatching(/^c2: cannot reach the cluster store redis:\/\/127\.0\.0\.1:1: /),
    ]);
  });
});
