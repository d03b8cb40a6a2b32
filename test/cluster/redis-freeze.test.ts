import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatServer } from '../../src/server/chat-server.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import type { TestClient } from '../helpers/ws-client.js';
import { ClientPool, query, twoNodes } from './helpers.js';

/**
 * Redis that stops answering without going away (frozen, or its answers lost on the way
 * back) while a MSG is in flight (contract §11: "a message is either in the sequence, and
 * then delivered to everyone, or its sender got c2/ERROR: never half-sent"). The node neither
 * waits for ever nor guesses: the message's script has a deadline in Redis's clock, after
 * which it can no longer take effect, and then the stream tells whether it did.
 */
let redis: TestRedis;
const servers: ChatServer[] = [];
const pool = new ClientPool();
let nextId = 4000;

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

/** Two nodes on the Redis at `url`, alice and bob on them, and one message both have had. */
async function talking(url: string): Promise<[TestClient, TestClient]> {
  const { alice, bob } = await twoNodes(url, nextId++, servers, pool);
  alice.send('c2/MSG one');
  for (const u of [alice, bob]) expect(await u.next()).toBe('c2/MSG alice; one');
  return [alice, bob];
}

async function historyTexts(c: TestClient): Promise<string[]> {
  return (JSON.parse(await query(c, 'history', 5_000)) as { text: string }[]).map((m) => m.text);
}

describe('Redis stops answering while a message is in flight', () => {
  it('frozen 5 s: the sender is told "not sent" within seconds, and nobody ever gets the message', async () => {
    const [alice, bob] = await talking(redis.url);
    redis.signal('SIGSTOP');
    const frozenAt = Date.now();
    alice.send('c2/MSG frozen');
    setTimeout(() => redis.signal('SIGCONT'), 5_000);
    // Told at once when the deadline has passed and Redis answers again (not after an outage of any length).
    const answer = await alice.next(15_000);
    expect(answer).toMatch(/^c2\/ERROR \[unavailable\] .*it was not sent$/);
    expect(Date.now() - frozenAt).toBeLessThan(12_000);
    // The script that Redis ran late did nothing: no one gets it, the history does not hold it.
    alice.send('c2/MSG after');
    expect(await alice.until((f) => f.startsWith('c2/MSG'), 10_000)).toBe('c2/MSG alice; after');
    expect(await bob.next(10_000)).toBe('c2/MSG alice; after');
    expect(await historyTexts(bob)).toEqual(['one', 'after']);
  }, 40_000);

  it('frozen with three MSGs of one sender on their way: each is refused in its turn, none is stored', async () => {
    const [alice, bob] = await talking(redis.url);
    redis.signal('SIGSTOP');
    // Sent at once (a connection's MSGs go to Redis without waiting for each other).
    alice.send('c2/MSG first');
    alice.send('c2/MSG second');
    alice.send('c2/MSG third');
    alice.send('c2/QUERY active_users'); // waits for the three
    setTimeout(() => redis.signal('SIGCONT'), 5_000);
    const answers = await alice.take(4, 20_000);
    for (const a of answers.slice(0, 3)) expect(a).toMatch(/^c2\/ERROR \[unavailable\] .*it was not sent$/);
    expect(answers[3]).toBe('c2/ACKNOWLEDGE ["alice","bob"]');
    alice.send('c2/MSG after');
    expect(await alice.next(10_000)).toBe('c2/MSG alice; after');
    expect(await bob.next(10_000)).toBe('c2/MSG alice; after');
    expect(await historyTexts(bob)).toEqual(['one', 'after']);
  }, 40_000);

  it('its answer lost on the way back: stored, so the sender gets its copy (no error) and everyone once', async () => {
    const link = await startTcpProxy('127.0.0.1', redis.port);
    try {
      const [alice, bob] = await talking(`redis://127.0.0.1:${link.port}`);
      link.mute();
      alice.send('c2/MSG answer lost');
      // Redis has run it; its answer (and the reader's) were dropped. Answers flow again on
      // the connections the nodes make next.
      setTimeout(() => link.unmute(), 6_000);
      expect(await alice.next(20_000)).toBe('c2/MSG alice; answer lost');
      expect(await bob.next(20_000)).toBe('c2/MSG alice; answer lost');
      alice.send('c2/MSG next');
      expect(await alice.next(10_000)).toBe('c2/MSG alice; next');
      expect(await bob.next(10_000)).toBe('c2/MSG alice; next');
      expect(await historyTexts(bob)).toEqual(['one', 'answer lost', 'next']);
    } finally {
      await link.close();
    }
  }, 40_000);

  it('the answers of three MSGs of one sender lost: all stored, so the sender gets the three copies in order', async () => {
    const link = await startTcpProxy('127.0.0.1', redis.port);
    try {
      const [alice, bob] = await talking(`redis://127.0.0.1:${link.port}`);
      link.mute();
      for (const text of ['a', 'b', 'c']) alice.send(`c2/MSG ${text}`);
      setTimeout(() => link.unmute(), 6_000);
      const copies = ['c2/MSG alice; a', 'c2/MSG alice; b', 'c2/MSG alice; c'];
      expect(await alice.take(3, 20_000)).toEqual(copies);
      expect(await bob.take(3, 20_000)).toEqual(copies);
      expect(await historyTexts(bob)).toEqual(['one', 'a', 'b', 'c']);
    } finally {
      await link.close();
    }
  }, 40_000);
});
