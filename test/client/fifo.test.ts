/**
 * The ordering promise (contract §4) under load: many requests in flight at once, while
 * other users' broadcasts arrive between their responses. Each request carries a marker
 * its own response repeats, so a response matched to the wrong request fails the test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeC2Client } from '../../src/client/node.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import type { TestClient } from '../helpers/ws-client.js';
import { settle, trackedClient } from './helpers.js';

let chat: ChatFixture;
afterEach(() => chat?.close());

const noFlood = { limits: { floodRatePerSecond: 100_000, floodBurst: 100_000 } };

/** A deterministic pseudo-random sequence (a test that fails can be replayed). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Others chatting: `count` messages each from every raw client, as fast as they can. */
function chatter(others: TestClient[], count: number): void {
  for (const [i, other] of others.entries()) {
    for (let n = 0; n < count; n++) other.send(`c2/MSG noise ${i}.${n}`);
  }
}

type Check = (r: Awaited<ReturnType<typeof settle>>) => void;

/** Issues one random request and returns how its outcome must look. */
function randomRequest(client: NodeC2Client, i: number, random: () => number): [Promise<unknown>, Check] {
  const pick = Math.floor(random() * 6);
  switch (pick) {
    case 0: {
      const text = `mine ${i}; with a separator`;
      return [
        settle(client.send(text)),
        (r) => expect(r).toMatchObject({ ok: true, value: { text, own: true, username: client.username } }),
      ];
    }
    case 1:
      return [settle(client.query('server_info')), (r) => expect(r).toMatchObject({ ok: true, value: { id: 7 } })];
    case 2:
      return [settle(client.ping()), (r) => expect(r).toMatchObject({ ok: true, value: { serverId: 7 } })];
    case 3: {
      const name = `nope_${i}`;
      return [
        settle(client.query(name)),
        (r) =>
          expect(r).toMatchObject({
            ok: false,
            error: { code: 'server', message: expect.stringContaining(`"${name}"`) },
          }),
      ];
    }
    case 4:
      return [
        settle(client.send(' \t ')),
        (r) => expect(r).toMatchObject({ ok: false, error: { message: 'message is only white space' } }),
      ];
    default:
      return [
        settle(client.query('active_users')),
        (r) => {
          expect(r.ok).toBe(true);
          expect(r.ok && Array.isArray(r.value) && r.value.includes(client.username)).toBe(true);
        },
      ];
  }
}

describe('C2Client: FIFO matching', () => {
  it('matches pipelined requests while others chat', async () => {
    chat = await withChatServer(noFlood);
    const others = [await chat.connect('bob'), await chat.connect('carol')];
    const { client, events } = trackedClient({ maxInFlight: 1000 });
    await client.connect(chat.url, 'alice');

    const random = lcg(20251126);
    const requests: Array<[Promise<unknown>, Check]> = [];
    chatter(others, 150);
    for (let i = 0; i < 300; i++) {
      requests.push(randomRequest(client, i, random));
      if (i === 150) chatter(others, 150);
    }
    const outcomes = await Promise.all(requests.map(([p]) => p));
    for (const [i, outcome] of outcomes.entries()) requests[i]?.[1](outcome as never);

    await eventually(() => events.message.filter((m) => !m.own).length === 600, 'every message of the others');
    const own = events.message.filter((m) => m.own).map((m) => m.text);
    expect(own.length).toBeGreaterThan(20);
    expect(own.every((t) => t.startsWith('mine '))).toBe(true);
    expect(events.error).toEqual([]);
  });

  it('tracks its own name across pipelined renames', async () => {
    chat = await withChatServer(noFlood);
    const bob = await chat.connect('bob');
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    chatter([bob], 50);
    const results = await Promise.all([
      settle(client.send('as alice')),
      settle(client.rename('alice2')),
      settle(client.send('as alice2')),
      settle(client.rename('bob')), // taken: refused
      settle(client.rename('alice3')),
      settle(client.send('as alice3')),
      settle(client.rename('alice3')), // unchanged: no broadcast
      settle(client.send('still alice3')),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, true, true, true, true]);
    expect(
      results.filter((r) => r.ok && r.value).map((r) => r.ok && (r.value as { username: string }).username),
    ).toEqual(['alice', 'alice2', 'alice3', 'alice3']);
    expect(client.username).toBe('alice3');
    expect(events.rename).toEqual([
      { from: 'alice', to: 'alice2', own: true },
      { from: 'alice2', to: 'alice3', own: true },
    ]);
    await eventually(() => events.message.filter((m) => !m.own).length === 50, "bob's messages");
    expect(events.message.filter((m) => m.own).length).toBe(4);
    expect(client.users).toEqual(['bob', 'alice3']);
  });

  it('sees its own messages as own even when someone else says the same', async () => {
    chat = await withChatServer(noFlood);
    const bob = await chat.connect('bob');
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    bob.send('c2/MSG same text');
    const mine = client.send('same text');
    bob.send('c2/MSG same text');
    expect(await mine).toMatchObject({ username: 'alice', own: true });
    await eventually(() => events.message.length === 3, 'three messages');
    expect(events.message.map((m) => `${m.username}:${m.own}`).sort()).toEqual([
      'alice:true',
      'bob:false',
      'bob:false',
    ]);
  });
});
