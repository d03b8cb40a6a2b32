/** GET /servers (shape, ETag/304, cache invalidation, CORS) and GET /servers/<id>. */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../helpers/backends.js';
import { useChats, useListing } from '../helpers/fixtures.js';
import { auth } from '../helpers/http.js';

export function readSuite(backend: Backend) {
  describe('GET /servers', () => {
    const l = useListing(backend);
    const chats = useChats();

    it('200 {"servers":[]} when nothing is listed', async () => {
      const res = await l.request('/servers');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ servers: [] });
    });

    it('200 with every server: exactly id, displayName, address, connectedUsers, maxUsers, tls, by id', async () => {
      const b = await chats.start(202);
      const a = await chats.start(201);
      expect((await l.register(202, { address: b.address, serverName: 'B', connectedUsers: 3 })).status).toBe(201);
      expect((await l.register(201, { address: a.address, serverName: 'A', maxUsers: 7 })).status).toBe(201);
      const res = await l.request('/servers');
      expect(res.json()).toEqual({
        servers: [
          { id: 201, displayName: 'A', address: a.address, connectedUsers: 0, maxUsers: 7, tls: false },
          { id: 202, displayName: 'B', address: b.address, connectedUsers: 3, maxUsers: 50, tls: false },
        ],
      });
    });

    it('ETag / If-None-Match → 304 with no body; any change gives a new ETag', async () => {
      const first = await l.request('/servers');
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(first.headers['cache-control']).toBe('no-cache');

      for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const again = await l.request('/servers', { headers: { 'if-none-match': header } });
        expect(again.status, header).toBe(304);
        expect(again.text).toBe('');
        expect(again.headers.etag).toBe(etag);
      }
      expect((await l.request('/servers', { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);

      const chat = await chats.start(203);
      const key = (await l.register(203, { address: chat.address })).text;
      const afterPost = await l.request('/servers', { headers: { 'if-none-match': etag } });
      expect(afterPost.status).toBe(200);
      expect(afterPost.json<{ servers: unknown[] }>().servers).toHaveLength(3);
      const etag2 = afterPost.headers.etag as string;
      expect(etag2).not.toBe(etag);

      await l.request('/servers/203', { method: 'PUT', headers: auth(key), body: { connectedUsers: 9 } });
      const afterPut = await l.request('/servers', { headers: { 'if-none-match': etag2 } });
      expect(afterPut.status).toBe(200);
      expect(afterPut.text).toContain('"connectedUsers":9');
      const etag3 = afterPut.headers.etag as string;

      await l.request('/servers/203', { method: 'DELETE', headers: auth(key) });
      const afterDelete = await l.request('/servers', { headers: { 'if-none-match': etag3 } });
      expect(afterDelete.status).toBe(200);
      expect(afterDelete.json<{ servers: unknown[] }>().servers).toHaveLength(2);
      // Back to the first content: the ETag follows the content.
      expect(afterDelete.headers.etag).toBe(etag);
    });

    it('a PUT that changes nothing public keeps the ETag', async () => {
      const chat = await chats.start(204);
      const key = (await l.register(204, { address: chat.address })).text;
      const before = (await l.request('/servers')).headers.etag as string;
      expect((await l.request('/servers/204', { method: 'PUT', headers: auth(key) })).status).toBe(200);
      expect((await l.request('/servers', { headers: { 'if-none-match': before } })).status).toBe(304);
    });

    it('HEAD answers the headers without a body', async () => {
      const res = await l.request('/servers', { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect(res.headers.etag).toBeDefined();
    });

    it('CORS: any origin may GET; the ETag is exposed', async () => {
      const res = await l.request('/servers', { headers: { origin: 'https://somewhere.example' } });
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(String(res.headers['access-control-expose-headers'])).toMatch(/etag/i);
      const one = await l.request('/servers/201', { headers: { origin: 'https://somewhere.example' } });
      expect(one.headers['access-control-allow-origin']).toBe('*');
      // Errors of the read routes are readable by the page too (here 404 not_listed).
      const missing = await l.request('/servers/4242', { headers: { origin: 'https://somewhere.example' } });
      expect(missing.status).toBe(404);
      expect(missing.headers['access-control-allow-origin']).toBe('*');
    });

    it('CORS: a preflight for a revalidating GET is allowed, and cached for 10 minutes', async () => {
      const preflight = await l.request('/servers', {
        method: 'OPTIONS',
        headers: {
          origin: 'https://somewhere.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'if-none-match',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
      expect(String(preflight.headers['access-control-allow-methods'])).toBe('GET, HEAD');
      expect(String(preflight.headers['access-control-allow-headers'])).toBe('if-none-match');
      expect(preflight.headers['access-control-max-age']).toBe('600');
    });

    it('CORS: browsers are offered GET and HEAD only, and no CORS headers on writes', async () => {
      const preflight = await l.request('/servers/201', {
        method: 'OPTIONS',
        headers: { origin: 'https://somewhere.example', 'access-control-request-method': 'PUT' },
      });
      expect(preflight.status).toBeLessThan(300);
      const methods = String(preflight.headers['access-control-allow-methods'] ?? '');
      expect(methods).toContain('GET');
      expect(methods).not.toContain('PUT');
      expect(methods).not.toContain('DELETE');
      const post = await l.register(299, {}, { headers: { origin: 'https://somewhere.example' } });
      expect(post.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('GET /servers/<id>', () => {
    const l = useListing(backend);
    const chats = useChats();

    it('200 with the one server', async () => {
      const chat = await chats.start(0);
      expect((await l.register(0, { address: chat.address })).status).toBe(201);
      const res = await l.request('/servers/0');
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({
        id: 0,
        displayName: 'Chatter Server',
        address: chat.address,
        connectedUsers: 0,
        maxUsers: 50,
        tls: false,
      });
    });

    it('404 not_listed', async () => {
      const res = await l.request('/servers/9007199254740991');
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_listed' });
    });

    it('400 invalid_id', async () => {
      for (const id of ['00', '-0', 'x', '9007199254740992']) {
        const res = await l.request(`/servers/${id}`);
        expect(res.status, id).toBe(400);
        expect(res.json()).toMatchObject({ error: 'invalid_id' });
      }
    });
  });
}
