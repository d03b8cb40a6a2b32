import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterNode } from '../helpers/cluster-node.js';
import { type C2Process, runC2 } from '../helpers/process.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { tempDir } from '../helpers/tmp.js';
import { ClientPool, query } from './helpers.js';

/**
 * A node killed with SIGKILL (contract §11, "Nodes fail"): its lease stops being renewed,
 * another node announces its users gone and frees their names within 10 s, and its users
 * resume on another node with history_after, nothing missed. Real `c2 server` processes.
 */
let redis: TestRedis;
const procs: C2Process[] = [];
const pool = new ClientPool();

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  pool.closeAll();
  for (const p of procs) p.kill('SIGKILL');
  await redis?.dispose();
});

const node = (id: number) => startClusterNode(procs, redis.url, id);

const join = (url: string, name: string) => pool.join(url, name);

describe('a node dies', () => {
  it('kill -9: the others announce its users gone within 10 s, their names are free, they resume elsewhere', async () => {
    const id = 4242;
    const [a, b, c] = await Promise.all([node(id), node(id), node(id)]);
    const alice = await join(a.url, 'alice');
    const bob = await join(b.url, 'bob');
    const carol = await join(c.url, 'carol');
    await alice.take(2);
    await bob.take(1);
    alice.send('c2/MSG before');
    for (const u of [alice, bob, carol]) expect(await u.next()).toBe('c2/MSG alice; before');
    const seen = JSON.parse(await query(bob, 'server_info')) as { epoch: string; lastSeq: number };
    expect(seen.lastSeq).toBe(1);

    const killedAt = Date.now();
    b.proc.kill('SIGKILL');
    await b.proc.exited();
    alice.send('c2/MSG missed one');
    carol.send('c2/MSG missed two');
    const gone = 'c2/DISCONNECT lost_connection; bob';
    // alice and carol see both messages once, in one order, and bob's departure.
    const aliceFrames = await alice.take(3, 10_000);
    const carolFrames = await carol.take(3, 10_000);
    const aliceSaw = [...aliceFrames].sort();
    expect(aliceSaw).toEqual([gone, 'c2/MSG alice; missed one', 'c2/MSG carol; missed two'].sort());
    expect([...carolFrames].sort()).toEqual(aliceSaw);
    // The two were sent at once from two nodes: either order, but the same for everyone.
    const order = aliceFrames.filter((f) => f.startsWith('c2/MSG '));
    expect(carolFrames.filter((f) => f.startsWith('c2/MSG '))).toEqual(order);
    const within = Date.now() - killedAt;
    expect(within).toBeLessThan(10_000);

    // bob's name is free: he comes back on another node and asks for what he missed.
    const again = await join(c.url, 'bob');
    const after = JSON.parse(await query(again, `history_after; ${seen.epoch}; ${seen.lastSeq}`));
    expect(after).toMatchObject({ epoch: seen.epoch, recovered: true, more: false, lastSeq: 3 });
    expect(after.messages.map((m: { username: string; text: string }) => `c2/MSG ${m.username}; ${m.text}`)).toEqual(
      order,
    );
    expect(JSON.parse(await query(alice, 'active_users'))).toEqual(['alice', 'carol', 'bob']);
    console.log(`lost_connection announced ${within} ms after the kill`);
  }, 30_000);
});

describe('c2 server --cluster', () => {
  it('a node whose name or max users differ from the cluster exits 1 with one line', async () => {
    const id = 4343;
    await node(id);
    const args = ['server', '--host', '127.0.0.1', '--port', '0', '--id', String(id), '--cluster', redis.url];
    const named = runC2([...args, '--name', 'Other', '--data-dir', tempDir(), '--no-console']);
    procs.push(named);
    expect(await named.exited(20_000)).toBe(1);
    expect(named.stderr.filter((l) => l !== '')).toEqual([
      `c2: cluster ${id} is named "Cluster", not "Other": start every node with the same --name`,
    ]);
    const bigger = runC2([...args, '--name', 'Cluster', '--max-users', '9', '--data-dir', tempDir(), '--no-console']);
    procs.push(bigger);
    expect(await bigger.exited(20_000)).toBe(1);
    expect(bigger.stderr.filter((l) => l !== '')).toEqual([
      `c2: cluster ${id} has --max-users 50, not 9: start every node with the same --max-users`,
    ]);
    const bad = runC2(['server', '--id', '1', '--cluster', 'http://x', '--no-console']);
    procs.push(bad);
    expect(await bad.exited(20_000)).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/--cluster.*expected redis:\/\/HOST:PORT\[\/DB\]/);
  }, 60_000);
});
