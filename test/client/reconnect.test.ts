import { afterEach, describe, expect, it } from 'vitest';
import { NodeWebSocket } from '../../src/client/node.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { dropOnServer, trackedClient } from './helpers.js';

/** NodeWebSocket, keeping every socket the client opens, so a test can play with them. */
function recordingSockets() {
  const sockets: NodeWebSocket[] = [];
  class Recording extends NodeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { sockets, WebSocket: Recording as unknown as WebSocketConstructor };
}

let chat: ChatFixture | undefined;
const extra: ChatServer[] = [];
afterEach(async () => {
  await chat?.close();
  chat = undefined;
  await Promise.all(extra.splice(0).map((s) => s.close()));
});

const states = (events: { state: { state: string }[] }) => events.state.map((s) => s.state);

describe('C2Client: reconnect', () => {
  it('re-joins under the same name after the server drops the connection', async () => {
    chat = await withChatServer();
    const bob = await chat.connect('bob');
    const { client, events } = trackedClient({ reconnect: { initialDelayMs: 20, jitter: 0 } });
    await client.connect(chat.url, 'alice');
    await client.rename('alice2'); // the name to come back with is the current one
    await bob.take(2);

    dropOnServer(chat.server, 'alice2');
    expect(await bob.next()).toBe('c2/DISCONNECT lost_connection; alice2');
    expect(await bob.next()).toBe('c2/CONNECT alice2');
    await eventually(() => client.state === 'connected' && events.state.length > 3, 'the reconnect');
    expect(states(events)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(events.close[0]).toMatchObject({ code: 1006, willReconnect: true, error: { code: 'closed' } });
    expect(events.state[2]).toMatchObject({ state: 'reconnecting', attempt: 1, delayMs: 20 });
    expect(events.state[3]).toMatchObject({ state: 'connected', reconnected: true, serverName: 'Test' });
    expect(client.username).toBe('alice2');
    expect(client.users).toEqual(['bob', 'alice2']);

    expect(await client.send('back')).toMatchObject({ username: 'alice2', own: true });
    expect(await bob.next()).toBe('c2/MSG alice2; back');
  });

  it('waits out a server restart on the same port, with growing delays', async () => {
    const first = await startChatServer({ host: '127.0.0.1', port: 0, id: 7, name: 'One' });
    const { port } = first;
    const { client, events } = trackedClient({
      reconnect: { initialDelayMs: 30, factor: 2, maxDelayMs: 120, jitter: 0 },
    });
    await client.connect(`ws://127.0.0.1:${port}`, 'alice');
    await first.close();
    await eventually(() => events.state.filter((s) => s.state === 'reconnecting').length >= 4, 'failed attempts');
    const waits = events.state.filter((s) => s.state === 'reconnecting').map((s) => s.delayMs);
    expect(waits.slice(0, 4)).toEqual([30, 60, 120, 120]);
    expect(events.state.filter((s) => s.state === 'reconnecting')[1]?.error?.code).toBe('unreachable');
    await expect(client.send('anyone?')).rejects.toMatchObject({
      code: 'not_connected',
      message: 'not connected: reconnecting',
    });

    const second = await startChatServer({ host: '127.0.0.1', port, id: 8, name: 'Two' });
    extra.push(second);
    await eventually(() => client.state === 'connected', 'the reconnect');
    expect(client.serverName).toBe('Two');
    expect((await client.ping()).serverId).toBe(8);
  });

  it('retries while the server still holds its name (a ghost of the old connection), then gets it back', async () => {
    chat = await withChatServer();
    const bob = await chat.connect('bob');
    const { sockets, WebSocket } = recordingSockets();
    const { client, events } = trackedClient({ WebSocket, reconnect: { initialDelayMs: 30, factor: 1, jitter: 0 } });
    await client.connect(chat.url, 'alice');
    await bob.next();

    // The client's side of the connection dies; the server's side does not notice (a
    // half-open connection, as after a network change): the server still holds "alice".
    const ghost = sockets[0]!;
    ghost.onclose?.({ code: 1006, reason: '' } as never);
    await eventually(() => events.state.filter((s) => s.error?.code === 'server').length >= 2, 'refused attempts');
    const refused = events.state.find((s) => s.error?.code === 'server');
    expect(refused).toMatchObject({ state: 'reconnecting', error: { message: 'username "alice" is already taken' } });
    expect(client.state).toBe('reconnecting');

    // The server finds the ghost gone (its heartbeat would); the next attempt succeeds.
    ghost.terminate();
    expect(await bob.next()).toBe('c2/DISCONNECT lost_connection; alice');
    expect(await bob.next()).toBe('c2/CONNECT alice');
    await eventually(() => client.state === 'connected', 'the reconnect');
    expect(client.username).toBe('alice');
    expect(client.users).toEqual(['bob', 'alice']);
    expect(await client.send('back')).toMatchObject({ own: true });
  });

  it('gives up after too many refusals', async () => {
    chat = await withChatServer();
    const { sockets, WebSocket } = recordingSockets();
    const { client, events } = trackedClient({
      WebSocket,
      reconnect: { initialDelayMs: 10, jitter: 0, maxRefusals: 2 },
    });
    await client.connect(chat.url, 'alice');
    sockets[0]!.onclose?.({ code: 1006, reason: '' } as never); // the ghost keeps the name
    await eventually(() => client.state === 'closed', 'the client to give up');
    expect(events.state.at(-1)).toMatchObject({ state: 'closed', error: { code: 'server' } });
    expect(events.state.filter((s) => s.error?.code === 'server').length).toBe(3);
    expect(sockets.length).toBe(4); // the first, then three refused attempts
    sockets[0]!.terminate();
  });

  it('does not reconnect after disconnect(), and disconnect() stops a reconnect in progress', async () => {
    chat = await withChatServer();
    const { client, events } = trackedClient({ reconnect: { initialDelayMs: 50, jitter: 0 } });
    await client.connect(chat.url, 'alice');
    await client.disconnect();
    expect(states(events)).toEqual(['connecting', 'connected', 'closed']);

    await client.connect(chat.url, 'alice');
    dropOnServer(chat.server, 'alice');
    await eventually(() => client.state === 'reconnecting', 'reconnecting');
    await client.disconnect();
    expect(client.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 150));
    expect(client.state).toBe('closed');
    expect(chat.server.hub.room.size).toBe(0);
  });
});
