import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import type { ChatServerOptions } from '../../src/server/options.js';
import { eventually } from '../helpers/eventually.js';
import { listServers, startTestListing } from '../helpers/listing.js';
import { type RecordingProxy, startRecordingProxy } from '../helpers/recording-proxy.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import type { TestClient } from '../helpers/ws-client.js';
import { ClientPool, query } from './helpers.js';

/**
 * One c2 server on three nodes over a Redis of the test's own (contract §11): the nodes run
 * in this process, each with its own Redis connections, as separate processes would.
 */
let redis: TestRedis;
let nextId = 1000;
const servers: ChatServer[] = [];
const pool = new ClientPool();

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.dispose();
});
afterEach(async () => {
  pool.closeAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function node(id: number, options: Partial<ChatServerOptions> = {}): Promise<ChatServer> {
  const server = await startChatServer({
    host: '127.0.0.1',
    port: 0,
    id,
    name: 'Cluster',
    cluster: redis.url,
    ...options,
  });
  servers.push(server);
  return server;
}

async function nodes(n: number, options: Partial<ChatServerOptions> = {}): Promise<{ id: number; urls: string[] }> {
  const id = nextId++;
  const started = await Promise.all(Array.from({ length: n }, () => node(id, options)));
  return { id, urls: started.map((s) => s.url) };
}

const join = (url: string, name: string) => pool.join(url, name);
const open = (url: string) => pool.open(url);

describe('a server on three nodes', () => {
  it('users on different nodes see each other join, talk, rename and leave', async () => {
    const { urls } = await nodes(3);
    const [a, b, c] = urls as [string, string, string];
    const alice = await join(a, 'alice');
    const bob = await join(b, 'bob');
    expect(await alice.next()).toBe('c2/CONNECT bob');
    const carol = await join(c, 'carol');
    expect(await alice.next()).toBe('c2/CONNECT carol');
    expect(await bob.next()).toBe('c2/CONNECT carol');

    bob.send('c2/MSG hello from b; with a semicolon');
    for (const u of [alice, bob, carol]) expect(await u.next()).toBe('c2/MSG bob; hello from b; with a semicolon');

    carol.send('c2/UPDATE username; Caroline');
    expect(await carol.next()).toBe('c2/ACKNOWLEDGE Caroline');
    for (const u of [alice, bob, carol]) expect(await u.next()).toBe('c2/UPDATE carol; username; Caroline');

    alice.send('c2/DISCONNECT');
    expect(await alice.next()).toBe('c2/ACKNOWLEDGE');
    for (const u of [bob, carol]) expect(await u.next()).toBe('c2/DISCONNECT disconnect; alice');
    bob.close();
    expect(await carol.next()).toBe('c2/DISCONNECT lost_connection; bob');
    expect(await query(carol, 'active_users')).toBe('["Caroline"]');
  });

  it('20 senders over the nodes: every user gets every message once, all in the same order', async () => {
    const { urls } = await nodes(3);
    const users: TestClient[] = [];
    for (let i = 0; i < 20; i++) users.push(await join(urls[i % 3] as string, `u${i}`));
    // Everyone has seen every join before the messages start.
    for (let i = 0; i < 20; i++) {
      const u = users[i] as TestClient;
      await u.take(19 - i, 5000);
    }
    const perSender = 10;
    await Promise.all(
      users.map(async (u, i) => {
        for (let k = 0; k < perSender; k++) {
          u.send(`c2/MSG m ${i} ${k}`);
          await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );
    const total = users.length * perSender;
    const seen = await Promise.all(users.map((u) => u.take(total, 15_000)));
    const first = seen[0] as string[];
    expect(new Set(first).size).toBe(total);
    for (const s of seen) expect(s).toEqual(first);
    // Each sender's messages in the order sent.
    for (let i = 0; i < 20; i++) {
      const mine = first.filter((f) => f.startsWith(`c2/MSG u${i}; `));
      expect(mine).toEqual(Array.from({ length: perSender }, (_, k) => `c2/MSG u${i}; m ${i} ${k}`));
    }
    for (const u of users) await u.quiet();
  }, 30_000);

  it("a burst of MSGs goes to Redis at once, yet every response comes in its request's turn", async () => {
    // 20 MSGs may pass the flood bucket; the 10 after them are refused while the first are
    // still on their way to Redis, and those refusals, the QUERY's answer and the unknown
    // frame's error must all come after the 20 copies (contract §4).
    const { urls } = await nodes(2, { limits: { floodBurst: 20, floodRatePerSecond: 0.01 } });
    const alice = await join(urls[0] as string, 'alice');
    const bob = await join(urls[1] as string, 'bob');
    expect(await alice.next()).toBe('c2/CONNECT bob');
    for (let k = 0; k < 30; k++) alice.send(`c2/MSG burst ${k}`);
    alice.send('c2/QUERY active_users');
    alice.send('c2/NOPE');
    const copies = Array.from({ length: 20 }, (_, k) => `c2/MSG alice; burst ${k}`);
    const got = await alice.take(32, 10_000);
    expect(got.slice(0, 20)).toEqual(copies);
    for (const f of got.slice(20, 30)) expect(f).toMatch(/^c2\/ERROR \[flood\] /);
    expect(got[30]).toBe('c2/ACKNOWLEDGE ["alice","bob"]');
    expect(got[31]).toMatch(/^c2\/ERROR \[unknown_type\] /);
    expect(await bob.take(20, 10_000)).toEqual(copies);
    await alice.quiet();
    await bob.quiet();
  }, 30_000);

  it('the same name CONNECTed on three nodes at once: exactly one wins', async () => {
    const { urls } = await nodes(3);
    for (let round = 0; round < 5; round++) {
      const socks = await Promise.all(urls.map((u) => open(u)));
      for (const s of socks) s.send(`c2/CONNECT racer${round}`);
      const answers = await Promise.all(socks.map((s) => s.next()));
      expect(answers.filter((a) => a === 'c2/ACKNOWLEDGE Cluster')).toHaveLength(1);
      for (const a of answers.filter((x) => x !== 'c2/ACKNOWLEDGE Cluster'))
        expect(a).toMatch(/^c2\/ERROR \[name_taken\]/);
      // A look-alike elsewhere is refused too, naming the holder.
      const other = await open(urls[round % 3] as string);
      other.send(`c2/CONNECT RACER${round}`);
      expect(await other.next()).toMatch(/^c2\/ERROR \[name_taken\] username "RACER\d" is already taken/);
    }
  });

  it('max users counts the whole cluster, under a race', async () => {
    const { urls } = await nodes(3, { maxUsers: 5 });
    const socks = await Promise.all(Array.from({ length: 12 }, (_, i) => open(urls[i % 3] as string)));
    for (const [i, s] of socks.entries()) s.send(`c2/CONNECT full${i}`);
    const answers = await Promise.all(socks.map((s) => s.next()));
    expect(answers.filter((a) => a === 'c2/ACKNOWLEDGE Cluster')).toHaveLength(5);
    expect(answers.filter((a) => a.startsWith('c2/ERROR [server_full]'))).toHaveLength(7);
    const winner = socks[answers.indexOf('c2/ACKNOWLEDGE Cluster')] as TestClient;
    const info = JSON.parse(await query(winner, 'server_info'));
    expect(info.connectedUsers).toBe(5);
    expect(info.maxUsers).toBe(5);
  });

  it('a ban on node A disconnects the user on node C and holds after every node restarts', async () => {
    const id = nextId++;
    const a = await node(id, { opPassword: 'pw' });
    await node(id, { opPassword: 'pw' });
    const c = await node(id, { opPassword: 'pw' });
    const op = await join(a.url, 'op');
    const mallory = await join(c.url, 'mallory');
    await op.next(); // mallory's join
    expect(await query(op, 'op; pw')).toMatch(/operator/i);
    op.send('c2/QUERY ban; Mallory; go away');
    // As on one server: everyone is told, then the operator gets the answer.
    expect(await op.take(2)).toEqual([
      'c2/DISCONNECT ban; mallory; go away',
      'c2/ACKNOWLEDGE banned "Mallory" and disconnected them',
    ]);
    expect(await mallory.until((f) => f.startsWith('c2/DISCONNECT'))).toBe('c2/DISCONNECT ban; mallory; go away');
    expect(await mallory.waitClose()).toBe(1008);
    expect(await query(op, 'active_users')).toBe('["op"]');

    pool.closeAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    const again = await Promise.all([node(id), node(id), node(id)]);
    for (const s of again) {
      const sock = await open(s.url);
      sock.send('c2/CONNECT mallory');
      expect(await sock.next()).toMatch(/^c2\/ERROR \[banned\]/);
    }
    const op2 = await join((again[1] as ChatServer).url, 'op2');
    expect(await query(op2, 'unban; mallory')).toMatch(/^c2\/ERROR \[not_operator\]|^c2\/ERROR/);
  });

  it('the announce limit counts the users of the whole cluster, not of one node', async () => {
    const { urls } = await nodes(2, { announceLimit: 2 });
    const [n1, n2] = urls as [string, string];
    const ann = await join(n1, 'ann');
    const ben = await join(n2, 'ben');
    expect(await ann.next()).toBe('c2/CONNECT ben'); // 2 users: announced
    // 3 and 4 users in all, though each node holds only 2: neither join is announced anywhere.
    const cat = await join(n1, 'cat');
    const dan = await join(n2, 'dan');
    ben.send('c2/MSG mark');
    for (const u of [ann, ben, cat, dan]) expect(await u.next()).toBe('c2/MSG ben; mark');
    const health = await (await fetch(`${n2.replace(/^ws/, 'http')}/healthz`)).json();
    expect(health).toMatchObject({ connectedUsers: 4, nodeUsers: 2 });
    // Leaves counted with the one leaving: 4, then 3, not announced; then 2, announced.
    dan.close();
    await eventually(async () => JSON.parse(await query(cat, 'server_info')).connectedUsers === 3);
    cat.close();
    await eventually(async () => JSON.parse(await query(ben, 'server_info')).connectedUsers === 2);
    ben.send('c2/MSG mark 2');
    expect(await ann.next()).toBe('c2/MSG ben; mark 2');
    ben.close();
    expect(await ann.next()).toMatch(/^c2\/DISCONNECT \w+; ben$/);
  });

  it('history, server_info and active_users agree on every node', async () => {
    const { urls } = await nodes(3);
    const users = [
      await join(urls[0] as string, 'ann'),
      await join(urls[1] as string, 'ben'),
      await join(urls[2] as string, 'cat'),
    ];
    await (users[0] as TestClient).take(2);
    await (users[1] as TestClient).take(1);
    for (let i = 0; i < 6; i++) {
      const u = users[i % 3] as TestClient;
      u.send(`c2/MSG n${i}`);
      await u.until((f) => f === `c2/MSG ${['ann', 'ben', 'cat'][i % 3]}; n${i}`);
    }
    for (const u of users) await u.take(0);
    const answers = await Promise.all(
      users.map(async (u) => {
        await eventually(async () => {
          return JSON.parse(await query(u, 'server_info')).lastSeq === 6;
        });
        const info = JSON.parse(await query(u, 'server_info'));
        return {
          info: { ...info, you: undefined },
          history: await query(u, 'history'),
          active: await query(u, 'active_users'),
          after: await query(u, `history_after; ${info.epoch}; 3`),
        };
      }),
    );
    for (const a of answers) expect(a).toEqual(answers[0]);
    const first = answers[0] as (typeof answers)[number];
    expect(first.info).toMatchObject({ connectedUsers: 3, lastSeq: 6, name: 'Cluster' });
    expect(first.info.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(first.active)).toEqual(['ann', 'ben', 'cat']);
    expect(JSON.parse(first.history).map((m: { seq: number; text: string }) => `${m.seq} ${m.text}`)).toEqual([
      '1 n0',
      '2 n1',
      '3 n2',
      '4 n3',
      '5 n4',
      '6 n5',
    ]);
    const after = JSON.parse(first.after);
    expect(after).toMatchObject({ recovered: true, more: false, lastSeq: 6 });
    expect(after.messages.map((m: { seq: number }) => m.seq)).toEqual([4, 5, 6]);
  });

  it('a node whose name or max users differ from the cluster is refused at start, in one line', async () => {
    const id = nextId++;
    await node(id);
    await expect(node(id, { name: 'Other' })).rejects.toThrow(
      /^cluster \d+ is named "Cluster", not "Other": start every node with the same --name$/,
    );
    await expect(node(id, { maxUsers: 7 })).rejects.toThrow(/--max-users 50, not 7/);
    await expect(startChatServer({ host: '127.0.0.1', port: 0, name: 'Cluster', cluster: redis.url })).rejects.toThrow(
      /--cluster needs --id/,
    );
    await expect(node(id, { name: 'Other', listing: { url: 'http://127.0.0.1:1' } })).rejects.toThrow(
      /^cluster \d+ is named "Cluster", not "Other": start every node with the same --name$/,
    );
  });
});

describe('a server on three nodes, listed', () => {
  let listing: ListingServer;
  let proxy: RecordingProxy;
  beforeAll(async () => {
    listing = await startTestListing();
    proxy = await startRecordingProxy(listing.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await listing?.close();
  });

  it('one entry with the whole count; a holder shut down hands over (no DELETE, no second POST); the last node unregisters', async () => {
    const id = nextId++;
    const started = await Promise.all([0, 1, 2].map(() => node(id, { listing: { url: proxy.url } })));
    const entry = async () => (await listServers(listing.url)).filter((s) => s.id === id);
    await eventually(async () => (await entry()).length === 1, 'listed');
    const holders = () => started.filter((s) => s.registrar !== undefined);
    expect(holders()).toHaveLength(1);
    const holder = holders()[0] as ChatServer;
    const others = started.filter((s) => s !== holder) as [ChatServer, ChatServer];
    // Users on two nodes, one of them not the holder: the entry counts both.
    await join(others[0].url, 'alice');
    await join(holder.url, 'bob');
    await eventually(async () => (await entry())[0]?.connectedUsers === 2, 'the cluster-wide count');
    expect(proxy.count('POST')).toBe(1);

    // The holder stops cleanly: the lease passes to another node, the entry stays, bob's leaving is counted.
    await holder.close();
    servers.splice(servers.indexOf(holder), 1);
    await eventually(() => others.some((s) => s.registrar?.state === 'registered'), 'a new holder', 8000);
    await eventually(async () => (await entry())[0]?.connectedUsers === 1, 'the count after the handover');
    expect(proxy.count('POST')).toBe(1);
    expect(proxy.count('DELETE')).toBe(0);

    // The last node to go unregisters.
    await others[0].close();
    expect(proxy.count('DELETE')).toBe(0);
    await others[1].close();
    servers.splice(0);
    expect(proxy.count('DELETE')).toBe(1);
    expect(await entry()).toEqual([]);
    expect(proxy.count('POST')).toBe(1);
  });

  it('an entry the listing forgot is made again by the holder alone, and its new key kept in Redis', async () => {
    const id = nextId++;
    const started = await Promise.all([0, 1].map(() => node(id, { listing: { url: proxy.url, heartbeatMs: 300 } })));
    const entry = async () => (await listServers(listing.url)).filter((s) => s.id === id);
    await eventually(async () => (await entry()).length === 1, 'listed');
    const r = new Redis(redis.url);
    try {
      const key = await r.hget(`c2:{${id}}:listing`, 'key');
      expect(key).toMatch(/\S{20,}/);
      const posts = () => proxy.requests.filter((q) => q.method === 'POST' && q.path === `/servers/${id}`).length;
      expect(posts()).toBe(1);
      // The listing forgets it (as when it evicts a server).
      const gone = await fetch(`${listing.url}/servers/${id}`, {
        method: 'DELETE',
        headers: { authorization: `C2Listing ${key}` },
      });
      expect(gone.status).toBe(200);
      await eventually(async () => (await entry()).length === 1, 'listed again');
      expect(posts()).toBe(2);
      const newKey = await r.hget(`c2:{${id}}:listing`, 'key');
      expect(newKey).not.toBe(key);
      expect(started.filter((s) => s.registrar !== undefined)).toHaveLength(1);
      // The new key is the one the holder updates with: its heartbeats are accepted.
      const accepted = proxy.requests.length;
      await eventually(
        () => proxy.requests.slice(accepted).some((q) => q.method === 'PUT' && q.status === 200),
        'a PUT accepted',
      );
      expect(posts()).toBe(2);
    } finally {
      r.disconnect();
    }
  });
});
