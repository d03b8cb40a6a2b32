/** 429 on POST per client IP, and 404 for everything that is not a route. */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../helpers/backends.js';
import { useListing } from '../helpers/fixtures.js';

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
  describe('POST rate limit', () => {
    const l = useListing(backend, { registerRateLimit: { max: 3, windowMs: 60_000 } });

    it('429 rate_limited once one client registers too often; per client IP; GET is not limited', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await l.register(601, { maxUsers: 0 })).status).toBe(400);
      }
      const limited = await l.register(601, { maxUsers: 0 });
      expect(limited.status).toBe(429);
      expect(limited.json()).toMatchObject({ error: 'rate_limited' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another client is not affected.
      expect((await l.register(601, { maxUsers: 0 }, { localAddress: '127.0.0.2' })).status).toBe(400);
      for (let i = 0; i < 5; i++) expect((await l.request('/servers')).status).toBe(200);
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
