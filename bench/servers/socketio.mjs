/**
 * Peer: Socket.IO 4, WebSocket transport only, broadcasting with `io.emit`, which encodes
 * the packet and pre-builds its WebSocket frame once for all clients. A client names
 * itself in the handshake's auth (`40{"name":…}`); `msg` events go to everyone, sender
 * included, as `42["msg","<name>","<text>"]`.
 *
 * `redis` (a Redis URL, from the cluster scenario) makes it one node of several sharing that
 * Redis through `@socket.io/redis-adapter` (pub/sub, ioredis clients): `io.emit` writes to
 * this node's clients and publishes the packet, which the other nodes write to theirs.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { runServer } from './common.mjs';

await runServer(async ({ redis }) => {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
  if (redis !== undefined) {
    const pub = new Redis(redis);
    const sub = pub.duplicate();
    await Promise.all([pub, sub].map((client) => new Promise((resolve) => client.once('ready', resolve))));
    io.adapter(createAdapter(pub, sub));
  }
  io.on('connection', (socket) => {
    const name = String(socket.handshake.auth?.name ?? socket.id);
    socket.on('msg', (text) => io.emit('msg', name, text));
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { port: http.address().port };
});
