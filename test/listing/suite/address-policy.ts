/**
 * The address policy: private addresses, address ownership (with a takeover attempt from
 * another source address, 127.0.0.2), --any-address and --trust-proxy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../helpers/backends.js';
import { type Chats, ipv6LoopbackAvailable, useChats, useListing } from '../helpers/fixtures.js';
import { auth, type HttpResponse } from '../helpers/http.js';
import { countingC2 } from '../helpers/peers.js';

const OTHER_HOST = '127.0.0.2';
const ipv6 = await ipv6LoopbackAvailable();
if (!ipv6) process.stderr.write('\n[c2] no IPv6 loopback on this machine: the IPv6 address tests are SKIPPED.\n');

function expectCode(res: HttpResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.json()).toMatchObject({ error: code });
}

export function addressPolicySuite(backend: Backend) {
  describe('address policy: without --allow-private-addresses', () => {
    const l = useListing(backend, { allowPrivateAddresses: false });

    it('400 address_not_allowed for loopback, private, link-local and unique-local addresses', async () => {
      const peer = await countingC2(501);
      try {
        for (const address of [
          peer.address,
          '10.1.2.3:5000',
          '172.16.0.1:5000',
          '192.168.1.1:5000',
          '169.254.1.1:5000',
          '100.64.0.1:5000',
          '[::1]:5000',
          '[fe80::1]:5000',
          '[fc00::1]:5000',
          '[::ffff:127.0.0.1]:5000',
          `localhost:${peer.port}`,
        ]) {
          expectCode(await l.register(501, { address }), 400, 'address_not_allowed');
        }
        expect(peer.pings).toBe(0);
      } finally {
        await peer.close();
      }
    });

    it('400 address_not_allowed for the default address when the caller is on loopback', async () => {
      expectCode(await l.register(502), 400, 'address_not_allowed');
    });

    it('a public address passes the policy (and then must be the caller’s own)', async () => {
      expectCode(await l.register(503, { address: '8.8.8.8:5000' }), 400, 'address_not_yours');
    });
  });

  describe('address policy: ownership', () => {
    const l = useListing(backend);
    const chats = useChats();

    it('400 address_not_yours: naming an address that is not the caller’s; the server is not even pinged', async () => {
      const peer = await countingC2(511);
      try {
        expectCode(
          await l.register(511, { address: peer.address }, { localAddress: OTHER_HOST }),
          400,
          'address_not_yours',
        );
        expect(peer.pings).toBe(0);
      } finally {
        await peer.close();
      }
    });

    it('takeover attempts from another host fail, and the owner keeps its entry and key', async () => {
      const owner = await chats.start(512);
      const key = (await l.register(512, { address: owner.address, serverName: 'Owner' })).text;
      // Re-registering the owner's address from elsewhere: not the caller's address.
      expectCode(
        await l.register(512, { address: owner.address }, { localAddress: OTHER_HOST }),
        400,
        'address_not_yours',
      );
      // The attacker's own server, answering the same id: the id is taken.
      const impostor = await chats.start(512, OTHER_HOST);
      expectCode(
        await l.register(512, { address: impostor.address, serverName: 'Impostor' }, { localAddress: OTHER_HOST }),
        409,
        'already_listed',
      );
      // Moving the entry without the key.
      expectCode(
        await l.request('/servers/512', {
          method: 'PUT',
          body: { address: impostor.address },
          localAddress: OTHER_HOST,
        }),
        401,
        'missing_key',
      );
      expect((await l.request('/servers/512')).json()).toMatchObject({ address: owner.address, displayName: 'Owner' });
      expect((await l.request('/servers/512', { method: 'PUT', headers: auth(key), body: {} })).status).toBe(200);
    });

    it('400 address_not_yours: a key holder cannot move its entry to another host’s address', async () => {
      const chat = await chats.start(513);
      const key = (await l.register(513, { address: chat.address })).text;
      const elsewhere = await chats.start(513, OTHER_HOST);
      expectCode(
        await l.request('/servers/513', { method: 'PUT', headers: auth(key), body: { address: elsewhere.address } }),
        400,
        'address_not_yours',
      );
      // From that host itself, it may.
      const moved = await l.request('/servers/513', {
        method: 'PUT',
        headers: auth(key),
        body: { address: elsewhere.address },
        localAddress: OTHER_HOST,
      });
      expect(moved.status).toBe(200);
      expect((await l.request('/servers/513')).json()).toMatchObject({ address: elsewhere.address });
    });

    it('X-Forwarded-For is ignored without --trust-proxy', async () => {
      const chat = await chats.start(514);
      const res = await l.register(514, { address: chat.address }, { headers: { 'x-forwarded-for': OTHER_HOST } });
      expect(res.status).toBe(201);
    });
  });

  describe('address policy: --any-address', () => {
    const l = useListing(backend, { anyAddress: true });
    const chats = useChats();

    it('201: any caller may list any (dialable) address', async () => {
      const chat = await chats.start(521);
      expect((await l.register(521, { address: chat.address }, { localAddress: OTHER_HOST })).status).toBe(201);
    });

    it('409: still nobody but the entry’s own host can register a listed id again', async () => {
      const chat = await chats.start(522);
      expect((await l.register(522, { address: chat.address })).status).toBe(201);
      expectCode(await l.register(522, { address: chat.address }, { localAddress: OTHER_HOST }), 409, 'already_listed');
      expect((await l.register(522, { address: chat.address })).status).toBe(201);
    });
  });

  describe('address policy: --trust-proxy', () => {
    const l = useListing(backend, { trustProxy: true });
    const chats = useChats();

    it('the caller is the X-Forwarded-For client', async () => {
      const chat = await chats.start(531);
      expectCode(
        await l.register(531, { address: chat.address }, { headers: { 'x-forwarded-for': OTHER_HOST } }),
        400,
        'address_not_yours',
      );
      const res = await l.register(
        531,
        { address: chat.address },
        { headers: { 'x-forwarded-for': '127.0.0.1' }, localAddress: OTHER_HOST },
      );
      expect(res.status).toBe(201);
    });

    it('only the entry the proxy appended counts: a client cannot spoof its address with its own X-Forwarded-For', async () => {
      const chat = await chats.start(533);
      // The client sent "127.0.0.1"; the proxy appended the address it saw, 127.0.0.2.
      expectCode(
        await l.register(
          533,
          { address: chat.address },
          { headers: { 'x-forwarded-for': `127.0.0.1, ${OTHER_HOST}` } },
        ),
        400,
        'address_not_yours',
      );
      const res = await l.register(
        533,
        { address: chat.address },
        { headers: { 'x-forwarded-for': `${OTHER_HOST}, 127.0.0.1` } },
      );
      expect(res.status).toBe(201);
    });

    it('the default address is the X-Forwarded-For client on port 5000', async () => {
      const res = await l.register(532, undefined, { headers: { 'x-forwarded-for': '127.0.0.9' } });
      expectCode(res, 400, 'ping_failed');
      expect(res.json<{ message: string }>().message).toContain('127.0.0.9:5000');
    });
  });

  describe.skipIf(!ipv6)('address policy: IPv6', () => {
    const chats = useChats();
    const state: { chat?: Awaited<ReturnType<Chats['start']>> } = {};
    beforeAll(async () => {
      state.chat = await chats.start(541, '::1');
    });
    const l = useListing(backend, () => ({ host: '::1', defaultChatPort: state.chat?.port ?? 0 }));

    it('201 for a bracketed IPv6 address, listed in canonical form', async () => {
      const port = state.chat?.port;
      const res = await l.register(541, { address: `[0:0:0:0:0:0:0:1]:${port}` });
      expect(res.status, res.text).toBe(201);
      expect((await l.request('/servers/541')).json()).toMatchObject({ address: `[::1]:${port}` });
    });

    it('the default address of an IPv6 caller is [its IP]:port', async () => {
      const res = await l.register(541);
      expect(res.status, res.text).toBe(201);
      expect((await l.request('/servers/541')).json()).toMatchObject({ address: `[::1]:${state.chat?.port}` });
    });

    it('400 address_not_yours for an IPv4 address from an IPv6 caller', async () => {
      expectCode(await l.register(542, { address: '127.0.0.1:5000' }), 400, 'address_not_yours');
    });
  });
}
