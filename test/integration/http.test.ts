import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';

let chat: ChatFixture;
beforeEach(async () => {
  chat = await withChatServer({ webRoot: '/nonexistent' });
});
afterEach(() => chat.close());

const base = () => `http://127.0.0.1:${chat.server.port}`;

describe('HTTP on the chat port', () => {
  it('GET /healthz reports the server', async () => {
    await chat.connect('alice');
    const res = await fetch(`${base()}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', id: 7, name: 'Test', connectedUsers: 1, maxUsers: 50 });
  });

  it('GET /metrics exposes Prometheus counters that move', async () => {
    const a = await chat.connect('alice');
    a.send('c2/MSG hi');
    await a.next();
    a.send('c2/NOPE');
    await a.next();
    const res = await fetch(`${base()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^c2_connected_users 1$/m);
    expect(text).toMatch(/^c2_messages_in_total 3$/m); // CONNECT, MSG, NOPE
    expect(text).toMatch(/^c2_errors_total\{reason="unknown_type"\} 1$/m);
    expect(text).toMatch(/^c2_slow_consumers_dropped_total 0$/m);
  });

  it('GET / serves a page (the web client, or a note that it is not built)', async () => {
    const res = await fetch(`${base()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/Chatter/);
  });

  it('accepts the WebSocket upgrade only on /', async () => {
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${chat.server.port}/other`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
    const ok = new WebSocket(`ws://127.0.0.1:${chat.server.port}/?x=1`);
    await new Promise((resolve, reject) => {
      ok.on('open', resolve);
      ok.on('error', reject);
    });
    ok.terminate();
  });

  it('answers an unknown HTTP path with 404', async () => {
    const status = await new Promise<number | undefined>((resolve) => {
      request(`${base()}/nope`, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).end();
    });
    expect(status).toBe(404);
  });
});
