import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';

let chat: ChatFixture;
afterEach(() => chat.close());

describe('frame limits', () => {
  it('accepts a 16 KiB frame and closes with 1009 on 16 KiB + 1', async () => {
    chat = await withChatServer();
    const c = await chat.open();
    const exact = `c2/PING ${'x'.repeat(16 * 1024 - 'c2/PING '.length)}`;
    expect(Buffer.byteLength(exact)).toBe(16 * 1024);
    c.send(exact);
    expect(await c.next()).toMatch(/^c2\/ERROR \[bad_timestamp\] PING timestamp/); // read and answered, not closed
    c.send(`${exact}x`);
    expect(await c.waitClose()).toBe(1009);
  });

  it('answers a binary frame with ERROR and keeps the connection', async () => {
    chat = await withChatServer();
    const c = await chat.connect('alice');
    c.send(Buffer.from('c2/MSG hi'));
    expect(await c.next()).toMatch(/^c2\/ERROR \[binary_frame\] binary frames/);
    c.send('c2/MSG hi');
    expect(await c.next()).toBe('c2/MSG alice; hi');
  });

  it('closes with 1007 on invalid UTF-8, leaving the others alone', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    await a.next();
    // A text frame whose payload is not UTF-8: send raw bytes through ws's sender.
    (b.ws as unknown as { _sender: { sendFrame(list: Buffer[]): void } })._sender.sendFrame([
      Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]),
    ]);
    expect(await b.waitClose()).toBe(1007);
    expect(await a.next()).toBe('c2/DISCONNECT lost_connection; bob');
  });
});

describe('slow consumers', () => {
  it('drops a reader that stops reading, without slowing or losing anything for the others', async () => {
    chat = await withChatServer({
      limits: { floodRatePerSecond: 1e6, floodBurst: 1e6, slowConsumerBytes: 256 * 1024 },
    });
    const sender = await chat.connect('sender');
    const reader = await chat.connect('reader');
    const stalled = await chat.connect('stalled');
    await sender.take(2);
    await reader.next();
    (stalled.ws as unknown as { _socket: Socket })._socket.pause();

    const text = 'x'.repeat(1000);
    const dropNotice = 'c2/DISCONNECT lost_connection; stalled';
    const seen = { sender: 0, reader: 0 };
    /** The next chat line of `who`, which must be message `i`; counts the drop notice on the way. */
    async function expectMessage(who: 'sender' | 'reader', i: number): Promise<void> {
      let frame = await (who === 'sender' ? sender : reader).next();
      if (frame === dropNotice) {
        seen[who]++;
        frame = await (who === 'sender' ? sender : reader).next();
      }
      if (frame !== `c2/MSG sender; ${i} ${text}`)
        expect.fail(`${who} expected message ${i}, got ${frame.slice(0, 40)}`);
    }
    let sent = 0;
    // Bounded: at most 40 MB in all, far above any kernel buffering on loopback.
    while (seen.reader === 0 && sent < 40_000) {
      for (let i = 0; i < 200; i++) sender.send(`c2/MSG ${sent++} ${text}`);
      for (let i = sent - 200; i < sent; i++) {
        await expectMessage('sender', i);
        await expectMessage('reader', i);
      }
    }
    expect(seen).toEqual({ sender: 1, reader: 1 });
    expect(chat.server.hub.stats.slowConsumersDropped).toBe(1);
    sender.send('c2/QUERY active_users');
    expect(await sender.until((f) => f.startsWith('c2/ACKNOWLEDGE'))).toBe('c2/ACKNOWLEDGE ["sender","reader"]');
  });
});
