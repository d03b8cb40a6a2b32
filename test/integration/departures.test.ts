import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';

let chat: ChatFixture;
afterEach(() => chat.close());

describe('departures', () => {
  it('DISCONNECT: ACKNOWLEDGE, close 1000, the others told', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    await a.next();
    b.send('c2/DISCONNECT');
    expect(await b.next()).toBe('c2/ACKNOWLEDGE');
    expect(await b.waitClose()).toBe(1000);
    expect(await a.next()).toBe('c2/DISCONNECT disconnect; bob');
    a.send('c2/QUERY active_users');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE ["alice"]');
  });

  it('an abrupt socket drop becomes lost_connection', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    await a.next();
    b.close(); // TCP torn down without a close frame
    expect(await a.next()).toBe('c2/DISCONNECT lost_connection; bob');
  });

  it('a half-open peer is found by the heartbeat', async () => {
    chat = await withChatServer({ limits: { heartbeatIntervalMs: 100 } });
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    await a.next();
    // Bob's socket stops reading: his pings go unanswered, as with a dead network path.
    (b.ws as unknown as { _socket: Socket })._socket.pause();
    expect(await a.next(2000)).toBe('c2/DISCONNECT lost_connection; bob');
    // Alice answers pings, so she stays, beat after beat.
    const beats = a.pings;
    await eventually(() => a.pings >= beats + 3, 'three more heartbeats');
    a.send('c2/PING');
    expect(await a.next()).toBe('c2/PING 7');
  });

  it('unregistered sockets leave silently', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    const c = await chat.open();
    c.close();
    await eventually(() => chat.server.hub.openSockets === 1, 'the server to see the socket closed');
    await a.quiet();
  });

  it('shutdown closes every socket with 1001', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    const u = await chat.open();
    await chat.server.close();
    expect(await a.waitClose()).toBe(1001);
    expect(await u.waitClose()).toBe(1001);
  });
});

describe('PING', () => {
  it('answers with and without a timestamp, in any state', async () => {
    chat = await withChatServer({ id: 9_007_199_254_740_991 });
    const c = await chat.open();
    c.send('c2/PING');
    expect(await c.next()).toBe('c2/PING 9007199254740991');
    c.send('c2/PING 1700000000000');
    expect(await c.next()).toBe('c2/PING 1700000000000; 9007199254740991');
    c.send('c2/PING 0000000000000001');
    expect(await c.next()).toBe('c2/PING 0000000000000001; 9007199254740991');
    c.send('c2/CONNECT alice');
    await c.next();
    c.send('c2/PING 5');
    expect(await c.next()).toBe('c2/PING 5; 9007199254740991');
  });

  it('refuses a timestamp that is not 1–16 digits', async () => {
    chat = await withChatServer();
    const c = await chat.open();
    for (const bad of ['12345678901234567', '-1', 'abc', '1.5', '1; 2', ' 1']) {
      c.send(`c2/PING ${bad}`);
      expect(await c.next(), bad).toMatch(/^c2\/ERROR \[bad_timestamp\] PING timestamp/);
    }
  });
});

describe('a member that is closing', () => {
  it('gets no more writes once its socket has ended: no "write after end" for each broadcast', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    await a.next();
    // Bob's side stops reading, then sends its close frame: the server answers with its own
    // and ends its socket, but waits for Bob's end (which never comes while he is paused).
    const bobSocket = (b.ws as unknown as { _socket: Socket })._socket;
    bobSocket.pause();
    b.ws.close(1000);
    const hub = chat.server.hub as unknown as { sockets: Set<{ username: string; socket: Socket }> };
    const server = [...hub.sockets].find((c) => c.username === 'bob')?.socket;
    if (server === undefined) throw new Error("bob's connection is not in the hub");
    await eventually(() => server.writableEnded, "the server to end bob's socket");
    const errors: string[] = [];
    server.prependListener('error', (err) => errors.push(err.message));
    const written = server.bytesWritten;
    a.send('c2/MSG hello');
    expect(await a.next()).toBe('c2/MSG alice; hello');
    a.send('c2/PING');
    expect(await a.next()).toBe('c2/PING 7');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toEqual([]);
    expect(server.bytesWritten).toBe(written);
    bobSocket.resume();
    expect(await a.next()).toBe('c2/DISCONNECT lost_connection; bob'); // a close frame without DISCONNECT
  });
});
