/** POST /servers/<id>: every status code, the c2 ping verification, defaults, keys. */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashKey, KEY_PATTERN } from '../../../src/listing/keys.js';
import type { Backend } from '../helpers/backends.js';
import { type Chats, type ListingHandle, useChats, useListing } from '../helpers/fixtures.js';
import { auth } from '../helpers/http.js';
import {
  closedPort,
  countingC2,
  fakeC2,
  frameFloodPeer,
  garbageFloodPeer,
  httpPeer,
  redirectPeer,
  silentTcpPeer,
  silentWsPeer,
} from '../helpers/peers.js';

async function expectError(
  res: Promise<{ status: number; json<T>(): T; headers: Record<string, unknown> }>,
  status: number,
  code: string,
) {
  const r = await res;
  expect(r.status, JSON.stringify(r.json())).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = r.json<{ error: string; message: string }>();
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  return body;
}

export function registerSuite(backend: Backend) {
  describe('POST /servers/<id>', () => {
    const l: ListingHandle = useListing(backend);
    const chats = useChats();

    it('201: verifies the server with a c2 ping and answers the key as the whole text/plain body', async () => {
      const chat = await chats.start(101);
      const res = await l.register(101, { address: chat.address, serverName: 'Room', maxUsers: 10, connectedUsers: 2 });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toMatch(KEY_PATTERN);
      const one = await l.request('/servers/101');
      expect(one.json()).toEqual({
        id: 101,
        displayName: 'Room',
        address: chat.address,
        connectedUsers: 2,
        maxUsers: 10,
        tls: false,
      });
    });

    it('201: missing properties take their defaults', async () => {
      const chat = await chats.start(102);
      const res = await l.register(102, { address: chat.address });
      expect(res.status).toBe(201);
      expect((await l.request('/servers/102')).json()).toEqual({
        id: 102,
        displayName: 'Chatter Server',
        address: chat.address,
        connectedUsers: 0,
        maxUsers: 50,
        tls: false,
      });
    });

    it('keys are 256 random bits, different each time, and only their hash is stored', async () => {
      const keys: string[] = [];
      for (const id of [103, 104]) {
        const chat = await chats.start(id);
        const res = await l.register(id, { address: chat.address });
        expect(res.status).toBe(201);
        expect(Buffer.from(res.text, 'base64url')).toHaveLength(32);
        keys.push(res.text);
        const record = await l.listing.store.get(id);
        expect(record?.keyHash).toBe(hashKey(res.text));
        expect(JSON.stringify(record)).not.toContain(res.text);
      }
      expect(keys[0]).not.toBe(keys[1]);
    });

    it('400 invalid_id: anything but a canonical integer 0 … 2^53−1', async () => {
      for (const id of [
        '07',
        '-1',
        '+1',
        '1.0',
        '1e3',
        'abc',
        '9007199254740992',
        '99999999999999999',
        '%201',
        '0x10',
      ]) {
        await expectError(l.register(id, {}), 400, 'invalid_id');
      }
    });

    it('400 invalid_body: a body that is not a JSON object', async () => {
      const headers = { 'content-type': 'application/json' };
      for (const body of ['[]', 'null', '"x"', '42', '{', '{"a":1,}', 'true']) {
        await expectError(l.register(110, undefined, { body, headers }), 400, 'invalid_body');
      }
    });

    it('400 invalid_property: unknown properties and invalid values', async () => {
      const bodies: object[] = [
        { unknown: 1 },
        { serverName: 'ok', extra: true },
        { serverName: '' },
        { serverName: 'x'.repeat(65) },
        { serverName: 'bad\u0007bell' },
        { serverName: 'line\nbreak' },
        { serverName: '   ' },
        { serverName: 42 },
        { address: 5000 },
        { connectedUsers: -1 },
        { connectedUsers: 1.5 },
        { connectedUsers: 51 },
        { connectedUsers: 5, maxUsers: 4 },
        { maxUsers: 0 },
        { maxUsers: 1_000_001 },
        { maxUsers: '50' },
        { connectedUsers: null },
      ];
      for (const body of bodies) {
        await expectError(l.register(111, body), 400, 'invalid_property');
      }
    });

    it('400 invalid_property: server names with invisible, unassigned or look-alike characters', async () => {
      for (const serverName of [
        'Chatter\u200BServer', // zero-width space
        'Chatter Server\u2060', // word joiner
        'Chatter Server\uFE0F', // variation selector
        'Chatter Server\u{1D159}', // musical null notehead
        'Chatter Server\uE000', // private use
        'Chatter Server\u0378', // unassigned
        'Chatter Server\u3164', // Hangul filler
        'Chаtter Server', // a Cyrillic "а" in a Latin word
        '\u0323Chatter', // a combining mark on nothing
      ]) {
        const res = await l.register(131, { serverName });
        expect(res.status, JSON.stringify(serverName)).toBe(400);
        expect(res.json()).toMatchObject({
          error: 'invalid_property',
          message: expect.stringMatching(/^"serverName" may not/),
        });
      }
    });

    it('201: a run of spaces in the server name is stored as one', async () => {
      const chat = await chats.start(132);
      expect((await l.register(132, { address: chat.address, serverName: ' Chatter \u3000 Server  ' })).status).toBe(
        201,
      );
      expect((await l.request('/servers/132')).json()).toMatchObject({ displayName: 'Chatter Server' });
    });

    it('400 invalid_property: an address that is not host:port', async () => {
      const addresses = [
        'nocolon',
        'host:0',
        'host:65536',
        'host:05000',
        '::1:5000',
        '[::1]5000',
        '[::1]:',
        'a..b:5000',
        '-a.example:5000',
        'ws://127.0.0.1:5000',
        '127.0.0.1:5000/',
        '1.2.3:5000',
        '256.1.1.1:5000',
        '[fe80::1%eth0]:5000',
        '[example.com]:5000',
        ' 127.0.0.1:5000',
        '',
      ];
      for (const address of addresses) {
        await expectError(l.register(112, { address }), 400, 'invalid_property');
      }
    });

    it('400 address_not_allowed: reserved ranges are never dialled', async () => {
      for (const address of [
        '0.0.0.0:5000',
        '224.0.0.1:5000',
        '192.0.2.1:5000',
        '255.255.255.255:5000',
        '[::]:5000',
        '[ff02::1]:5000',
      ]) {
        await expectError(l.register(113, { address }), 400, 'address_not_allowed');
      }
    });

    it('400 address_unresolvable: a host name that does not resolve', async () => {
      await expectError(l.register(114, { address: 'nowhere.invalid:5000' }), 400, 'address_unresolvable');
    });

    it('a host name that resolves to the caller is listed as given', async () => {
      const chat = await chats.start(115);
      const res = await l.register(115, { address: `LocalHost:${chat.port}` });
      expect(res.status).toBe(201);
      expect((await l.request('/servers/115')).json()).toMatchObject({ address: `localhost:${chat.port}` });
    });

    it('400 wrong_server_id: the server answers the ping with another id', async () => {
      const chat = await chats.start(999);
      const body = await expectError(l.register(116, { address: chat.address }), 400, 'wrong_server_id');
      // The plain reason, not the id the peer sent.
      expect(body.message).toBe(`${chat.address} answered with another server id, not 116`);
      expect((await l.request('/servers/116')).status).toBe(404);
    });

    it('400 ping_failed: nothing listens on the port', async () => {
      await expectError(l.register(117, { address: `127.0.0.1:${await closedPort()}` }), 400, 'ping_failed');
    });

    it('400 ping_failed: the peer accepts the connection but never answers (time bound)', async () => {
      for (const peer of [await silentTcpPeer(), await silentWsPeer()]) {
        try {
          await expectError(l.register(118, { address: peer.address }), 400, 'ping_failed');
        } finally {
          await peer.close();
        }
      }
    });

    it('400 ping_failed: the peer floods bytes (byte bound)', async () => {
      for (const peer of [await garbageFloodPeer(), await frameFloodPeer()]) {
        try {
          await expectError(l.register(119, { address: peer.address }), 400, 'ping_failed');
        } finally {
          await peer.close();
        }
      }
    });

    it('400 ping_failed: a redirect is not followed, even to the right server', async () => {
      const chat = await chats.start(120);
      const peer = await redirectPeer(`ws://${chat.address}/`);
      try {
        const body = await expectError(l.register(120, { address: peer.address }), 400, 'ping_failed');
        expect(body.message).toBe(`${peer.address} did not answer a c2 PING within 1 s`);
      } finally {
        await peer.close();
      }
    });

    it('400 ping_failed is not an oracle: one plain reason whatever answers, none of its bytes', async () => {
      const http200 = await httpPeer();
      const token = await fakeC2(() => 'INTERNAL-ADMIN-TOKEN=hunter2');
      const peers = [http200, token, await garbageFloodPeer(), await silentTcpPeer(), await silentWsPeer()];
      try {
        const addresses = [`127.0.0.1:${await closedPort()}`, ...peers.map((p) => p.address)];
        for (const address of addresses) {
          const body = await expectError(l.register(127, { address }), 400, 'ping_failed');
          expect(body.message, address).toBe(`${address} did not answer a c2 PING within 1 s`);
        }
      } finally {
        await Promise.all(peers.map((p) => p.close()));
      }
    });

    it('409 already_listed: a listed id at another address, without pinging it', async () => {
      const first = await chats.start(121);
      expect((await l.register(121, { address: first.address })).status).toBe(201);
      const other = await countingC2(121);
      try {
        await expectError(l.register(121, { address: other.address }), 409, 'already_listed');
        expect(other.pings).toBe(0);
      } finally {
        await other.close();
      }
      expect((await l.request('/servers/121')).json()).toMatchObject({ address: first.address });
    });

    it('201 re-registration: the own host, same address, ping succeeds → entry replaced, new key', async () => {
      const chat = await chats.start(122);
      const oldKey = (await l.register(122, { address: chat.address, serverName: 'Old' })).text;
      const res = await l.register(122, { address: chat.address, serverName: 'New' });
      expect(res.status).toBe(201);
      const newKey = res.text;
      expect(newKey).not.toBe(oldKey);
      expect((await l.request('/servers/122')).json()).toMatchObject({ displayName: 'New', address: chat.address });
      await expectError(l.request('/servers/122', { method: 'PUT', headers: auth(oldKey), body: {} }), 401, 'bad_key');
      expect((await l.request('/servers/122', { method: 'PUT', headers: auth(newKey), body: {} })).status).toBe(200);
    });

    it('409 re-registration at the same address when the ping now fails', async () => {
      const peer = await countingC2(123);
      expect((await l.register(123, { address: peer.address })).status).toBe(201);
      await peer.close();
      await expectError(l.register(123, { address: peer.address }), 400, 'ping_failed');
      expect((await l.request('/servers/123')).status).toBe(200);
    });

    it('413 body_too_large', async () => {
      await expectError(l.register(124, { serverName: 'x'.repeat(20_000) }), 413, 'body_too_large');
    });

    it('415 unsupported_media_type: a body that is not application/json', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        await expectError(
          l.register(125, undefined, { body: '{"serverName":"x"}', headers: { 'content-type': type } }),
          415,
          'unsupported_media_type',
        );
      }
    });

    it('an absent or empty body means every default (the address: the caller on port 5000)', async () => {
      // Nothing listens on 127.0.0.1:5000 in the tests, so the ping names that address.
      const none = await expectError(l.register(126), 400, 'ping_failed');
      expect(none.message).toContain('127.0.0.1:5000');
      const empty = await expectError(
        l.register(126, undefined, { body: '', headers: { 'content-type': 'application/json' } }),
        400,
        'ping_failed',
      );
      expect(empty.message).toContain('127.0.0.1:5000');
    });
  });

  describe('POST /servers/<id>: the default address', () => {
    const chats = useChats();
    const state: { chat?: Awaited<ReturnType<Chats['start']>> } = {};
    beforeAll(async () => {
      state.chat = await chats.start(130);
    });
    // "Port 5000" is the listing's default chat port; here it is the test chat server's port.
    const l = useListing(backend, () => ({ defaultChatPort: state.chat?.port ?? 0 }));

    it('201 with no body at all: listed at the caller IP on the default port', async () => {
      const res = await l.register(130);
      expect(res.status).toBe(201);
      expect((await l.request('/servers/130')).json()).toEqual({
        id: 130,
        displayName: 'Chatter Server',
        address: `127.0.0.1:${state.chat?.port}`,
        connectedUsers: 0,
        maxUsers: 50,
        tls: false,
      });
    });

    it('201 with an empty JSON body or {} (re-registration from the own host)', async () => {
      const empty = await l.register(130, undefined, { body: '', headers: { 'content-type': 'application/json' } });
      expect(empty.status).toBe(201);
      expect((await l.register(130, {})).status).toBe(201);
    });
  });
}
