/**
 * Peer: Socket.IO 4, WebSocket transport only, broadcasting with `io.emit`, which encodes
 * the packet and pre-builds its WebSocket frame once for all clients. A client names
 * itself in the handshake's auth (`40{"name":…}`); `msg` events go to everyone, sender
 * included, as `42["msg","<name>","<text>"]`.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { runServer } from './common.mjs';

await runServer(async () => {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
  io.on('connection', (socket) => {
    const name = String(socket.handshake.auth?.name ?? socket.id);
    socket.on('msg', (text) => io.emit('msg', name, text));
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { port: http.address().port };
});
