/** The server browser's ping, against real c2 servers (with `ws` standing in for the browser's WebSocket). */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeWebSocket } from '../../src/client/node.js';
import { PingError, pingC2 } from '../../src/client/ping.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { holdPort } from '../helpers/ports.js';

const WebSocket = NodeWebSocket as unknown as WebSocketConstructor;

describe('pingC2', () => {
  let chat: ChatFixture;
  let silent: Server;
  let silentPort = 0;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    chat = await withChatServer({ id: 31337 });
    // Accepts TCP connections and never answers: the ping must time out, not hang.
    silent = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    await chat.close();
    for (const socket of accepted) socket.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('measures the round trip of c2/PING <timestamp> and reads the server id, without joining', async () => {
    const reply = await pingC2(`${chat.url}/`, { WebSocket, expectedId: 31337 });
    expect(reply.serverId).toBe(31337);
    expect(reply.rttMs).toBeGreaterThan(0);
    expect(reply.rttMs).toBeLessThan(1000);
    expect(chat.server.hub.room.size).toBe(0);
  });

  it('fails with a reason: wrong id, unreachable, no answer', async () => {
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error('the ping succeeded');
        },
        (err: PingError) => {
          expect(err).toBeInstanceOf(PingError);
          return err.code;
        },
      );
    expect(await failure(pingC2(`${chat.url}/`, { WebSocket, expectedId: 1 }))).toBe('wrong_id');
    // A port nobody listens on (held: nobody can start listening on it meanwhile).
    const closed = await holdPort();
    try {
      expect(await failure(pingC2(`127.0.0.1:${closed.port}`, { WebSocket }))).toBe('unreachable');
    } finally {
      await closed.release();
    }
    const started = Date.now();
    expect(await failure(pingC2(`ws://127.0.0.1:${silentPort}/`, { WebSocket, timeoutMs: 300 }))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
