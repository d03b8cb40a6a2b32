/**
 * Gapless resume (contract §10) with the client library against a real server: the
 * counting rule while broadcasts interleave with the answers, a client cut off (its socket
 * destroyed, no DISCONNECT) while others talk, a history size passed while away, and a new
 * store (a new epoch). The restarts of a server process are in test/faults/resume-restart.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeC2Client } from '../../src/client/node.js';
import type { ChatMessage, HistoryEntry } from '../../src/client/types.js';
import { startChatServer } from '../../src/server/chat-server.js';
import type { ChatServerOptions } from '../../src/server/options.js';
import { dropOnServer, type Recorded, trackedClient } from '../client/helpers.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const FAST = { floodRatePerSecond: 100_000, floodBurst: 100_000 };
const servers: Array<{ close(): Promise<void> }> = [];
const raw: TestClient[] = [];
afterEach(async () => {
  for (const c of raw.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(options: Partial<ChatServerOptions> = {}) {
  const s = await startChatServer({ host: '127.0.0.1', port: 0, id: 7, name: 'Test', limits: FAST, ...options });
  servers.push(s);
  return { server: s, url: `ws://127.0.0.1:${s.port}` };
}

async function talker(url: string, name: string): Promise<TestClient> {
  const c = await TestClient.connect(url, name);
  raw.push(c);
  return c;
}

/** Sends `count` messages from `c`, and waits for the echo of the last one (every one is then durable and sent). */
async function burst(c: TestClient, name: string, count: number, tag: string): Promise<void> {
  for (let i = 0; i < count; i++) c.send(`c2/MSG ${tag} ${i}`);
  await c.until((f) => f === `c2/MSG ${name}; ${tag} ${count - 1}`, 15_000);
}

async function everything(url: string): Promise<HistoryEntry[]> {
  const { client } = trackedClient();
  await client.connect(url, 'auditor');
  const all = await client.query('history', '500');
  await client.disconnect();
  return all;
}

/** The client's messages must be the sequence from `from` on: every seq once, in order, with its text. */
function expectExactly(messages: readonly ChatMessage[], history: readonly HistoryEntry[], from: number): void {
  const expected = history.filter((h) => h.seq >= from);
  expect(messages.map((m) => [m.seq, m.username, m.text])).toEqual(expected.map((h) => [h.seq, h.username, h.text]));
}

function resumingClient(initialDelayMs = 300): { client: NodeC2Client; events: Recorded } {
  return trackedClient({ reconnect: { initialDelayMs, jitter: 0, maxRefusals: 50 } });
}

describe('gapless resume with the client library', () => {
  it('counts every seq exactly while broadcasts interleave with its answers, across reconnects', async () => {
    const { server: s, url } = await server();
    const talkers = await Promise.all(['t1', 't2'].map((n) => talker(url, n)));
    let talking = true;
    const chatter = (async () => {
      for (let i = 0; talking && i < 600; i++) {
        for (const [k, t] of talkers.entries()) t.send(`c2/MSG chatter ${k} ${i}`);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // Joins land in the middle of the chatter: the messages before server_info's answer are counted back.
    const watchers = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const w = resumingClient(50);
        await w.client.connect(url, `w${i}`);
        return w;
      }),
    );
    // Requests of our own interleave too: echoes, pings, queries.
    for (const w of watchers) {
      await w.client.send(`from ${w.client.username}`);
      await w.client.ping();
      await w.client.query('server_info');
    }
    // Two of them lose their sockets in the middle of it, and resume.
    for (const w of watchers.slice(0, 2)) dropOnServer(s, w.client.username);
    await eventually(
      () => watchers.every((w) => w.events.resumed.length === (watchers.indexOf(w) < 2 ? 1 : 0)),
      'resumed',
    );
    talking = false;
    await chatter;
    const last = await talker(url, 'last');
    await burst(last, 'last', 1, 'end');
    await eventually(() => watchers.every((w) => w.events.message.at(-1)?.text === 'end 0'), 'the last message');

    const history = s.hub.messages.last(2_000);
    expect(history.length).toBeLessThan(2_000);
    for (const w of watchers) {
      const first = w.events.message[0]?.seq as number;
      expect(first).toBeGreaterThan(0);
      expectExactly(w.events.message, history, first);
    }
    for (const w of watchers.slice(0, 2)) expect(w.events.resumed[0]).toMatchObject({ recovered: true });
  }, 30_000);

  it('a client cut off while two others send 300 messages gets each of them once, in order', async () => {
    const { server: s, url } = await server();
    const { client, events } = resumingClient(1500);
    await client.connect(url, 'alice');
    const [bob, carol] = await Promise.all([talker(url, 'bob'), talker(url, 'carol')]);
    await burst(bob, 'bob', 5, 'before');
    await eventually(() => events.message.length === 5, 'the first five');

    dropOnServer(s, 'alice');
    await eventually(() => client.state === 'reconnecting', 'reconnecting');
    await Promise.all([burst(bob, 'bob', 150, 'away'), burst(carol, 'carol', 150, 'away')]);
    expect(client.state).toBe('reconnecting');

    await eventually(() => events.resumed.length === 1, 'resumed', 10_000);
    expect(events.resumed[0]).toEqual({ recovered: true, restored: 300 });
    await burst(carol, 'carol', 1, 'after');
    await eventually(() => events.message.at(-1)?.text === 'after 0', 'the live message after');

    const history = await everything(url);
    expect(history).toHaveLength(306);
    expectExactly(events.message, history, 1);
    expect(events.message.filter((m) => m.replayed)).toHaveLength(300);
    expect(events.message.slice(5, 305).every((m) => m.replayed)).toBe(true);
    expect(client.position).toEqual({ epoch: expect.any(String), seq: 306 });
    expect(client.users).toEqual(['bob', 'carol', 'alice']);
  }, 30_000);

  it('--history-size 50 and 200 messages while away: recovered false, the most recent 50 restored', async () => {
    const { server: s, url } = await server({ historySize: 50, dataDir: tempDir() });
    const { client, events } = resumingClient(1500);
    await client.connect(url, 'alice');
    const bob = await talker(url, 'bob');
    await burst(bob, 'bob', 3, 'before');
    await eventually(() => events.message.length === 3, 'the first three');
    const lostAt = Date.now();
    dropOnServer(s, 'alice');
    await eventually(() => client.state === 'reconnecting', 'reconnecting');
    await burst(bob, 'bob', 200, 'away');
    await eventually(() => events.resumed.length === 1, 'resumed', 10_000);

    const [resumed] = events.resumed;
    expect(resumed).toMatchObject({ recovered: false, restored: 50 });
    const replayed = events.message.filter((m) => m.replayed);
    expect(replayed.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 154 + i));
    expect(replayed.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `away ${150 + i}`));
    expect(resumed?.missedFrom).toBeGreaterThanOrEqual(lostAt);
    expect(resumed?.missedTo).toBe(replayed[0]?.time);
    expect(events.message).toHaveLength(53);
  }, 30_000);

  it('a new store (a new epoch): recovered false, and the new sequence counted from its start', async () => {
    const first = await server({ dataDir: tempDir() });
    const port = first.server.port;
    const { client, events } = resumingClient(800);
    await client.connect(first.url, 'alice');
    const bob = await talker(first.url, 'bob');
    await burst(bob, 'bob', 4, 'old');
    await eventually(() => events.message.length === 4, 'four');
    const oldEpoch = client.position?.epoch;
    await first.server.close();
    servers.splice(servers.indexOf(first.server), 1);

    const second = await server({ dataDir: tempDir(), port });
    const carol = await talker(second.url, 'carol');
    await burst(carol, 'carol', 2, 'new');
    await eventually(() => events.resumed.length === 1, 'resumed', 10_000);
    expect(events.resumed[0]).toMatchObject({ recovered: false, restored: 2 });
    expect(client.position?.epoch).not.toBe(oldEpoch);
    expect(events.message.slice(4).map((m) => [m.seq, m.text, m.replayed])).toEqual([
      [1, 'new 0', true],
      [2, 'new 1', true],
    ]);
    await burst(carol, 'carol', 1, 'live');
    await eventually(() => events.message.at(-1)?.text === 'live 0', 'live');
    expect(events.message.at(-1)).toMatchObject({ seq: 3, replayed: false });
  }, 30_000);
});
