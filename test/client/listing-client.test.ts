/** ListingClient against the real listing server (src/listing) and a real chat server. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListingClient, ListingError } from '../../src/client/listing-client.js';
import { listedServerUrl } from '../../src/client/server-url.js';
import { type ListingServer, startListingServer } from '../../src/listing/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { selfSignedCert } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';

let listing: ListingServer;
let chat: ChatServer;
const statuses: number[] = [];
let client: ListingClient;

beforeAll(async () => {
  listing = await startListingServer({
    host: '127.0.0.1',
    port: 0,
    db: join(tempDir('c2-listing-client-'), 'listing.db'),
    allowPrivateAddresses: true,
    // The test's TLS server has a certificate made here.
    allowSelfSigned: true,
    liveness: false,
    pingTimeoutMs: 2000,
  });
  chat = await startChatServer({ host: '127.0.0.1', port: 0, id: 4242, name: 'Listed' });
  // A fetch that notes every status, to see the ETag at work.
  const recording: typeof fetch = async (...args) => {
    const res = await fetch(...args);
    statuses.push(res.status);
    return res;
  };
  client = new ListingClient(`${listing.url}/`, { fetch: recording });
});

afterAll(async () => {
  await chat?.close();
  await listing?.close();
});

async function failure(p: Promise<unknown>): Promise<ListingError> {
  const err = await p.then(
    () => {
      throw new Error('expected a ListingError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ListingError);
  return err as ListingError;
}

describe('ListingClient', () => {
  const address = () => `127.0.0.1:${chat.port}`;
  let key = '';

  it('registers a server and gets its key', async () => {
    expect(await client.list()).toEqual([]);
    key = await client.register(4242, { serverName: 'Listed', address: address(), maxUsers: 20 });
    expect(key.length).toBeGreaterThanOrEqual(22);
    expect(await client.get(4242)).toEqual({
      id: 4242,
      displayName: 'Listed',
      address: address(),
      connectedUsers: 0,
      maxUsers: 20,
      tls: false,
    });
  });

  it('lists, and re-lists with If-None-Match (304) when nothing changed', async () => {
    statuses.length = 0;
    const first = await client.list();
    const second = await client.list();
    expect(second).toEqual(first);
    expect(first.map((s) => s.id)).toEqual([4242]);
    expect(statuses).toEqual([200, 304]);
  });

  it('updates with the key; a change shows in the next list', async () => {
    await client.update(4242, key, { connectedUsers: 3, serverName: 'Renamed' });
    statuses.length = 0;
    expect(await client.list()).toEqual([
      { id: 4242, displayName: 'Renamed', address: address(), connectedUsers: 3, maxUsers: 20, tls: false },
    ]);
    expect(statuses).toEqual([200]);
  });

  it("carries the listing's error codes and HTTP status", async () => {
    const wrongKey = await failure(client.update(4242, 'A'.repeat(43), { connectedUsers: 1 }));
    expect([wrongKey.status, wrongKey.code]).toEqual([401, 'bad_key']);
    const malformedKey = await failure(client.remove(4242, 'not a key'));
    expect([malformedKey.status, malformedKey.code]).toEqual([401, 'malformed_authorization']);
    const unknownProperty = await failure(client.update(4242, key, { colour: 'red' } as never));
    expect(unknownProperty.status).toBe(400);
    expect(unknownProperty.code).toMatch(/^invalid_(property|body)$/);
    const tooMany = await failure(client.update(4242, key, { connectedUsers: 21 }));
    expect([tooMany.status, tooMany.code]).toEqual([400, 'invalid_property']);
    const notListed = await failure(client.get(99));
    expect([notListed.status, notListed.code]).toEqual([404, 'not_listed']);
    expect(notListed.message).toBe('server 99 is not listed');
    const updateUnlisted = await failure(client.update(99, key, { connectedUsers: 1 }));
    expect([updateUnlisted.status, updateUnlisted.code]).toEqual([400, 'not_listed']);
    const taken = await failure(client.register(4242, { address: '127.0.0.1:1' }));
    expect([taken.status, taken.code]).toEqual([409, 'already_listed']);
    const silent = await failure(client.register(5, { address: '127.0.0.1:1' }));
    expect([silent.status, silent.code]).toEqual([400, 'ping_failed']);
    const wrongId = await failure(client.register(77, { address: address() }));
    expect([wrongId.status, wrongId.code]).toEqual([400, 'wrong_server_id']);
  });

  it('refuses an invalid id without asking', async () => {
    statuses.length = 0;
    for (const id of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      const err = await failure(client.get(id));
      expect([err.status, err.code]).toEqual([0, 'invalid_id']);
    }
    expect(statuses).toEqual([]);
  });

  it('removes with the key', async () => {
    await client.remove(4242, key);
    expect(await client.list()).toEqual([]);
    const gone = await failure(client.remove(4242, key));
    expect([gone.status, gone.code]).toEqual([400, 'not_listed']);
  });

  it('reports an unreachable listing as a network error', async () => {
    const closed = await startListingServer({ host: '127.0.0.1', port: 0, db: ':memory:', liveness: false });
    const url = closed.url;
    await closed.close();
    const err = await failure(new ListingClient(url).list());
    expect([err.status, err.code]).toEqual([0, 'network']);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });
});

describe('ListingClient: tls (contract §7)', () => {
  it('registers a wss://-only server with tls: true, and every read shows it', async () => {
    const files = selfSignedCert(tempDir('c2-listing-client-tls-'));
    const secure = await startChatServer({
      host: '127.0.0.1',
      port: 0,
      id: 4343,
      tls: { cert: readFileSync(files.cert), key: readFileSync(files.key) },
    });
    try {
      const address = `127.0.0.1:${secure.port}`;
      const key = await client.register(4343, { address, tls: true });
      const entry = await client.get(4343);
      expect(entry).toMatchObject({ id: 4343, address, tls: true });
      expect(listedServerUrl(entry)).toBe(`wss://${address}`);
      expect((await client.list()).find((s) => s.id === 4343)?.tls).toBe(true);
      expect((await client.page({ q: address }, { limit: 5 })).servers).toMatchObject([{ id: 4343, tls: true }]);
      // Switching the entry to ws://: verified, refused (this server speaks wss:// only).
      const refused = await failure(client.update(4343, key, { tls: false }));
      expect([refused.status, refused.code]).toEqual([400, 'ping_failed']);
      await client.remove(4343, key);
    } finally {
      await secure.close();
    }
  });

  it('an entry from a listing older than the property (no tls) reads as tls: false', async () => {
    const old = { id: 1, displayName: 'Old', address: '198.51.100.1:5000', connectedUsers: 0, maxUsers: 50 };
    const answer = (body: unknown) => async () =>
      new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    const listClient = new ListingClient('http://listing.invalid', { fetch: answer({ servers: [old] }) });
    expect(await listClient.list()).toEqual([{ ...old, tls: false }]);
    const getClient = new ListingClient('http://listing.invalid', { fetch: answer(old) });
    expect(await getClient.get(1)).toEqual({ ...old, tls: false });
    const oddClient = new ListingClient('http://listing.invalid', {
      fetch: answer({ servers: [{ ...old, tls: 'yes' }] }),
    });
    expect((await oddClient.list())[0]?.tls).toBe(false);
  });
});

describe('ListingClient: search, filters, orders and pages (contract §12)', () => {
  const servers = Array.from({ length: 30 }, (_, i) => ({
    id: 100 + i,
    displayName: i % 3 === 0 ? `Lounge ${i}` : `Café ${i}`,
    address: `198.51.100.${i}:5000`,
    connectedUsers: i % 4 === 0 ? 0 : i % 5,
    maxUsers: i % 7 === 0 ? Math.max(1, i % 5) : 10,
  }));

  beforeAll(async () => {
    const now = Date.now();
    await listing.store.insertMany(
      servers.map((s) => ({ ...s, tls: false, keyHash: 'x', registeredFrom: '198.51.100.1' })),
      now,
      now + 3_600_000,
    );
  });

  it('list(query): every match, filtered and sorted by the listing', async () => {
    const lounges = await client.list({ q: '  LOUNGE ' });
    expect(lounges.map((s) => s.id)).toEqual(
      servers.filter((s) => s.displayName.startsWith('Lounge')).map((s) => s.id),
    );
    const open = await client.list({ notFull: true, notEmpty: true, sort: '-users' });
    expect(open.every((s) => s.connectedUsers > 0 && s.connectedUsers < s.maxUsers)).toBe(true);
    expect(open.map((s) => s.connectedUsers)).toEqual([...open.map((s) => s.connectedUsers)].sort((a, b) => b - a));
    // A query that selects everything by id is the plain list (with its ETag).
    statuses.length = 0;
    expect(await client.list({ sort: 'id', q: '' })).toEqual(await client.list());
    expect(statuses).toEqual([200, 304]);
  });

  it('page and pages walk the directory in pages, following next', async () => {
    const first = await client.page({ sort: 'name' }, { limit: 7 });
    expect(first.servers).toHaveLength(7);
    expect(typeof first.next).toBe('string');
    const second = await client.page({ sort: 'name' }, { limit: 7, cursor: first.next });
    expect(second.servers[0]?.displayName.localeCompare(first.servers[6]?.displayName ?? '')).toBeGreaterThan(-1);
    const walked: number[] = [];
    let pages = 0;
    for await (const page of client.pages({ sort: 'name' }, 7)) {
      pages++;
      walked.push(...page.servers.map((s) => s.id));
    }
    expect(pages).toBe(Math.ceil(servers.length / 7));
    expect(walked.sort()).toEqual(servers.map((s) => s.id).sort());
    const last = await client.page({ q: 'no such server' }, { limit: 5 });
    expect(last).toEqual({ servers: [], next: null });
  });

  it('refuses a bad page size without asking; the listing’s refusals carry their codes', async () => {
    statuses.length = 0;
    for (const limit of [0, 1001, 2.5]) {
      const err = await failure(client.page({}, { limit }));
      expect([err.status, err.code]).toEqual([0, 'invalid_query']);
    }
    expect(statuses).toEqual([]);
    const first = await client.page({ sort: 'name' }, { limit: 2 });
    const mismatched = await failure(client.page({ sort: 'users' }, { limit: 2, cursor: first.next }));
    expect([mismatched.status, mismatched.code]).toEqual([400, 'invalid_cursor']);
    const tooLong = await failure(client.list({ q: 'x'.repeat(101) }));
    expect([tooLong.status, tooLong.code]).toEqual([400, 'invalid_query']);
  });

  it('a request can be cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await failure(client.page({}, { limit: 5, signal: controller.signal }));
    expect([err.status, err.code]).toEqual([0, 'aborted']);
  });
});
