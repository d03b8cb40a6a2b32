/**
 * What the client does when the server breaks the protocol or stops answering: a scripted
 * WebSocket server (not a c2 server) answers exactly as each test says.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { eventually } from '../helpers/eventually.js';
import { settle, trackedClient } from './helpers.js';

let wss: WebSocketServer | undefined;
afterEach(async () => {
  for (const ws of wss?.clients ?? []) ws.terminate();
  await new Promise((r) => wss?.close(r) ?? r(undefined));
  wss = undefined;
});

/**
 * A server that joins anyone (`c2/ACKNOWLEDGE Fake`, users `["x"]`, an empty sequence) and hands
 * later frames to `script`.
 */
async function scripted(script: (frame: string, ws: WebSocket) => void): Promise<string> {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss?.once('listening', r));
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const frame = data.toString();
      if (frame.startsWith('c2/CONNECT ')) ws.send('c2/ACKNOWLEDGE Fake');
      else if (frame === 'c2/QUERY active_users') ws.send('c2/ACKNOWLEDGE ["x"]');
      else if (frame === 'c2/QUERY server_info') ws.send('c2/ACKNOWLEDGE {"epoch":"e1","lastSeq":0}');
      else if (frame.startsWith('c2/QUERY history_after; e1; 0')) {
        ws.send('c2/ACKNOWLEDGE {"epoch":"e1","lastSeq":0,"recovered":true,"more":false,"messages":[]}');
      } else script(frame, ws);
    });
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

describe('C2Client against a misbehaving server', () => {
  it('reports an ERROR that answers no request, and unreadable frames, as error events', async () => {
    const url = await scripted((frame, ws) => {
      if (frame === 'c2/QUERY poke') {
        ws.send('c2/ACKNOWLEDGE poked');
        ws.send('c2/ERROR out of the blue');
        ws.send('garbage');
        ws.send(Buffer.from([1, 2, 3]), { binary: true });
      }
    });
    const { client, events } = trackedClient();
    await client.connect(url, 'alice');
    expect(await client.query('poke')).toBe('poked');
    await eventually(() => events.error.length === 3, 'three errors');
    expect(events.error.map((e) => [e.code, e.message])).toEqual([
      ['server', 'out of the blue'],
      ['protocol', expect.stringContaining('unreadable frame')],
      ['protocol', 'the server sent a binary frame'],
    ]);
    expect(client.state).toBe('connected');
  });

  it('gives the connection up when a response does not fit the oldest request', async () => {
    const url = await scripted((frame, ws) => {
      if (frame.startsWith('c2/MSG ')) ws.send('c2/ACKNOWLEDGE'); // a MSG is answered by its echo
    });
    const { client, events } = trackedClient();
    await client.connect(url, 'alice');
    const sent = settle(client.send('hello'));
    const queued = settle(client.query('server_info'));
    expect(await sent).toMatchObject({
      ok: false,
      error: { code: 'protocol', message: expect.stringContaining('out of order') },
    });
    expect(await queued).toMatchObject({ ok: false, error: { code: 'protocol' } });
    await eventually(() => events.close.length === 1, 'the close');
    expect(client.state).toBe('closed');
  });

  it('times a silent server out, rejecting everything pending, and reconnects', async () => {
    let connections = 0;
    const url = await scripted(() => {}); // never answers anything after joining
    wss?.on('connection', () => connections++);
    const { client, events } = trackedClient({ requestTimeoutMs: 200, reconnect: { initialDelayMs: 20, jitter: 0 } });
    await client.connect(url, 'alice');
    const first = settle(client.ping());
    const second = settle(client.send('anyone?'));
    expect(await first).toMatchObject({
      ok: false,
      error: { code: 'timeout', message: expect.stringContaining('PING') },
    });
    expect(await second).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(events.close[0]).toMatchObject({ willReconnect: true, error: { code: 'timeout' } });
    await eventually(() => events.state.filter((s) => s.state === 'connected').length === 2, 'the reconnect');
    expect(events.state.at(-1)).toMatchObject({ state: 'connected', reconnected: true, serverName: 'Fake' });
    expect(connections).toBe(2);
  });

  it('rejects pending requests when the server closes the socket', async () => {
    const url = await scripted((frame, ws) => {
      if (frame.startsWith('c2/QUERY slow')) setTimeout(() => ws.close(4001, 'bye'), 50);
    });
    const { client, events } = trackedClient();
    await client.connect(url, 'alice');
    const pending = [settle(client.query('slow')), settle(client.query('slower')), settle(client.ping())];
    for (const outcome of await Promise.all(pending)) {
      expect(outcome).toMatchObject({ ok: false, error: { code: 'closed', message: expect.stringContaining('bye') } });
    }
    expect(events.close).toEqual([
      { code: 4001, reason: 'bye', error: expect.objectContaining({ code: 'closed' }), willReconnect: false },
    ]);
  });

  it('fails connect when the socket opens but the join is never answered', async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss?.once('listening', r));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const { client } = trackedClient({ connectTimeoutMs: 200 });
    await expect(client.connect(url, 'alice')).rejects.toMatchObject({ code: 'timeout' });
    expect(client.state).toBe('closed');
  });

  it('fails connect with a readable error when the server is not a WebSocket server', async () => {
    const { createServer } = await import('node:http');
    const http = createServer((_req, res) => res.writeHead(404).end('no'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const { client } = trackedClient();
      await expect(client.connect(url, 'alice')).rejects.toMatchObject({
        code: 'unreachable',
        message: expect.stringContaining('Unexpected server response: 404'),
      });
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});
