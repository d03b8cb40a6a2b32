/**
 * Peers that a ping may meet, each on 127.0.0.1 (or a given loopback host), port 0:
 * well-behaved fake c2 servers that count pings, and misbehaving ones.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll } from 'vitest';
import { WebSocketServer } from 'ws';
import { type HeldPort, holdPort } from '../../helpers/ports.js';

export interface Peer {
  port: number;
  address: string;
  close(): Promise<void>;
}

function listen(server: Server | HttpServer, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function closer(server: Server | HttpServer, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function tracked(server: Server | HttpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  return sockets;
}

/**
 * A WebSocket server whose answer to each frame `reply` decides (undefined: no answer),
 * sent after `delayMs`.
 */
export async function fakeC2(
  reply: (frame: string) => string | undefined,
  host = '127.0.0.1',
  delayMs = 0,
): Promise<Peer & { pings: number }> {
  const http = createHttpServer((_req, res) => res.writeHead(404).end());
  const sockets = tracked(http);
  const wss = new WebSocketServer({ server: http });
  const peer = { pings: 0, port: 0, address: '', close: closer(http, sockets) };
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const frame = data.toString();
      if (frame.startsWith('c2/PING')) peer.pings++;
      const answer = reply(frame);
      if (answer !== undefined) setTimeout(() => ws.send(answer), delayMs);
    });
  });
  peer.port = await listen(http, host);
  peer.address = `${host}:${peer.port}`;
  return peer;
}

/** Answers `c2/PING <ts>` correctly as server `id` (after `delayMs`), counting pings. */
export function countingC2(id: number, host = '127.0.0.1', delayMs = 0) {
  return fakeC2(
    (frame) => {
      const ts = frame.slice('c2/PING '.length);
      return frame.startsWith('c2/PING ') ? `c2/PING ${ts}; ${id}` : undefined;
    },
    host,
    delayMs,
  );
}

/** Accepts TCP connections and never sends a byte (the upgrade never completes). */
export async function silentTcpPeer(): Promise<Peer> {
  const server = createServer(() => {});
  const sockets = tracked(server);
  const port = await listen(server, '127.0.0.1');
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets) };
}

/** Completes the WebSocket upgrade, then never answers. */
export function silentWsPeer(): Promise<Peer & { pings: number }> {
  return fakeC2(() => undefined);
}

/** Answers any connection with an endless stream of garbage bytes; counts what it sent. */
export async function garbageFloodPeer(): Promise<Peer & { bytesSent: () => number }> {
  let sent = 0;
  const server = createServer((socket) => flood(socket, Buffer.alloc(64 * 1024, 'x'), (n) => (sent += n)));
  const sockets = tracked(server);
  const port = await listen(server, '127.0.0.1');
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets), bytesSent: () => sent };
}

/**
 * Completes a real WebSocket upgrade, then announces a 4 GiB text frame and streams its
 * bytes without end: only the client's byte bound stops it.
 */
export async function frameFloodPeer(): Promise<Peer & { bytesSent: () => number }> {
  let sent = 0;
  const server = createServer((socket) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      const header = Buffer.from([0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0]);
      socket.write(header);
      flood(socket, Buffer.alloc(64 * 1024, 'a'), (n) => (sent += n));
    });
  });
  const sockets = tracked(server);
  const port = await listen(server, '127.0.0.1');
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets), bytesSent: () => sent };
}

function flood(socket: Socket, chunk: Buffer, count: (n: number) => void): void {
  const pump = () => {
    while (!socket.destroyed && socket.writable) {
      count(chunk.length);
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  socket.on('error', () => {});
  pump();
}

/** Answers every HTTP request (the upgrade included) with a redirect to `location`. */
export async function redirectPeer(location: string): Promise<Peer> {
  const server = createHttpServer((_req, res) => res.writeHead(302, { location }).end());
  server.on('upgrade', (_req, socket: Socket) => {
    socket.end(`HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  const sockets = tracked(server);
  const port = await listen(server, '127.0.0.1');
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets) };
}

/** An HTTP service that answers every request, an upgrade included, with `200 OK` and a body. */
export async function httpPeer(): Promise<Peer> {
  const server = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
  const sockets = tracked(server);
  const port = await listen(server, '127.0.0.1');
  return { port, address: `127.0.0.1:${port}`, close: closer(server, sockets) };
}

const held: HeldPort[] = [];
afterAll(async () => {
  await Promise.all(held.splice(0).map((h) => h.release()));
});

/**
 * A port on 127.0.0.1 where nothing listens: connections are refused. Held until the test
 * file ends (test/helpers/ports.ts), so no server of another test can appear on it.
 */
export async function closedPort(): Promise<number> {
  const port = await holdPort();
  held.push(port);
  return port.port;
}
