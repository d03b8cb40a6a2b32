import { afterEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';

let chat: ChatFixture;
afterEach(() => chat.close());

describe('a join storm (join announcements are batched)', () => {
  it('everyone sees every later join exactly once, in one order, before any later reply', async () => {
    chat = await withChatServer({ maxUsers: 100 });
    const first = await chat.connect('first');
    const joiners = await Promise.all(Array.from({ length: 40 }, () => chat.open()));
    for (const [i, c] of joiners.entries()) c.send(`c2/CONNECT user${i}`);
    const acks = await Promise.all(joiners.map((c) => c.next()));
    for (const ack of acks) expect(ack).toBe('c2/ACKNOWLEDGE Test');

    // Everyone asks for a reply now: it must come after every announcement already due to them.
    first.send('c2/PING 1');
    for (const c of joiners) c.send('c2/PING 1');

    const untilPing = async (c: (typeof joiners)[number]) => {
      const seen: string[] = [];
      for (;;) {
        const frame = await c.next();
        if (frame === 'c2/PING 1; 7') return seen;
        expect(frame).toMatch(/^c2\/CONNECT user\d+$/);
        seen.push(frame.slice('c2/CONNECT '.length));
      }
    };
    const order = await untilPing(first);
    expect([...order].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `user${i}`).sort());
    const received = await Promise.all(joiners.map(untilPing));
    joiners.forEach((_, i) => {
      const own = order.indexOf(`user${i}`);
      expect(received[i], `user${i}`).toEqual(order.slice(own + 1));
    });
    // The server agrees on the join order.
    first.send('c2/QUERY active_users');
    expect(JSON.parse((await first.next()).slice('c2/ACKNOWLEDGE '.length))).toEqual(['first', ...order]);
  });

  it('a message sent by a joiner arrives after the announcements queued before it', async () => {
    chat = await withChatServer();
    const watcher = await chat.connect('watcher');
    const a = await chat.open();
    const b = await chat.open();
    a.send('c2/CONNECT a');
    b.send('c2/CONNECT b');
    await a.next();
    await b.next();
    a.send('c2/MSG hello');
    const frames = await watcher.take(3);
    expect(frames.slice(0, 2).sort()).toEqual(['c2/CONNECT a', 'c2/CONNECT b']);
    expect(frames[2]).toBe('c2/MSG a; hello');
  });
});
