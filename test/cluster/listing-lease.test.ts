import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { clusterNodeArgs, startClusterNode } from '../helpers/cluster-node.js';
import { eventually } from '../helpers/eventually.js';
import { type ListedServer, listServers, startTestListing } from '../helpers/listing.js';
import { type C2Process, runC2 } from '../helpers/process.js';
import { type RecordingProxy, startRecordingProxy } from '../helpers/recording-proxy.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { TestClient } from '../helpers/ws-client.js';

/**
 * "Listed once" (contract §11) with real `c2 server` processes: three nodes of one server
 * with `--cluster` and `--listing` make one entry that counts the whole cluster; when the
 * node holding the listing lease is killed with SIGKILL, another takes the lease over with
 * the key kept in Redis: the entry stays, no second POST, the count keeps up. The listing
 * is reached through a recording proxy that counts every request.
 */
let redis: TestRedis;
let listing: ListingServer;
let proxy: RecordingProxy;
const procs: C2Process[] = [];
const clients: TestClient[] = [];
const HEARTBEAT_MS = 2000;

beforeAll(async () => {
  redis = await startTestRedis();
  listing = await startTestListing();
  proxy = await startRecordingProxy(listing.url);
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of procs) p.kill('SIGKILL');
  await proxy?.close();
  await listing?.close();
  await redis?.dispose();
});

interface Node {
  proc: C2Process;
  url: string;
  /** host:port, as listed. */
  address: string;
}

async function startNode(id: number): Promise<Node> {
  const listingFlags = ['--listing', proxy.url, '--listing-heartbeat', String(HEARTBEAT_MS)];
  const { proc, url } = await startClusterNode(procs, redis.url, id, listingFlags);
  return { proc, url, address: url.replace(/^ws:\/\//, '') };
}

async function join(url: string, name: string): Promise<TestClient> {
  const c = await TestClient.connect(url, name);
  clients.push(c);
  return c;
}

describe('a cluster listed with a lease', () => {
  it('one entry with the whole count; kill -9 of the holder: the entry stays, no second POST, the count keeps up', async () => {
    const id = 5151;
    const nodes = await Promise.all([startNode(id), startNode(id), startNode(id)]);
    const entries = async (): Promise<ListedServer[]> => (await listServers(listing.url)).filter((s) => s.id === id);
    const listed = await eventually(async () => (await entries())[0], 'listed', 15_000);
    const holder = nodes.find((n) => n.address === listed.address);
    expect(holder, `the entry's address ${listed.address} is one node's`).toBeDefined();
    const [first, second] = nodes.filter((n) => n !== holder) as [Node, Node];

    // One user on each node: the entry counts the cluster's three.
    await join(first.url, 'alice');
    await join(second.url, 'bob');
    await join((holder as Node).url, 'carol');
    await eventually(async () => (await entries())[0]?.connectedUsers === 3, 'a count of 3', 5000);
    expect(await entries()).toHaveLength(1);
    expect(proxy.count('POST')).toBe(1);

    const killedAt = Date.now();
    (holder as Node).proc.kill('SIGKILL');
    await (holder as Node).proc.exited();
    // The entry stays throughout; another node takes the lease over with the kept key (its
    // PUT moves the entry to its own address) and carol, gone with her node, is no longer counted.
    const taken = await eventually(
      async () => {
        const now = await entries();
        expect(now).toHaveLength(1);
        const e = now[0] as ListedServer;
        return e.address !== listed.address && e.connectedUsers === 2 ? e : undefined;
      },
      'the entry taken over, counting 2',
      15_000,
    );
    const after = Date.now() - killedAt;
    expect([first.address, second.address]).toContain(taken.address);
    // Within the node lease (6 s, then the reap every 2 s) and one update (1 s), with slack for a loaded machine.
    expect(after).toBeLessThan(12_000);
    expect(proxy.count('POST')).toBe(1);
    expect(proxy.count('DELETE')).toBe(0);

    // The new holder keeps the count current.
    const putsBefore = proxy.count('PUT');
    await join(first.url, 'dave');
    await eventually(async () => (await entries())[0]?.connectedUsers === 3, 'a count of 3 again', 4000);
    expect(proxy.count('PUT')).toBeGreaterThan(putsBefore);
    expect(proxy.count('POST')).toBe(1);
    // Every PUT was accepted: nobody used a key the listing did not know.
    expect(proxy.requests.filter((r) => r.method === 'PUT' && r.status !== 200)).toEqual([]);
    console.log(`the entry was taken over, with the count, ${after} ms after the kill`);
  }, 60_000);

  it('a node whose name differs from the cluster is refused at start with one line, listing or not', async () => {
    const id = 5252;
    await startNode(id);
    const named = runC2(clusterNodeArgs(redis.url, id, { name: 'Other', extra: ['--listing', proxy.url] }));
    procs.push(named);
    expect(await named.exited(20_000)).toBe(1);
    expect(named.stderr.filter((l) => l !== '')).toEqual([
      `c2: cluster ${id} is named "Cluster", not "Other": start every node with the same --name`,
    ]);
  }, 40_000);
});
