/**
 * `tls` (contract §7, turn 2): a server that speaks `wss://` only is listed with `tls: true`,
 * pinged over `wss://` (its certificate verified unless the listing runs with
 * `--allow-self-signed`), and shown with the property in every answer.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../../src/listing/index.js';
import type { ListingOptions } from '../../../src/listing/options.js';
import { type ChatServer, startChatServer } from '../../../src/server/chat-server.js';
import { eventually } from '../../helpers/eventually.js';
import { startTestListing } from '../../helpers/listing.js';
import { selfSignedCert } from '../../helpers/tls.js';
import { tempDir } from '../../helpers/tmp.js';
import type { Backend, TestDb } from '../helpers/backends.js';
import { useChats } from '../helpers/fixtures.js';
import { auth, type HttpResponse, http } from '../helpers/http.js';

interface TlsListing {
  listing: ListingServer;
  /** Every line the listing logged. */
  log: string[];
  request(path: string, options?: Parameters<typeof http>[2]): Promise<HttpResponse>;
  register(id: number, body: object): Promise<HttpResponse>;
}

/** A self-signed certificate for 127.0.0.1, made in the test: the PEM texts. */
function certificate(dir: string, name: string): { cert: string; key: string } {
  const files = selfSignedCert(dir, name);
  return { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
}

/** A listing on a fresh database whose log is kept, for the enclosing describe block. */
function useTlsListing(backend: Backend, options: ListingOptions): TlsListing {
  const handle = { log: [] as string[] } as TlsListing;
  let db: TestDb | undefined;
  beforeAll(async () => {
    db = await backend.create();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        handle.log.push(String(chunk));
        done();
      },
    });
    handle.listing = await startTestListing({ db: db.db, ...options }, pino({ level: 'debug' }, sink));
    handle.request = (path, opts) => http(handle.listing.url, path, opts);
    handle.register = (id, body) => http(handle.listing.url, `/servers/${id}`, { method: 'POST', body });
  });
  afterAll(async () => {
    await handle.listing?.close();
    await db?.drop();
  });
  return handle;
}

/** Real chat servers speaking wss:// only, with a certificate made for the test. */
function useTlsChats() {
  const dir = tempDir('c2-listing-tls-');
  const started: ChatServer[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });
  return {
    async start(id: number): Promise<ChatServer & { address: string }> {
      const server = await startChatServer({ host: '127.0.0.1', port: 0, id, tls: certificate(dir, `chat-${id}`) });
      started.push(server);
      return Object.assign(server, { address: `127.0.0.1:${server.port}` });
    },
  };
}

/** An HTTPS server that answers every request with a body the listing must never repeat. */
async function chattyHttpsPeer(dir: string): Promise<{ address: string; close(): Promise<void> }> {
  const server: HttpsServer = createHttpsServer(certificate(dir, 'chatty'), (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('SECRET-BANNER-4711 internal build 1.2.3');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function expectPlainPingFailure(res: HttpResponse, address: string, overWss: boolean): void {
  expect(res.status, res.text).toBe(400);
  expect(res.json()).toEqual({
    error: 'ping_failed',
    message: `${address} did not answer a c2 PING${overWss ? ' over wss://' : ''} within 1 s`,
  });
}

export function tlsSuite(backend: Backend) {
  describe('tls: --allow-self-signed', () => {
    const l = useTlsListing(backend, { allowSelfSigned: true, liveness: true, checkIntervalMs: 100, maxFailures: 1 });
    const tlsChats = useTlsChats();
    const chats = useChats();
    const dir = tempDir('c2-listing-tls-peer-');

    it('201 for a wss://-only server registered with tls: true; every answer shows tls', async () => {
      const chat = await tlsChats.start(1801);
      const plain = await chats.start(1802);
      const res = await l.register(1801, { address: chat.address, serverName: 'Secure', tls: true });
      expect(res.status, res.text).toBe(201);
      expect((await l.register(1802, { address: plain.address, serverName: 'Plain' })).status).toBe(201);

      const secure = {
        id: 1801,
        displayName: 'Secure',
        address: chat.address,
        connectedUsers: 0,
        maxUsers: 50,
        tls: true,
      };
      const open = {
        id: 1802,
        displayName: 'Plain',
        address: plain.address,
        connectedUsers: 0,
        maxUsers: 50,
        tls: false,
      };
      expect((await l.request('/servers/1801')).json()).toEqual(secure);
      expect((await l.request('/servers/1802')).json()).toEqual(open);
      expect((await l.request('/servers')).json()).toEqual({ servers: [secure, open] });
      expect((await l.request('/servers?sort=name&limit=1')).json()).toMatchObject({ servers: [open] });
      expect((await l.request('/servers?q=secure')).json()).toEqual({ servers: [secure] });
      const compressed = await l.request('/servers', { headers: { 'accept-encoding': 'gzip' } });
      expect(compressed.status).toBe(200);
      expect(String(compressed.headers['content-encoding'] ?? 'identity')).toMatch(/gzip|identity/);
      expect(l.log.join('')).toMatch(/registered server 1801 at wss:\/\/127\.0\.0\.1/);
    });

    it('the liveness checker pings a tls entry over wss:// and keeps it', async () => {
      const registeredAt = Date.now();
      await eventually(
        async () => ((await l.listing.store.get(1801))?.lastSeenAt ?? 0) > registeredAt,
        'a successful liveness check over wss://',
      );
      expect((await l.listing.store.get(1801))?.failures).toBe(0);
      expect((await l.request('/servers/1801')).status).toBe(200);
    });

    it('400 ping_failed: a wss://-only server registered with tls: false (the plain reason)', async () => {
      const chat = await tlsChats.start(1803);
      expectPlainPingFailure(await l.register(1803, { address: chat.address }), chat.address, false);
      expectPlainPingFailure(await l.register(1803, { address: chat.address, tls: false }), chat.address, false);
      expect((await l.request('/servers/1803')).status).toBe(404);
    });

    it('400 ping_failed: a ws://-only server registered with tls: true', async () => {
      const plain = await chats.start(1804);
      expectPlainPingFailure(await l.register(1804, { address: plain.address, tls: true }), plain.address, true);
    });

    it('400 ping_failed without a byte of what an HTTPS peer answered; the detail goes to the log', async () => {
      const peer = await chattyHttpsPeer(dir);
      try {
        const res = await l.register(1805, { address: peer.address, tls: true });
        expectPlainPingFailure(res, peer.address, true);
        expect(res.text).not.toContain('SECRET');
        expect(res.text).not.toMatch(/200|HTTP/);
        await eventually(() => l.log.some((line) => line.includes('ping_failed') && line.includes('HTTP 200')));
      } finally {
        await peer.close();
      }
    });

    it('400 invalid_property: tls must be a boolean', async () => {
      const chat = await tlsChats.start(1806);
      for (const tls of ['true', 1, null]) {
        const res = await l.register(1806, { address: chat.address, tls });
        expect(res.status, JSON.stringify(tls)).toBe(400);
        expect(res.json()).toEqual({ error: 'invalid_property', message: '"tls" must be true or false' });
      }
    });

    it('PUT tls: verified over the new scheme; a change that fails keeps the entry as it was', async () => {
      const chat = await tlsChats.start(1807);
      const key = (await l.register(1807, { address: chat.address, tls: true })).text;
      const put = (body: object) => l.request('/servers/1807', { method: 'PUT', headers: auth(key), body });
      // The same value: nothing to verify, nothing charged to the dial budget.
      const same = await put({ tls: true, connectedUsers: 1 });
      expect(same.status).toBe(200);
      expect(same.headers['x-ratelimit-remaining']).toBeUndefined();
      // To ws://: this server does not speak it. The attempt is a dial, charged like a move.
      const switched = await put({ tls: false });
      expectPlainPingFailure(switched, chat.address, false);
      expect(switched.headers['x-ratelimit-remaining']).toBeDefined();
      expect((await l.request('/servers/1807')).json()).toMatchObject({ tls: true, connectedUsers: 1 });
      expect(l.log.join('')).toMatch(/ping_failed: c2\/PING to ws:\/\/127\.0\.0\.1:\d+\//);

      // A ws:// server's entry switched to tls: refused, and so is a move to a wss:// server without tls.
      const plain = await chats.start(1808);
      const plainKey = (await l.register(1808, { address: plain.address })).text;
      const plainPut = (body: object) => l.request('/servers/1808', { method: 'PUT', headers: auth(plainKey), body });
      expectPlainPingFailure(await plainPut({ tls: true }), plain.address, true);
      const moved = await tlsChats.start(1808);
      expectPlainPingFailure(await plainPut({ address: moved.address }), moved.address, false);
      // The move and the switch together pass.
      expect((await plainPut({ address: moved.address, tls: true })).status).toBe(200);
      expect((await l.request('/servers/1808')).json()).toMatchObject({ address: moved.address, tls: true });
      // And back: the plain server again, over ws://.
      expect((await plainPut({ address: plain.address, tls: false })).status).toBe(200);
      expect((await l.request('/servers/1808')).json()).toMatchObject({ address: plain.address, tls: false });
    });
  });

  describe('tls: certificates are verified by default', () => {
    const l = useTlsListing(backend, {});
    const tlsChats = useTlsChats();

    it('400 ping_failed for a self-signed certificate, with no TLS detail for the caller; the log has it', async () => {
      const chat = await tlsChats.start(1811);
      const res = await l.register(1811, { address: chat.address, tls: true });
      expectPlainPingFailure(res, chat.address, true);
      expect(res.text).not.toMatch(/cert|self|signed|ssl|tls handshake/i);
      expect((await l.request('/servers/1811')).status).toBe(404);
      await eventually(() => l.log.some((line) => /ping_failed.*TLS certificate was not accepted/.test(line)));
    });
  });
}
