import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { TestClient } from '../helpers/ws-client.js';

/**
 * Redis that stops answering without going away (frozen, or its answers lost on the way
 * back) while a MSG is in flight (contract §11: "a message is either in the sequence, and
 * then delivered to everyone, or its sender got c2/ERROR: never half-sent"). The node neither
 * waits for ever nor guesses: the message's script has a deadline in Redis's clock, after
 * which it can no longer take effect, and then the stream tells whether it did.
 */
let redis: TestRedis;
const servers: ChatServer[] = [];
const clients: TestClient[] = [];
let nextId = 4000;

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.dispose();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function twoNodes(url: string): Promise<[TestClient, TestClient]> {
  const options = { host: '127.0.0.1', port: 0, id: nextId++, name: 'Cluster', cluster: url };
  const a = await startChatServer(options);
  const b = await startChatServer(options);
  servers.push(a, b);
  const alice = await TestClient.connect(a.url, 'alice');
  const bob = await TestClient.connect(b.url, 'bob');
  clients.push(alice, bob);
  expect(await alice.next()).toBe('c2/CONNECT bob');
  alice.send('c2/MSG one');
  for (const u of [alice, bob]) expect(await u.next()).toBe('c2/MSG alice; one');
  return [alice, bob];
}

async function historyTexts(c: TestClient): Promise<string[]> {
  c.send('c2/QUERY history');
  const answer = await c.until((f) => f.startsWith('c2/ACKNOWLEDGE ['), 5_000);
  return (JSON.parse(answer.slice('c2/ACKNOWLEDGE '.length)) as { text: string }[]).map((m) => m.text);
}

/** A TCP relay to Redis that can drop what Redis sends back on the connections open now. */
async function relay(port: number): Promise<{ url: string; mute(): void; unmute(): void; close(): void }> {
  const open = new Set<{ muted: boolean; sockets: Socket[] }>();
  const server: Server = createServer((client) => {
    const link = { muted: false, sockets: [client] as Socket[] };
    const upstream = tcpConnect({ host: '127.0.0.1', port });
    link.sockets.push(upstream);
    open.add(link);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!link.muted) client.write(d);
    });
    const end = (): void => {
      open.delete(link);
      for (const s of link.sockets) s.destroy();
    };
    for (const s of link.sockets) s.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${address.port}`,
    mute: () => {
      for (const link of open) link.muted = true;
    },
    unmute: () => {
      for (const link of open) link.muted = false;
    },
    close: () => {
      server.close();
      for (const link of open) for (const s of link.sockets) s.destroy();
    },
  };
}

describe('Redis stops answering while a message is in flight', () => {
  it('frozen 5 s: the sender is told "not sent" within seconds, and nobody ever gets the message', async () => {
    const [alice, bob] = await twoNodes(redis.url);
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
    const [alice, bob] = await twoNodes(redis.url);
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
    const link = await relay(redis.port);
    try {
      const [alice, bob] = await twoNodes(link.url);
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
      link.close();
    }
  }, 40_000);

  it('the answers of three MSGs of one sender lost: all stored, so the sender gets the three copies in order', async () => {
    const link = await relay(redis.port);
    try {
      const [alice, bob] = await twoNodes(link.url);
      link.mute();
      for (const text of ['a', 'b', 'c']) alice.send(`c2/MSG ${text}`);
      setTimeout(() => link.unmute(), 6_000);
      const copies = ['c2/MSG alice; a', 'c2/MSG alice; b', 'c2/MSG alice; c'];
      expect(await alice.take(3, 20_000)).toEqual(copies);
      expect(await bob.take(3, 20_000)).toEqual(copies);
      expect(await historyTexts(bob)).toEqual(['one', 'a', 'b', 'c']);
    } finally {
      link.close();
    }
  }, 40_000);
});
