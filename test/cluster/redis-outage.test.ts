import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatServer } from '../../src/server/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { ClientPool, query, twoNodes } from './helpers.js';

/**
 * Redis away for 5 s under chat (contract §11, "Nodes fail"): requests that need it get
 * `c2/ERROR [unavailable]`, sockets stay open, nobody gets a message twice or out of order,
 * and the nodes work again by themselves when it returns (with its AOF: the same epoch).
 */
let redis: TestRedis;
const servers: ChatServer[] = [];
const pool = new ClientPool();

beforeAll(async () => {
  redis = await startTestRedis({ appendonly: true });
});
afterAll(async () => {
  pool.closeAll();
  await Promise.all(servers.map((s) => s.close()));
  await redis?.dispose();
});

const join = (url: string, name: string) => pool.join(url, name);

describe('Redis goes away', () => {
  it('for 5 s: [unavailable] meanwhile, sockets kept, no message twice or out of order, recovery by itself', async () => {
    const { b, alice, bob } = await twoNodes(redis.url, 77, servers, pool);
    alice.send('c2/MSG one');
    for (const u of [alice, bob]) expect(await u.next()).toBe('c2/MSG alice; one');
    const { epoch } = JSON.parse(await query(bob, 'server_info'));

    await redis.stop();
    const outage = Date.now();
    // Every request that needs Redis is refused plainly, in order; the sockets stay open.
    alice.send('c2/MSG lost');
    expect(await alice.next()).toMatch(/^c2\/ERROR \[unavailable\] /);
    bob.send('c2/UPDATE username; robert');
    expect(await bob.next()).toMatch(/^c2\/ERROR \[unavailable\] /);
    const carol = await pool.open(b.url);
    carol.send('c2/CONNECT carol');
    expect(await carol.next()).toMatch(/^c2\/ERROR \[unavailable\] /);
    bob.send('c2/PING 5');
    expect(await bob.next()).toBe('c2/PING 5; 77');
    await new Promise((r) => setTimeout(r, Math.max(0, 5_000 - (Date.now() - outage))));
    expect(alice.closeCode).toBeUndefined();
    expect(bob.closeCode).toBeUndefined();

    await redis.start();
    // Back by itself: the next message goes through, with the same epoch and the next seq.
    await eventually(
      async () => {
        alice.send('c2/MSG two');
        const answer = await alice.next(5_000);
        return answer === 'c2/MSG alice; two';
      },
      'a message through after Redis returned',
      20_000,
    );
    expect(await bob.until((f) => f === 'c2/MSG alice; two', 5_000)).toBe('c2/MSG alice; two');
    const info = JSON.parse(await query(bob, 'server_info'));
    expect(info).toMatchObject({ epoch, lastSeq: 2, connectedUsers: 2 });
    const history = JSON.parse(await query(alice, 'history'));
    expect(history.map((m: { seq: number; text: string }) => `${m.seq} ${m.text}`)).toEqual(['1 one', '2 two']);
    // Nothing else arrived: no duplicate, nothing of the refused requests.
    await alice.quiet();
    await bob.quiet();
    carol.send('c2/CONNECT carol');
    expect(await carol.next()).toBe('c2/ACKNOWLEDGE Cluster');
  }, 40_000);
});

describe('Redis restarted empty', () => {
  it('a new epoch: users are disconnected, come back, and are told some messages could not be restored', async () => {
    const empty = await startTestRedis();
    try {
      const { a, b, alice, bob } = await twoNodes(empty.url, 78, servers, pool);
      bob.send('c2/MSG before');
      for (const u of [alice, bob]) expect(await u.next()).toBe('c2/MSG bob; before');
      const old = JSON.parse(await query(alice, 'server_info'));

      await empty.stop();
      await empty.start();
      // The nodes find the state gone: their users' seats no longer exist, so they are closed.
      await alice.waitClose(10_000);
      await bob.waitClose(10_000);
      const alice2 = await join(b.url, 'alice');
      const info = JSON.parse(await query(alice2, 'server_info'));
      expect(info.epoch).not.toBe(old.epoch);
      expect(info.lastSeq).toBe(0);
      const after = JSON.parse(await query(alice2, `history_after; ${old.epoch}; ${old.lastSeq}`));
      expect(after).toMatchObject({ epoch: info.epoch, recovered: false, messages: [] });
      const bob2 = await join(a.url, 'bob');
      await alice2.until((f) => f === 'c2/CONNECT bob');
      bob2.send('c2/MSG after');
      for (const u of [alice2, bob2]) expect(await u.until((f) => f.startsWith('c2/MSG'))).toBe('c2/MSG bob; after');
      expect(JSON.parse(await query(bob2, 'history'))).toMatchObject([{ seq: 1, text: 'after' }]);
    } finally {
      await empty.dispose();
    }
  }, 40_000);
});
