/** PUT and DELETE /servers/<id>: every status code, and the Authorization header's strict parsing. */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../helpers/backends.js';
import { type ListingHandle, useChats, useListing } from '../helpers/fixtures.js';
import { auth, type HttpResponse } from '../helpers/http.js';
import { closedPort } from '../helpers/peers.js';

function expectCode(res: HttpResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.json()).toMatchObject({ error: code });
}

async function listed(l: ListingHandle, id: number, chats: ReturnType<typeof useChats>, body: object = {}) {
  const chat = await chats.start(id);
  const res = await l.register(id, { address: chat.address, ...body });
  expect(res.status).toBe(201);
  return { key: res.text, chat };
}

export function updateSuite(backend: Backend) {
  describe('PUT /servers/<id>', () => {
    const l = useListing(backend);
    const chats = useChats();
    const put = (
      id: number | string,
      key: string | undefined,
      body?: object | string,
      headers: Record<string, string> = {},
    ) =>
      l.request(`/servers/${id}`, {
        method: 'PUT',
        headers: { ...(key === undefined ? {} : auth(key)), ...headers },
        ...(body === undefined ? {} : { body }),
      });

    it('200 with an empty body: sets the given properties, keeps the others', async () => {
      const { key, chat } = await listed(l, 301, chats, { serverName: 'Before', maxUsers: 20 });
      const res = await put(301, key, { connectedUsers: 5 });
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect((await l.request('/servers/301')).json()).toEqual({
        id: 301,
        displayName: 'Before',
        address: chat.address,
        connectedUsers: 5,
        maxUsers: 20,
        tls: false,
      });
      expect((await put(301, key, { serverName: 'After', maxUsers: 6 })).status).toBe(200);
      expect((await l.request('/servers/301')).json()).toMatchObject({
        displayName: 'After',
        connectedUsers: 5,
        maxUsers: 6,
      });
    });

    it('200 with no body or {}: nothing changes (a heartbeat)', async () => {
      const { key } = await listed(l, 302, chats);
      expect((await put(302, key)).status).toBe(200);
      expect((await put(302, key, {})).status).toBe(200);
    });

    it('200 moving to a new address that is the caller and answers the ping with the id', async () => {
      const { key } = await listed(l, 303, chats);
      const moved = await chats.start(303);
      expect((await put(303, key, { address: moved.address })).status).toBe(200);
      expect((await l.request('/servers/303')).json()).toMatchObject({ address: moved.address });
    });

    it('400 ping_failed / wrong_server_id when the new address fails the ping; nothing changes', async () => {
      const { key, chat } = await listed(l, 304, chats, { serverName: 'Keep' });
      expectCode(
        await put(304, key, { address: `127.0.0.1:${await closedPort()}`, serverName: 'Lost' }),
        400,
        'ping_failed',
      );
      const impostor = await chats.start(305);
      expectCode(await put(304, key, { address: impostor.address }), 400, 'wrong_server_id');
      expect((await l.request('/servers/304')).json()).toMatchObject({ address: chat.address, displayName: 'Keep' });
    });

    it('400 invalid_property: unknown property, invalid value, connectedUsers above maxUsers', async () => {
      const { key } = await listed(l, 306, chats, { maxUsers: 10, connectedUsers: 8 });
      for (const body of [
        { id: 5 },
        { displayName: 'x' },
        { serverName: '' },
        { serverName: '\u0000' },
        { connectedUsers: 11 },
        { maxUsers: 7 },
        { maxUsers: 0 },
        { address: 'not an address' },
        { connectedUsers: '1' },
      ]) {
        expectCode(await put(306, key, body), 400, 'invalid_property');
      }
      expect((await l.request('/servers/306')).json()).toMatchObject({ connectedUsers: 8, maxUsers: 10 });
    });

    it('400 invalid_property: a server name with invisible, unassigned or look-alike characters; spaces run as one', async () => {
      const { key } = await listed(l, 316, chats, { serverName: 'Keep' });
      for (const serverName of ['Keep\u200B', 'Keep\u{1D159}', 'Keep\uE000', 'Keep\u0378', 'Kееp', 'Keep\u202E']) {
        const res = await put(316, key, { serverName });
        expectCode(res, 400, 'invalid_property');
        expect((res.json() as { message: string }).message, JSON.stringify(serverName)).toMatch(
          /^"serverName" may not/,
        );
      }
      expect((await l.request('/servers/316')).json()).toMatchObject({ displayName: 'Keep' });
      expect((await put(316, key, { serverName: 'Keep  it\u00A0 simple' })).status).toBe(200);
      expect((await l.request('/servers/316')).json()).toMatchObject({ displayName: 'Keep it simple' });
    });

    it('400 invalid_body: not a JSON object', async () => {
      const { key } = await listed(l, 307, chats);
      for (const body of ['[]', '1', '{']) {
        expectCode(await put(307, key, body, { 'content-type': 'application/json' }), 400, 'invalid_body');
      }
    });

    it('400 not_listed', async () => {
      const { key } = await listed(l, 308, chats);
      expectCode(await put(309, key, {}), 400, 'not_listed');
    });

    it('400 invalid_id', async () => {
      expectCode(await put('0308', 'A'.repeat(43), {}), 400, 'invalid_id');
    });

    it('401 missing_key, malformed_authorization, bad_key; nothing changes', async () => {
      const { key } = await listed(l, 310, chats, { connectedUsers: 1 });
      const other = await listed(l, 311, chats);
      expectCode(await put(310, undefined, { connectedUsers: 2 }), 401, 'missing_key');
      const malformed = [
        `Bearer ${key}`,
        'C2Listing',
        `C2Listing  ${key}`,
        `C2Listing ${key} extra`,
        `C2Listing ${key}x`,
        `C2Listing ${key.slice(1)}`,
        `C2Listing ${key.slice(0, 42)}=`,
        `C2Listing:${key}`,
        key,
      ];
      for (const header of malformed) {
        expectCode(
          await put(310, undefined, { connectedUsers: 2 }, { authorization: header }),
          401,
          'malformed_authorization',
        );
      }
      expectCode(await put(310, 'A'.repeat(43), { connectedUsers: 2 }), 401, 'bad_key');
      expectCode(await put(310, other.key, { connectedUsers: 2 }), 401, 'bad_key');
      expect((await l.request('/servers/310')).json()).toMatchObject({ connectedUsers: 1 });
    });

    it('the scheme is case-insensitive, as HTTP schemes are', async () => {
      const { key } = await listed(l, 312, chats);
      expect((await put(312, undefined, {}, { authorization: `c2listing ${key}` })).status).toBe(200);
    });

    it('authentication comes before the body is read or validated', async () => {
      await listed(l, 313, chats);
      expectCode(await put(313, undefined, { bogus: true }), 401, 'missing_key');
      expectCode(await put(313, undefined, '{', { 'content-type': 'application/json' }), 401, 'missing_key');
      expectCode(await put(313, undefined, 'x', { 'content-type': 'text/plain' }), 401, 'missing_key');
      expectCode(await put(313, 'A'.repeat(43), { serverName: 'y'.repeat(20_000) }), 401, 'bad_key');
    });

    it('415 and 413', async () => {
      const { key } = await listed(l, 314, chats);
      expectCode(
        await put(314, key, 'connectedUsers=1', { 'content-type': 'text/plain' }),
        415,
        'unsupported_media_type',
      );
      expectCode(await put(314, key, { serverName: 'y'.repeat(20_000) }), 413, 'body_too_large');
    });
  });

  describe('DELETE /servers/<id>', () => {
    const l = useListing(backend);
    const chats = useChats();
    const del = (id: number | string, headers: Record<string, string> = {}) =>
      l.request(`/servers/${id}`, { method: 'DELETE', headers });

    it('200 with an empty body; the server is gone', async () => {
      const { key } = await listed(l, 401, chats);
      const res = await del(401, auth(key));
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect((await l.request('/servers/401')).status).toBe(404);
      expect((await l.request('/servers')).json()).toEqual({ servers: [] });
    });

    it('400 not_listed, also for the key of a deleted entry', async () => {
      const { key } = await listed(l, 402, chats);
      expect((await del(402, auth(key))).status).toBe(200);
      expectCode(await del(402, auth(key)), 400, 'not_listed');
      expectCode(await del(403, auth(key)), 400, 'not_listed');
    });

    it('401 missing_key, malformed_authorization, bad_key; the entry stays', async () => {
      const { key } = await listed(l, 404, chats);
      const other = await listed(l, 405, chats);
      expectCode(await del(404), 401, 'missing_key');
      expectCode(await del(404, { authorization: `Basic ${key}` }), 401, 'malformed_authorization');
      expectCode(await del(404, auth(other.key)), 401, 'bad_key');
      expect((await l.request('/servers/404')).status).toBe(200);
    });

    it('400 invalid_id', async () => {
      expectCode(await del('1.5', auth('A'.repeat(43))), 400, 'invalid_id');
    });

    it('a deleted id can be registered again, with a new key', async () => {
      const { key, chat } = await listed(l, 406, chats);
      expect((await del(406, auth(key))).status).toBe(200);
      const again = await l.register(406, { address: chat.address });
      expect(again.status).toBe(201);
      expect(again.text).not.toBe(key);
    });
  });
}
