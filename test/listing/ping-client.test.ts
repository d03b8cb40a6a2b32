import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { pingServer } from '../../src/client/node.js';
import { PingError, pingC2 } from '../../src/client/ping.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { selfSignedCert } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';
import {
  closedPort,
  fakeC2,
  frameFloodPeer,
  garbageFloodPeer,
  redirectPeer,
  silentTcpPeer,
  silentWsPeer,
} from './helpers/peers.js';

async function pingError(address: string, options: Parameters<typeof pingServer>[1] = {}): Promise<PingError> {
  const err = await pingServer(address, { timeoutMs: 1000, ...options }).then(
    (r) => new Error(`expected a failure, got ${JSON.stringify(r)}`),
    (e: unknown) => e,
  );
  if (!(err instanceof PingError)) throw err;
  return err;
}

describe('pingServer against a real chat server', () => {
  let chat: ChatFixture;
  beforeAll(async () => {
    chat = await withChatServer({ id: 4242 });
  });
  afterAll(() => chat.close());

  it('returns the server id and a round trip, from host:port', async () => {
    const result = await pingServer(`127.0.0.1:${chat.server.port}`, { expectedId: 4242 });
    expect(result.serverId).toBe(4242);
    expect(result.rttMs).toBeGreaterThanOrEqual(0);
  });

  it('accepts a ws:// URL', async () => {
    expect((await pingServer(chat.url)).serverId).toBe(4242);
  });

  it('fails with wrong_id when the server answers another id', async () => {
    const err = await pingError(`127.0.0.1:${chat.server.port}`, { expectedId: 7 });
    expect(err.code).toBe('wrong_id');
    expect(err.serverId).toBe(4242);
  });

  it('does not follow a redirect, even to the right server', async () => {
    const peer = await redirectPeer(`${chat.url}/`);
    try {
      const err = await pingError(peer.address, { expectedId: 4242 });
      expect(err.code).toBe('bad_reply');
      expect(err.message).toContain('302');
    } finally {
      await peer.close();
    }
  });
});

describe('pingServer against broken peers', () => {
  it('fails with unreachable on a closed port', async () => {
    const err = await pingError(`127.0.0.1:${await closedPort()}`);
    expect(err.code).toBe('unreachable');
  });

  it('fails with timeout when the peer accepts TCP but never upgrades', async () => {
    const peer = await silentTcpPeer();
    try {
      const err = await pingError(peer.address, { timeoutMs: 300 });
      expect(err.code).toBe('timeout');
    } finally {
      await peer.close();
    }
  });

  it('fails with timeout when the peer upgrades but never answers', async () => {
    const peer = await silentWsPeer();
    try {
      const err = await pingError(peer.address, { timeoutMs: 300 });
      expect(err.code).toBe('timeout');
      expect(peer.pings).toBe(1);
    } finally {
      await peer.close();
    }
  });

  it('stops reading a peer that floods garbage instead of an HTTP response', async () => {
    const peer = await garbageFloodPeer();
    try {
      const err = await pingError(peer.address, { timeoutMs: 3000 });
      expect(err.code).toBe('bad_reply');
      expect(err.message).toContain('did not answer with HTTP');
    } finally {
      await peer.close();
    }
  });

  it('stops reading a peer that streams an endless frame, at maxBytes', async () => {
    const peer = await frameFloodPeer();
    try {
      const err = await pingError(peer.address, { timeoutMs: 3000, maxBytes: 1024 });
      expect(err.code).toBe('bad_reply');
      expect(err.message).toContain('larger than 1024 bytes');
    } finally {
      await peer.close();
    }
  });

  it('fails with bad_reply on replies that are not the echo', async () => {
    const replies: Array<(frame: string) => string> = [
      () => 'c2/ERROR nope',
      () => 'c2/PING 1; 7',
      (f) => `${f}; 007`,
      (f) => `${f}; -1`,
      () => 'hello',
      (f) => `c2/PING ${f.slice(8)}`,
    ];
    for (const reply of replies) {
      const peer = await fakeC2(reply);
      try {
        const err = await pingError(peer.address);
        expect(err.code, reply.toString()).toBe('bad_reply');
      } finally {
        await peer.close();
      }
    }
  });

  it('fails with bad_reply on a binary reply', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => ws.on('message', () => ws.send(Buffer.from('c2/PING 1; 7'))));
    try {
      const port = (wss.address() as { port: number }).port;
      const err = await pingError(`127.0.0.1:${port}`);
      expect(err.code).toBe('bad_reply');
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });

  it('fails with invalid_address before dialling anything', async () => {
    const err = await pingError('not an address');
    expect(err.code).toBe('invalid_address');
  });

  it('can be aborted', async () => {
    const peer = await silentWsPeer();
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const err = await pingError(peer.address, { timeoutMs: 5000, signal: controller.signal });
      expect(err.code).toBe('timeout');
      expect(err.message).toContain('aborted');
    } finally {
      await peer.close();
    }
  });
});

describe('the ping over wss:// (a server with a certificate made here)', () => {
  let chat: ChatFixture;
  let address = '';
  beforeAll(async () => {
    const files = selfSignedCert(tempDir('c2-ping-tls-'));
    chat = await withChatServer({ id: 4343, tls: { cert: readFileSync(files.cert), key: readFileSync(files.key) } });
    address = `127.0.0.1:${chat.server.port}`;
  });
  afterAll(() => chat.close());

  it('pingServer verifies the certificate by default, and says why it refused it', async () => {
    const err = await pingError(`wss://${address}`);
    expect(err.code).toBe('bad_reply');
    expect(err.message).toMatch(/TLS certificate was not accepted: .*self-signed/);
    // rejectUnauthorized: false accepts it (what the listing's --allow-self-signed does).
    const ok = await pingServer(address, { secure: true, rejectUnauthorized: false, expectedId: 4343 });
    expect(ok.serverId).toBe(4343);
    // Plain ws:// to a wss://-only server: a failed exchange, never an answer.
    expect((await pingError(address)).code).toMatch(/bad_reply|unreachable/);
  });

  it('pingC2 (the browser ping) dials wss:// for host:port with secure', async () => {
    const urls: string[] = [];
    // `ws` standing in for the browser's WebSocket, trusting this one test certificate.
    class TrustingWebSocket extends WebSocket {
      constructor(url: string) {
        urls.push(url);
        super(url, { rejectUnauthorized: false });
      }
    }
    const Ctor = TrustingWebSocket as unknown as WebSocketConstructor;
    const result = await pingC2(address, { secure: true, expectedId: 4343, WebSocket: Ctor, timeoutMs: 2000 });
    expect(result.serverId).toBe(4343);
    expect(urls).toEqual([`wss://${address}`]);
    // Over ws://, the same server gives no answer: unreachable, as a browser reports it.
    const err = await pingC2(address, { WebSocket: Ctor, timeoutMs: 2000 }).then(
      () => null,
      (e: unknown) => e as PingError,
    );
    expect(err?.code).toMatch(/unreachable|bad_reply/);
  });
});
