/**
 * Several listing instances sharing one PostgreSQL database serve one consistent
 * directory: the 409 race across instances, changes seen at once by the other
 * instance's cached GET /servers, liveness work split through the database, and
 * concurrent start-up migrations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { startTestListing } from '../helpers/listing.js';
import { POSTGRES_URL, postgresBackend, postgresGate, type TestDb } from './helpers/backends.js';
import { auth, http } from './helpers/http.js';
import { countingC2, type Peer } from './helpers/peers.js';

const MINUTE = 60_000;
const gate = await postgresGate();

async function chat(id: number): Promise<ChatServer & { address: string }> {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, id, name: `chat ${id}` });
  return Object.assign(server, { address: `127.0.0.1:${server.port}` });
}

if (!gate.run) {
  if (gate.required) {
    describe('listing instances on PostgreSQL', () => {
      it('needs PostgreSQL (C2_REQUIRE_POSTGRES=1)', () => {
        throw new Error(`PostgreSQL at ${POSTGRES_URL} is unreachable: ${gate.reason}`);
      });
    });
  } else {
    describe.skip(`listing instances on PostgreSQL — SKIPPED: PostgreSQL unreachable (${gate.reason})`, () => {
      it('runs when PostgreSQL is reachable', () => {});
    });
  }
} else {
  describe('two listing instances on one PostgreSQL database', () => {
    const clock = { t: Date.now() };
    let db: TestDb;
    let a: ListingServer;
    let b: ListingServer;
    const chats: ChatServer[] = [];
    const peers: Peer[] = [];

    beforeAll(async () => {
      db = await postgresBackend.create();
      // Started together on an empty schema: the migration lock lets one of them migrate.
      [a, b] = await Promise.all([
        startTestListing({ db: db.db, now: () => clock.t }),
        startTestListing({ db: db.db, now: () => clock.t }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close(), ...chats.map((c) => c.close()), ...peers.map((p) => p.close())]);
      await db?.drop();
    });

    it('409 race: concurrent registrations of one id through two instances list it once', async () => {
      for (let round = 0; round < 5; round++) {
        const id = 1000 + round;
        // Slow answers keep both registrations past the "already listed?" check until both
        // pings are done, so the database's primary key is what decides.
        const one = await countingC2(id, '127.0.0.1', 150);
        const two = await countingC2(id, '127.0.0.1', 150);
        peers.push(one, two);
        const results = await Promise.all([
          http(a.url, `/servers/${id}`, { method: 'POST', body: { address: one.address } }),
          http(b.url, `/servers/${id}`, { method: 'POST', body: { address: two.address } }),
        ]);
        const statuses = results.map((r) => r.status).sort();
        expect(statuses, results.map((r) => r.text).join(' | ')).toEqual([201, 409]);
        // Both were pinged: neither was turned away before the insert.
        expect([one.pings, two.pings]).toEqual([1, 1]);
        const loser = results.find((r) => r.status === 409);
        expect(loser?.json()).toMatchObject({ error: 'already_listed' });
        const winner = results[0]?.status === 201 ? one : two;
        for (const instance of [a, b]) {
          expect((await http(instance.url, `/servers/${id}`)).json()).toMatchObject({ address: winner.address });
        }
      }
    });

    it('a change made through one instance is seen at once through the other’s cached list', async () => {
      const warm = await http(b.url, '/servers');
      const server = await chat(1100);
      chats.push(server);
      const key = (await http(a.url, '/servers/1100', { method: 'POST', body: { address: server.address } })).text;
      const afterPost = await http(b.url, '/servers', { headers: { 'if-none-match': String(warm.headers.etag) } });
      expect(afterPost.status).toBe(200);
      expect(afterPost.text).toContain(`"address":"${server.address}"`);

      expect(
        (await http(a.url, '/servers/1100', { method: 'PUT', headers: auth(key), body: { connectedUsers: 7 } })).status,
      ).toBe(200);
      expect((await http(b.url, '/servers/1100')).json()).toMatchObject({ connectedUsers: 7 });
      // Equal content gives an equal ETag on every instance.
      const [fromA, fromB] = await Promise.all([http(a.url, '/servers'), http(b.url, '/servers')]);
      expect(fromA.headers.etag).toBe(fromB.headers.etag);

      // A key issued by one instance works on the other.
      expect((await http(b.url, '/servers/1100', { method: 'DELETE', headers: auth(key) })).status).toBe(200);
      expect((await http(a.url, '/servers/1100')).status).toBe(404);
      expect((await http(a.url, '/servers')).text).not.toContain(server.address);
    });

    it('liveness: two checkers split the due servers; each server is pinged once per interval', async () => {
      const peers = await Promise.all(Array.from({ length: 12 }, (_, i) => countingC2(1200 + i)));
      try {
        for (const [i, peer] of peers.entries()) {
          const via = i % 2 === 0 ? a : b;
          expect(
            (await http(via.url, `/servers/${1200 + i}`, { method: 'POST', body: { address: peer.address } })).status,
          ).toBe(201);
        }
        // Every entry (the earlier tests' too) is due now.
        clock.t += MINUTE;
        const total = (await a.store.count()) as number;
        const [byA, byB] = await Promise.all([a.checker.runOnce(), b.checker.runOnce()]);
        expect(byA + byB).toBe(total);
        for (const peer of peers) expect(peer.pings).toBe(2); // the registration's, and one check
        // Nothing is due again before the interval has passed.
        expect(await a.checker.runOnce()).toBe(0);
        expect(await b.checker.runOnce()).toBe(0);
      } finally {
        await Promise.all(peers.map((p) => p.close()));
      }
    });
  });
}
