/**
 * The dial budget (429 for requests that make the listing dial, per caller), writes from
 * web pages on other origins (403), and 404 for everything that is not a route.
 */
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../helpers/backends.js';
import { useChats, useListing } from '../helpers/fixtures.js';
import { auth } from '../helpers/http.js';
import { closedPort, countingC2 } from '../helpers/peers.js';

/** Sends raw bytes to the listing and returns everything it answers before closing. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(answer) : reject(err)));
  });
}

export function limitsSuite(backend: Backend) {
  describe('the dial budget (--register-limit)', () => {
    const l = useListing(backend, { registerRateLimit: { max: 3, windowMs: 60_000 } });
    const A = '127.0.0.3';

    it('requests that make the listing dial count (POST, PUT with a new address); nothing else does; then 429', async () => {
      const owner = await countingC2(601, A);
      const spare = await countingC2(601, A);
      try {
        const from = { localAddress: A };
        // Refused by checks that need no network: answered 400, never counted.
        for (const [path, body] of [
          ['/servers/07', '{}'],
          ['/servers/601', '{"serverName":'],
          ['/servers/601', '{"users":1}'],
          ['/servers/601', '{"maxUsers":0}'],
          ['/servers/601', '{"serverName":"\\u0000"}'],
          ['/servers/601', `{"address":"0x7f000001:${owner.port}"}`],
          ['/servers/601', '{"address":"nope"}'],
        ] as const) {
          const res = await l.request(path, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json' },
            ...from,
          });
          expect(res.status, `${path} ${body}`).toBe(400);
          expect(res.headers['x-ratelimit-remaining'], body).toBeUndefined();
        }
        // 1: a registration.
        const created = await l.register(601, { address: owner.address }, from);
        expect(created.status).toBe(201);
        expect(created.headers['x-ratelimit-limit']).toBe('3');
        expect(created.headers['x-ratelimit-remaining']).toBe('2');
        const key = created.text;
        const put = (body: object) => l.request('/servers/601', { method: 'PUT', headers: auth(key), body, ...from });
        // Not counted: a PUT without an address, or with the entry's own address and scheme.
        for (const body of [{ connectedUsers: 1 }, { address: owner.address }, {}, { tls: false }, { maxUsers: 0 }]) {
          const res = await put(body);
          expect(res.status, JSON.stringify(body)).toBe('maxUsers' in body ? 400 : 200);
          expect(res.headers['x-ratelimit-remaining'], JSON.stringify(body)).toBeUndefined();
        }
        // 2: a PUT with a new address (that fails its ping: counted all the same).
        const moved = await put({ address: `${A}:${await closedPort()}` });
        expect([moved.status, moved.headers['x-ratelimit-remaining']]).toEqual([400, '1']);
        // 3: a registration whose ping fails.
        const failed = await l.register(602, { address: `${A}:${await closedPort()}` }, from);
        expect([failed.status, failed.headers['x-ratelimit-remaining']]).toEqual([400, '0']);
        // Over the budget: 429 before anything is dialled, for POST and PUT alike.
        for (const res of [
          await put({ address: spare.address }),
          await l.register(603, { address: spare.address }, from),
        ]) {
          expect(res.status, res.text).toBe(429);
          expect(res.json()).toMatchObject({ error: 'rate_limited' });
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
          expect(res.headers['x-ratelimit-remaining']).toBe('0');
        }
        expect([owner.pings, spare.pings]).toEqual([1, 0]);
        // What does not dial still works: a heartbeat, a rename.
        expect((await put({ connectedUsers: 2, serverName: 'Still here' })).status).toBe(200);
        // Another caller is not affected; reads are never limited.
        expect((await l.register(604, { address: '127.0.0.2:1' }, { localAddress: '127.0.0.2' })).status).toBe(400);
        expect((await l.register(604, { maxUsers: 0 }, { localAddress: '127.0.0.2' })).status).toBe(400);
        for (let i = 0; i < 5; i++) expect((await l.request('/servers', from)).status).toBe(200);
      } finally {
        await Promise.all([owner.close(), spare.close()]);
      }
    });
  });

  describe('web pages on other origins (--cors-origin)', () => {
    const allowed = 'https://admin.example.org';
    const chats = useChats();
    const state: { port?: number } = {};
    beforeAll(async () => {
      state.port = (await chats.start(620)).port;
    });
    const l = useListing(backend, () => ({ corsOrigins: [allowed], defaultChatPort: state.port ?? 0 }));

    it('403 origin_not_allowed for POST, PUT and DELETE from another origin, before anything is dialled', async () => {
      const peer = await countingC2(621);
      try {
        const evil = { origin: 'https://evil.example' };
        // The request a page can send without a preflight: a POST without a body.
        for (const res of [
          await l.register(621, undefined, { headers: evil }),
          await l.register(621, { address: peer.address }, { headers: evil }),
          await l.register(621, { address: peer.address }, { headers: { origin: 'null' } }),
        ]) {
          expect(res.status, res.text).toBe(403);
          expect(res.json()).toMatchObject({ error: 'origin_not_allowed' });
          expect(res.headers['access-control-allow-origin']).toBeUndefined();
        }
        expect(peer.pings).toBe(0);
        const key = (await l.register(621, { address: peer.address })).text;
        expect(peer.pings).toBe(1);
        for (const method of ['PUT', 'DELETE']) {
          const res = await l.request('/servers/621', {
            method,
            headers: { ...auth(key), ...evil },
            ...(method === 'PUT' ? { body: { serverName: 'Defaced' } } : {}),
          });
          expect(res.status, res.text).toBe(403);
          expect(res.json()).toMatchObject({ error: 'origin_not_allowed' });
        }
        expect((await l.request('/servers/621')).json()).toMatchObject({ displayName: 'Chatter Server' });
      } finally {
        await peer.close();
      }
    });

    it('an allowed origin may write (and read the answer); reads stay open to every origin', async () => {
      const created = await l.register(620, undefined, { headers: { origin: allowed } });
      expect(created.status, created.text).toBe(201);
      expect(created.headers['access-control-allow-origin']).toBe(allowed);
      expect(created.headers.vary).toMatch(/Origin/);
      const put = await l.request('/servers/620', {
        method: 'PUT',
        headers: { ...auth(created.text), origin: allowed },
        body: { connectedUsers: 3 },
      });
      expect(put.status, put.text).toBe(200);
      const read = await l.request('/servers/620', { headers: { origin: 'https://anyone.example' } });
      expect(read.status).toBe(200);
      expect(read.headers['access-control-allow-origin']).toBe('*');
      expect(read.json()).toMatchObject({ connectedUsers: 3 });
    });

    it('preflights offer the write methods to allowed origins only', async () => {
      const preflight = (origin: string) =>
        l.request('/servers/620', {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'PUT',
            'access-control-request-headers': 'authorization, content-type',
          },
        });
      const ok = await preflight(allowed);
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, DELETE');
      expect(ok.headers['access-control-allow-headers']).toBe('authorization, content-type');
      const other = await preflight('https://evil.example');
      expect(other.status).toBe(204);
      expect(other.headers['access-control-allow-methods']).toBe('GET, HEAD');
    });
  });

  describe('routes that do not exist, and requests that are not HTTP', () => {
    const l = useListing(backend);

    it('a very long id is still 400 invalid_id', async () => {
      const res = await l.request(`/servers/${'9'.repeat(300)}`);
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_id' });
    });

    it('malformed HTTP and oversized headers get a JSON error too', async () => {
      const garbage = await rawExchange(l.url, 'THIS IS NOT HTTP\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: 'bad_request' });
      const huge = await rawExchange(l.url, `GET /servers HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
      expect(huge).toMatch(/^HTTP\/1\.1 431 /);
      expect(huge).toContain('"error":"bad_request"');
    });

    it('404 not_found as JSON, for unknown paths and methods', async () => {
      for (const [method, path] of [
        ['GET', '/nothing'],
        ['PATCH', '/servers/1'],
        ['POST', '/servers'],
        ['GET', '/servers/1/extra'],
      ] as const) {
        const res = await l.request(path, { method });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.json()).toMatchObject({ error: 'not_found' });
      }
    });
  });
}
