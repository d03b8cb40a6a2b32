/**
 * The message sequence of contract §10 over real sockets: server_info's epoch and lastSeq,
 * seqs in history, and history_after (paging, the bounds, another epoch, a passed history
 * size, bad arguments).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import type { TestClient } from '../helpers/ws-client.js';

let chat: ChatFixture;
afterEach(() => chat.close());

interface Info {
  epoch: string;
  lastSeq: number;
}
interface After {
  epoch: string;
  lastSeq: number;
  recovered: boolean;
  more: boolean;
  messages: Array<{ seq: number; username: string; text: string; time: number }>;
}

async function ask<T>(client: TestClient, query: string): Promise<T> {
  client.send(`c2/QUERY ${query}`);
  const frame = await client.until((f) => f.startsWith('c2/ACKNOWLEDGE ') || f.startsWith('c2/ERROR '));
  if (frame.startsWith('c2/ERROR ')) throw new Error(frame);
  return JSON.parse(frame.slice('c2/ACKNOWLEDGE '.length)) as T;
}

/** Sends `n` messages as `client` and waits for their echoes. */
async function say(client: TestClient, n: number, prefix = 'm'): Promise<void> {
  for (let i = 0; i < n; i++) {
    client.send(`c2/MSG ${prefix}${i}`);
    await client.until((f) => f.startsWith('c2/MSG '));
  }
}

describe('server_info and the sequence', () => {
  it('answers an epoch and lastSeq, and each MSG after the answer is the next seq', async () => {
    chat = await withChatServer({ limits: { floodRatePerSecond: 1000, floodBurst: 1000 } });
    const alice = await chat.connect('alice');
    const first = await ask<Info>(alice, 'server_info');
    expect(first.epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(first.lastSeq).toBe(0);
    await say(alice, 3);
    // Pipelined in one write: the answer counts the message sent just before it.
    alice.send('c2/MSG counted');
    alice.send('c2/QUERY server_info');
    expect(await alice.next()).toBe('c2/MSG alice; counted');
    expect(JSON.parse((await alice.next()).slice('c2/ACKNOWLEDGE '.length))).toMatchObject({
      epoch: first.epoch,
      lastSeq: 4,
    });
    const bob = await chat.connect('bob');
    const info = await ask<Info>(bob, 'server_info');
    alice.send('c2/MSG five');
    expect(await bob.next()).toBe('c2/MSG alice; five');
    const history = await ask<After['messages']>(bob, 'history; 2');
    expect(history.map((m) => [m.seq, m.text])).toEqual([
      [info.lastSeq, 'counted'],
      [info.lastSeq + 1, 'five'],
    ]);
  });
});

describe('history_after', () => {
  it('answers the messages after a seq, oldest first, and pages with more', async () => {
    chat = await withChatServer({ limits: { floodRatePerSecond: 1000, floodBurst: 1000 } });
    const alice = await chat.connect('alice');
    await say(alice, 7);
    const { epoch } = await ask<Info>(alice, 'server_info');
    const all = await ask<After>(alice, `history_after; ${epoch}; 0`);
    expect(all).toMatchObject({ epoch, lastSeq: 7, recovered: true, more: false });
    expect(all.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all.messages[0]).toEqual({ seq: 1, username: 'alice', text: 'm0', time: expect.any(Number) });
    // Pages of 3 join into the exact sequence.
    const seen: number[] = [];
    let from = 2;
    for (;;) {
      const page = await ask<After>(alice, `history_after; ${epoch}; ${from}; 3`);
      expect(page.recovered).toBe(true);
      seen.push(...page.messages.map((m) => m.seq));
      if (!page.more) break;
      from = page.messages[page.messages.length - 1]?.seq as number;
    }
    expect(seen).toEqual([3, 4, 5, 6, 7]);
    // Nothing missed: an empty answer.
    expect(await ask<After>(alice, `history_after; ${epoch}; 7`)).toEqual({
      epoch,
      lastSeq: 7,
      recovered: true,
      more: false,
      messages: [],
    });
  });

  it('says recovered: false for another epoch, with the most recent messages', async () => {
    chat = await withChatServer();
    const alice = await chat.connect('alice');
    await say(alice, 4);
    const answer = await ask<After>(alice, 'history_after; 0123456789abcdef; 2; 3');
    expect(answer.recovered).toBe(false);
    expect(answer.more).toBe(false);
    expect(answer.epoch).not.toBe('0123456789abcdef');
    expect(answer.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
  });

  it('says recovered: false once the history size has been passed, from the store as from memory', async () => {
    chat = await withChatServer({ historySize: 5, limits: { floodRatePerSecond: 1000, floodBurst: 1000 } });
    const alice = await chat.connect('alice');
    await say(alice, 12);
    const { epoch } = await ask<Info>(alice, 'server_info');
    const lost = await ask<After>(alice, `history_after; ${epoch}; 3`);
    expect(lost).toMatchObject({ recovered: false, more: false, lastSeq: 12 });
    expect(lost.messages.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
    const kept = await ask<After>(alice, `history_after; ${epoch}; 7`);
    expect(kept).toMatchObject({ recovered: true, more: false });
    expect(kept.messages.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
  });

  it('keeps the answer within 512 KiB and says more', async () => {
    chat = await withChatServer();
    const long = '😀'.repeat(2000);
    for (let i = 0; i < 500; i++) chat.server.hub.messages.append('bob', `${i} ${long}`, 1_700_000_000_000 + i, null);
    chat.server.hub.settle();
    const reader = await chat.connect('reader');
    const { epoch } = await ask<Info>(reader, 'server_info');
    reader.send(`c2/QUERY history_after; ${epoch}; 0`);
    const frame = await reader.next(5000);
    expect(Buffer.byteLength(frame.slice('c2/ACKNOWLEDGE '.length))).toBeLessThanOrEqual(512 * 1024);
    const page = JSON.parse(frame.slice('c2/ACKNOWLEDGE '.length)) as After;
    expect(page).toMatchObject({ recovered: true, more: true, lastSeq: 500 });
    expect(page.messages[0]?.seq).toBe(1);
    expect(page.messages.length).toBeGreaterThan(50);
    expect(page.messages.length).toBeLessThan(500);
    const next = await ask<After>(reader, `history_after; ${epoch}; ${page.messages.at(-1)?.seq}`);
    expect(next.messages[0]?.seq).toBe((page.messages.at(-1)?.seq as number) + 1);
  });

  it('refuses bad arguments with an ERROR and keeps the connection', async () => {
    chat = await withChatServer();
    const alice = await chat.connect('alice');
    await say(alice, 2);
    const { epoch } = await ask<Info>(alice, 'server_info');
    for (const [args, reason] of [
      ['', /usage: c2\/QUERY history_after; <epoch>; <seq>/],
      [`; ${epoch}`, /usage/],
      ['; !!; 1', /needs an epoch/],
      [`; ${'a'.repeat(65)}; 1`, /needs an epoch/],
      [`; ${epoch}; -1`, /needs a seq/],
      [`; ${epoch}; 1.5`, /needs a seq/],
      [`; ${epoch}; abc`, /needs a seq/],
      [`; ${epoch}; 01`, /needs a seq/],
      [`; ${epoch}; 9007199254740992`, /needs a seq/],
      [`; ${epoch}; 3`, /seq 3 is after the last message of this epoch \(2\)/],
      [`; ${epoch}; 0; 0`, /1 to 500 messages/],
      [`; ${epoch}; 0; 501`, /1 to 500 messages/],
      [`; ${epoch}; 0; x`, /1 to 500 messages/],
    ] as const) {
      alice.send(`c2/QUERY history_after${args}`);
      const frame = await alice.next();
      expect(frame, args).toMatch(/^c2\/ERROR /);
      expect(frame, args).toMatch(reason);
    }
    alice.send('c2/QUERY history_after; 0; 0; 0');
    expect(await alice.next()).toMatch(/1 to 500/);
    alice.send('c2/PING 42');
    expect(await alice.next()).toBe('c2/PING 42; 7');
  });
});
