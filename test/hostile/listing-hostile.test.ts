/**
 * Hostile input to the listing server, beyond the contract suite (test/listing/suite/):
 * wrongly typed and oversized bodies, prototype-pollution keys, duplicate keys, hostile
 * Authorization headers and ids, addresses aimed at internal hosts in every spelling,
 * peers that trickle or never finish, and a brute force of keys meeting the limit on
 * failed authentications. Every answer must be the JSON error shape, never a 500, and
 * nothing may be listed or dialled that should not be.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import type { ListingOptions } from '../../src/listing/options.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { startTestListing } from '../helpers/listing.js';
import { sqliteBackend, type TestDb } from '../listing/helpers/backends.js';
import { auth, type HttpOptions, type HttpResponse, http } from '../listing/helpers/http.js';
import { countingC2, fakeC2, type Peer } from '../listing/helpers/peers.js';

interface Fixture {
  listing: ListingServer;
  request(path: string, options?: HttpOptions): Promise<HttpResponse>;
}

/** A listing on a fresh SQLite file for the enclosing describe block. */
function useListing(options: ListingOptions = {}): Fixture {
  const f = {} as Fixture;
  let db: TestDb;
  beforeAll(async () => {
    db = await sqliteBackend.create();
    f.listing = await startTestListing({ db: db.db, ...options });
    f.request = (path, opts) => http(f.listing.url, path, opts);
  });
  afterAll(async () => {
    await f.listing?.close();
    await db?.drop();
  });
  return f;
}

function expectError(res: HttpResponse, status: number, code?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<{ error: string; message: string }>();
  expect(Object.keys(body).sort()).toEqual(['error', 'message']);
  if (code !== undefined) expect(body.error).toBe(code);
}

const json = { 'content-type': 'application/json' };

describe('listing: hostile bodies', () => {
  const l = useListing();
  let chat: ChatServer;
  let address: string;
  beforeAll(async () => {
    chat = await startChatServer({ host: '127.0.0.1', port: 0, id: 70, name: 'target' });
    address = `127.0.0.1:${chat.port}`;
  });
  afterAll(() => chat?.close());

  it('wrong types: refused with invalid_property or invalid_body, never coerced, never a 500', async () => {
    const bodies = [
      '{"serverName":[]}',
      '{"serverName":{}}',
      '{"serverName":true}',
      '{"serverName":null}',
      '{"address":["127.0.0.1:5000"]}',
      '{"address":{"host":"127.0.0.1"}}',
      '{"maxUsers":1e400}',
      '{"maxUsers":-1e400}',
      '{"maxUsers":50.5}',
      '{"maxUsers":"50"}',
      '{"maxUsers":1e21}',
      '{"maxUsers":9007199254740993}',
      '{"connectedUsers":"0"}',
      '{"connectedUsers":true}',
      '{"connectedUsers":[1]}',
      '{"serverName":"\\u0000"}',
      '{"serverName":"\\ud800"}',
      '{"serverName":"\\u202Egnp.exe"}',
      '{"serverName":"Official\\u2066 server"}',
    ];
    for (const body of bodies) {
      const res = await l.request('/servers/70', { method: 'POST', body, headers: json });
      expect(res.status, body).toBe(400);
      expect(['invalid_property', 'invalid_body'], body).toContain(res.json<{ error: string }>().error);
    }
    for (const body of ['[]', '[{"serverName":"x"}]', '"x"', '0', 'null', 'true', '[[[[[[[[]]]]]]]]']) {
      expectError(await l.request('/servers/70', { method: 'POST', body, headers: json }), 400, 'invalid_body');
    }
    expect((await l.request('/servers')).json()).toEqual({ servers: [] });
  });

  it('a bidirectional override cannot disguise a server name', async () => {
    const res = await l.request('/servers/70', { method: 'POST', body: { address, serverName: 'gro.\u202Eelpmaxe' } });
    expectError(res, 400, 'invalid_property');
    expect(res.json<{ message: string }>().message).toMatch(/bidirectional/);
  });

  it('deep nesting and thousands of keys within 16 KiB are refused cheaply', async () => {
    const deep = `${'['.repeat(8000)}${']'.repeat(8000)}`;
    expectError(await l.request('/servers/70', { method: 'POST', body: deep, headers: json }), 400, 'invalid_body');
    const deepObject = `{"serverName":${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}}`;
    expect(Buffer.byteLength(deepObject)).toBeLessThan(16 * 1024);
    expectError(await l.request('/servers/70', { method: 'POST', body: deepObject, headers: json }), 400);
    const manyKeys = JSON.stringify(Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`k${i}`, i])));
    expectError(
      await l.request('/servers/70', { method: 'POST', body: manyKeys, headers: json }),
      400,
      'invalid_property',
    );
  });

  it('huge bodies: 413 by Content-Length before reading, and 413 for an endless chunked body', async () => {
    expectError(
      await l.request('/servers/70', {
        method: 'POST',
        body: `{"serverName":"${'x'.repeat(16 * 1024)}"}`,
        headers: json,
      }),
      413,
      'body_too_large',
    );
    // A Content-Length of 1 GiB with a few bytes sent: answered at once, not awaited.
    const claimed = await raw(
      l.listing.url,
      `POST /servers/70 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{"a":`,
    );
    expect(claimed).toMatch(/^HTTP\/1\.1 413 /);
    // A chunked body that never ends: the listing stops reading at the limit and answers 413.
    const endless = await endlessChunkedPost(l.listing.url, '/servers/70');
    expect(endless.status).toBe(413);
    expect(endless.sent).toBeLessThan(4 * 1024 * 1024);
  });

  it('prototype-pollution keys are refused, and pollute nothing', async () => {
    for (const body of [
      '{"__proto__":{"polluted":true}}',
      '{"serverName":"a","__proto__":{"maxUsers":1}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"address":"x:1","constructor":{"prototype":{"polluted":true}}}',
    ]) {
      expectError(await l.request('/servers/70', { method: 'POST', body, headers: json }), 400, 'invalid_body');
    }
    // As property names they are unknown properties.
    expectError(await l.request('/servers/70', { method: 'POST', body: { prototype: {} } }), 400, 'invalid_property');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect((await l.request('/servers/__proto__')).status).toBe(400);
    expect((await l.request('/servers/constructor', { method: 'DELETE', headers: auth('A'.repeat(43)) })).status).toBe(
      400,
    );
    // In the query string, an unknown parameter (contract §12).
    for (const query of ['__proto__[polluted]=1', '__proto__=1', 'constructor[prototype][polluted]=1']) {
      expectError(await l.request(`/servers?${query}`), 400, 'invalid_query');
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('duplicate keys: the last one wins (as JSON.parse), and every check applies to it', async () => {
    // The first address is the caller's; the last, another host's: refused as not yours.
    const res = await l.request('/servers/70', {
      method: 'POST',
      body: `{"address":"${address}","address":"127.0.0.2:${chat.port}"}`,
      headers: json,
    });
    expectError(res, 400, 'address_not_yours');
    const ok = await l.request('/servers/70', {
      method: 'POST',
      body: `{"address":"127.0.0.2:${chat.port}","address":"${address}","maxUsers":1000000000,"maxUsers":5}`,
      headers: json,
    });
    expect(ok.status, ok.text).toBe(201);
    expect((await l.request('/servers/70')).json()).toMatchObject({ address, maxUsers: 5 });
    const key = ok.text;
    const put = await l.request('/servers/70', {
      method: 'PUT',
      headers: { ...auth(key), ...json },
      body: '{"connectedUsers":1,"connectedUsers":6}',
    });
    expectError(put, 400, 'invalid_property'); // 6 > maxUsers 5: the last value was checked
    expect((await l.request('/servers/70', { method: 'DELETE', headers: auth(key) })).status).toBe(200);
  });
});

describe('listing: hostile Authorization headers and ids', () => {
  const l = useListing();
  let chat: ChatServer;
  let key: string;
  beforeAll(async () => {
    chat = await startChatServer({ host: '127.0.0.1', port: 0, id: 71, name: 'target' });
    const res = await l.request('/servers/71', { method: 'POST', body: { address: `127.0.0.1:${chat.port}` } });
    key = res.text;
  });
  afterAll(() => chat?.close());

  it('every malformed header is a 401, and the entry is untouched', async () => {
    const headers = [
      `C2Listing ${'A'.repeat(8000)}`,
      `C2Listing ${key.slice(0, 42)}\u00e9`,
      `C2Listing ${key.slice(0, 42)}ａ`,
      `C2Listing ${key}\u0000`,
      `C2Listing ${key},C2Listing ${key}`,
      `C2Listing ${Buffer.from(key).toString('base64')}`,
      `Basic ${Buffer.from(`x:${key}`).toString('base64')}`,
      `C2Listing%20${key}`,
      '{"key":"x"}',
      'C2Listing ../../../../etc/passwd',
      "C2Listing ' OR 1=1 --",
    ];
    for (const header of headers) {
      const res = await rawRequest(
        l.listing.url,
        'PUT',
        '/servers/71',
        { authorization: header },
        '{"connectedUsers":9}',
      );
      expect(res.status, header.slice(0, 40)).toBe(res.status === 400 ? 400 : 401);
      expect(res.body, header.slice(0, 40)).toMatch(/"error":"(missing_key|malformed_authorization|bad_request)"/);
    }
    // Two Authorization headers: the first counts (Node keeps it), so a bad one first fails.
    const two = await rawRequest(l.listing.url, 'DELETE', '/servers/71', {}, '', [
      'Authorization: C2Listing AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `Authorization: C2Listing ${key}`,
    ]);
    expect(two.status).toBe(401);
    expect((await l.request('/servers/71')).json()).toMatchObject({ connectedUsers: 0 });
  });

  it('ids out of range or in disguise are 400 invalid_id (or an unknown route), as JSON', async () => {
    for (const id of [
      '9007199254740992',
      '18446744073709551616',
      '-0',
      '00',
      '１２',
      '١٢',
      '1e3',
      '0x1',
      '1%00',
      '1%2F2',
      ' 1',
      '1 ',
      '9'.repeat(1000),
    ]) {
      const res = await l.request(`/servers/${encodeURI(id).replaceAll('%25', '%')}`, { method: 'GET' });
      expect([400, 404], `${id}: ${res.text}`).toContain(res.status);
      if (res.status === 400) expect(res.json()).toMatchObject({ error: 'invalid_id' });
      else expect(res.json()).toMatchObject({ error: 'not_found' });
    }
    // Percent-encoding of a canonical id is that id.
    expect((await l.request('/servers/%37%31')).json()).toMatchObject({ id: 71 });
  });
});

describe('listing: addresses aimed at internal hosts (no --allow-private-addresses)', () => {
  const l = useListing({ allowPrivateAddresses: false });

  it('every spelling of loopback and private ranges is refused, and nothing is dialled', async () => {
    const peer = await countingC2(72);
    try {
      const p = peer.port;
      for (const address of [
        `127.0.0.1:${p}`,
        `127.1.2.3:${p}`,
        `localhost:${p}`,
        `LOCALHOST:${p}`,
        `[::1]:${p}`,
        `[0:0:0:0:0:0:0:1]:${p}`,
        `[::ffff:127.0.0.1]:${p}`,
        `[::ffff:7f00:1]:${p}`,
        `[64:ff9b::7f00:1]:${p}`,
        `[2002:7f00:1::]:${p}`,
        '169.254.169.254:80',
        '[fd00:ec2::254]:80',
        '10.0.0.1:5000',
        '172.31.255.255:5000',
        '192.168.0.1:5000',
        '100.100.100.200:80',
        '[fe80::1]:5000',
        '0.0.0.0:5000',
        '255.255.255.255:5000',
        '224.0.0.1:5000',
      ]) {
        const res = await l.request('/servers/72', { method: 'POST', body: { address } });
        expectError(res, 400, 'address_not_allowed');
      }
      // Numeric tricks that inet_aton reads as 127.0.0.1 are refused as they are parsed,
      // never handed to the resolver.
      for (const host of ['2130706433', '0x7f000001', '0X7F000001', '017700000001', '127.1', '0x7f.1', '0x7f.0.0.1']) {
        const res = await l.request('/servers/72', { method: 'POST', body: { address: `${host}:${p}` } });
        expectError(res, 400, 'invalid_property');
        expect(res.json<{ message: string }>().message, host).toContain(
          `${host} is neither a host name nor an IP address in standard form`,
        );
      }
      expect(peer.pings).toBe(0);
      expect((await l.request('/servers')).json()).toEqual({ servers: [] });
    } finally {
      await peer.close();
    }
  });
});

describe('listing: peers that never finish', () => {
  const l = useListing({ pingTimeoutMs: 1000 });
  const peers: Peer[] = [];
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
  });

  it('a peer that upgrades and then trickles one byte every 50 ms is cut off by the time bound', async () => {
    const peer = await tricklePeer();
    peers.push(peer);
    const started = Date.now();
    const res = await l.request('/servers/73', { method: 'POST', body: { address: peer.address } });
    expectError(res, 400, 'ping_failed');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a peer that answers every ping with WebSocket pings forever is cut off too', async () => {
    const peer = await pingForeverPeer();
    peers.push(peer);
    expectError(
      await l.request('/servers/74', { method: 'POST', body: { address: peer.address } }),
      400,
      'ping_failed',
    );
  });

  it('a peer that answers garbage text frames is refused, whatever it says', async () => {
    for (const answer of ['c2/PING', 'c2/PING x; 75', 'c2/ACKNOWLEDGE', '\u0000'.repeat(100), 'c2/PING 1; 75']) {
      const peer = await fakeC2(() => answer);
      peers.push(peer);
      expectError(
        await l.request('/servers/75', { method: 'POST', body: { address: peer.address } }),
        400,
        'ping_failed',
      );
    }
  });

  it('twenty registrations at silent peers at once: eight dial, twelve are refused at once; GET still served', async () => {
    const silent = await Promise.all(Array.from({ length: 20 }, () => tricklePeer()));
    peers.push(...silent);
    const started = Date.now();
    const posts = silent.map((p, i) =>
      l.request(`/servers/${800 + i}`, { method: 'POST', body: { address: p.address } }),
    );
    const get = await l.request('/servers');
    expect(get.status).toBe(200);
    const answers = await Promise.all(posts);
    for (const res of answers) expectError(res, res.status);
    const codes = answers.map((res) => res.json<{ error: string }>().error);
    expect(codes.filter((c) => c === 'ping_failed')).toHaveLength(8);
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(12);
    for (const res of answers.filter((r) => r.status === 429))
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(silent.reduce((n, p) => n + p.accepted(), 0)).toBe(8);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('registrations from many callers at once meet the bound on dials in flight overall: 503 busy', async () => {
    const db = await sqliteBackend.create();
    const listing = await startTestListing({
      db: db.db,
      anyAddress: true,
      pingTimeoutMs: 1000,
      dialsInFlight: { perCaller: 8, total: 4 },
    });
    try {
      const silent = await Promise.all(Array.from({ length: 9 }, () => tricklePeer()));
      peers.push(...silent);
      const answers = await Promise.all(
        silent.map((p, i) =>
          http(listing.url, `/servers/${900 + i}`, {
            method: 'POST',
            body: { address: p.address },
            localAddress: `127.0.0.${1 + (i % 3)}`,
          }),
        ),
      );
      const codes = answers.map((res) => res.json<{ error: string }>().error);
      expect(codes.filter((c) => c === 'ping_failed')).toHaveLength(4);
      expect(codes.filter((c) => c === 'busy')).toHaveLength(5);
      for (const res of answers.filter((r) => r.status !== 400)) {
        expectError(res, 503, 'busy');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(silent.reduce((n, p) => n + p.accepted(), 0)).toBe(4);
    } finally {
      await listing.close();
      await db.drop();
    }
  });

  it('a listed server that turns into a silent peer is evicted; checks stay bounded', async () => {
    const clock = { t: Date.now() };
    const db = await sqliteBackend.create();
    const listing = await startTestListing({ db: db.db, pingTimeoutMs: 500, maxFailures: 2, now: () => clock.t });
    try {
      const good = await countingC2(76);
      const res = await http(listing.url, '/servers/76', { method: 'POST', body: { address: good.address } });
      expect(res.status).toBe(201);
      const port = good.port;
      await good.close();
      const trickle = await tricklePeer(port); // the same address, now hostile
      peers.push(trickle);
      for (let i = 0; i < 2; i++) {
        clock.t += 60_000;
        const started = Date.now();
        expect(await listing.checker.runOnce()).toBe(1);
        expect(Date.now() - started).toBeLessThan(5000);
      }
      expect((await http(listing.url, '/servers')).json()).toEqual({ servers: [] });
    } finally {
      await listing.close();
      await db.drop();
    }
  });
});

describe('listing: a brute force of keys meets the limit on failed authentications', () => {
  const l = useListing({ authFailureLimit: { max: 20, windowMs: 60_000 } });
  let chat: ChatServer;
  let key: string;
  beforeAll(async () => {
    chat = await startChatServer({ host: '127.0.0.1', port: 0, id: 77, name: 'target' });
    key = (await l.request('/servers/77', { method: 'POST', body: { address: `127.0.0.1:${chat.port}` } })).text;
  });
  afterAll(() => chat?.close());

  it('20 failures, then 429 rate_limited with Retry-After, for PUT and DELETE alike, per client IP', async () => {
    const guess = () => createHash('sha256').update(String(Math.random())).digest('base64url').slice(0, 43);
    for (let i = 0; i < 20; i++) {
      const method = i % 2 === 0 ? 'PUT' : 'DELETE';
      const res = await l.request('/servers/77', { method, headers: auth(guess()) });
      expectError(res, 401, 'bad_key');
    }
    for (const method of ['PUT', 'DELETE']) {
      const res = await l.request('/servers/77', { method, headers: auth(guess()) });
      expectError(res, 429, 'rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    // Malformed headers are blocked too, and so is the right key from this IP meanwhile.
    expectError(
      await l.request('/servers/77', { method: 'PUT', headers: { authorization: 'x' } }),
      429,
      'rate_limited',
    );
    expectError(await l.request('/servers/77', { method: 'PUT', headers: auth(key) }), 429, 'rate_limited');
    // Another client IP is not affected, and the entry was never touched.
    const other = await l.request('/servers/77', {
      method: 'PUT',
      headers: auth(key),
      body: { connectedUsers: 3 },
      localAddress: '127.0.0.2',
    });
    expect(other.status, other.text).toBe(200);
    expect((await l.request('/servers/77')).json()).toMatchObject({ connectedUsers: 3 });
    // Reads are never limited.
    for (let i = 0; i < 5; i++) expect((await l.request('/servers')).status).toBe(200);
    const metrics = await l.request('/metrics');
    expect(metrics.text).toMatch(
      /c2_listing_http_requests_total\{method="PUT",route="\/servers\/:id",status="429"\} [1-9]/,
    );
  });

  it('the window ends: the limit is per window, not forever', async () => {
    const clock = { t: Date.now() };
    const db = await sqliteBackend.create();
    const listing = await startTestListing({
      db: db.db,
      authFailureLimit: { max: 2, windowMs: 60_000 },
      now: () => clock.t,
    });
    try {
      const put = () => http(listing.url, '/servers/5', { method: 'PUT', headers: auth('B'.repeat(43)) });
      expectError(await put(), 400, 'not_listed'); // not a failed authentication
      const res = await http(listing.url, '/servers/5', { method: 'DELETE', headers: { authorization: 'nope' } });
      expectError(res, 401, 'malformed_authorization');
      expectError(await http(listing.url, '/servers/5', { method: 'PUT' }), 401, 'missing_key');
      expectError(await put(), 429, 'rate_limited');
      clock.t += 60_001;
      expectError(await put(), 400, 'not_listed');
    } finally {
      await listing.close();
      await db.drop();
    }
  });
});

describe('listing: a valid key cannot make the listing dial without limit (PUT with a new address)', () => {
  const l = useListing({ registerRateLimit: { max: 10, windowMs: 60_000 } });

  it('a loop of PUTs, each naming another address: 10 dials a minute in all (the POST included), then 429', async () => {
    const peers = await Promise.all([countingC2(91), countingC2(91), countingC2(91)]);
    try {
      const [home, ...others] = peers as [Peer & { pings: number }, ...Array<Peer & { pings: number }>];
      const posted = await l.request('/servers/91', { method: 'POST', body: { address: home.address } });
      expect(posted.status, posted.text).toBe(201);
      const statuses: number[] = [];
      let current = home.address;
      for (let i = 0; i < 30; i++) {
        // Always an address other than the entry's: every PUT asks for a dial.
        const target = (others[0]?.address === current ? others[1] : others[0]) as Peer;
        const res = await l.request('/servers/91', {
          method: 'PUT',
          headers: auth(posted.text),
          body: { address: target.address },
        });
        statuses.push(res.status);
        if (res.status === 200) current = target.address;
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(9);
      expect(statuses.filter((s) => s === 429)).toHaveLength(21);
      expect(statuses.slice(9).every((s) => s === 429)).toBe(true);
      expect(peers.reduce((n, p) => n + p.pings, 0)).toBe(10);
      // The entry is where the last successful PUT put it, and still answers to its key.
      expect((await l.request('/servers/91')).json()).toMatchObject({ address: current });
      expect((await l.request('/servers/91', { method: 'PUT', headers: auth(posted.text), body: {} })).status).toBe(
        200,
      );
    } finally {
      await Promise.all(peers.map((p) => p.close()));
    }
  });
});

describe('listing: the ping is not an oracle', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  let listing: ListingServer;
  let db: TestDb;
  beforeAll(async () => {
    db = await sqliteBackend.create();
    listing = await startTestListing({ db: db.db, pingTimeoutMs: 1000 }, logger);
  });
  afterAll(async () => {
    await listing?.close();
    await db?.drop();
  });

  it('the caller gets one plain reason; the listing logs what really happened', async () => {
    const secret = await fakeC2(() => 'INTERNAL-ADMIN-TOKEN=hunter2');
    const wrongId = await countingC2(4242);
    try {
      const res = await http(listing.url, '/servers/92', { method: 'POST', body: { address: secret.address } });
      expectError(res, 400, 'ping_failed');
      expect(res.text).not.toContain('INTERNAL');
      expect(res.json()).toEqual({
        error: 'ping_failed',
        message: `${secret.address} did not answer a c2 PING within 1 s`,
      });
      const other = await http(listing.url, '/servers/92', { method: 'POST', body: { address: wrongId.address } });
      expect(other.json()).toEqual({
        error: 'wrong_server_id',
        message: `${wrongId.address} answered with another server id, not 92`,
      });
      expect(other.text).not.toContain('4242');
      const logged = lines.map((line) => JSON.parse(line) as { detail?: string; error?: string; from?: string });
      expect(logged.find((e) => e.error === 'ping_failed')?.detail).toContain('INTERNAL-ADMIN-TOKEN=hunter2');
      expect(logged.find((e) => e.error === 'wrong_server_id')?.detail).toContain('4242');
      expect(logged.find((e) => e.error === 'ping_failed')?.from).toBe('127.0.0.1');
    } finally {
      await Promise.all([secret.close(), wrongId.close()]);
    }
  });
});

describe('listing: slow requests meet the 30 s request timeout, body included', () => {
  const fast = useListing({ requestTimeoutMs: 3000 });
  const normal = useListing();

  it('a trickled PUT body gets 408 within the timeout (3 s here; the default 30 s), trickled headers too', async () => {
    const keys = await Promise.all(
      [fast, normal].map(async (l, i) => {
        const chat = await countingC2(93 + i);
        peersToClose.push(chat);
        const res = await l.request(`/servers/${93 + i}`, { method: 'POST', body: { address: chat.address } });
        expect(res.status, res.text).toBe(201);
        return res.text;
      }),
    );
    const body = (id: number, key: string) =>
      `PUT /servers/${id} HTTP/1.1\r\nHost: x\r\nAuthorization: C2Listing ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`;
    const [short, long, headers] = await Promise.all([
      trickle(fast.listing.url, body(93, keys[0] as string)),
      trickle(normal.listing.url, body(94, keys[1] as string)),
      trickle(normal.listing.url, 'PUT /servers/94 HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a'),
    ]);
    for (const answer of [short, long, headers]) {
      expect(answer.response).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer.response).toContain('"error":"bad_request"');
    }
    expect(short.ms).toBeGreaterThan(2000);
    expect(short.ms).toBeLessThan(3500);
    expect(long.ms).toBeGreaterThan(25_000);
    expect(long.ms).toBeLessThan(30_500);
    expect(headers.ms).toBeLessThan(30_500);
    // Nothing was changed by the half-sent requests.
    expect((await normal.request('/servers/94')).status).toBe(200);
  }, 45_000);
});

const peersToClose: Peer[] = [];
afterAll(async () => {
  await Promise.all(peersToClose.map((p) => p.close()));
});

// ---- helpers -------------------------------------------------------------------------

/**
 * Sends `head`, then one byte of `drip` (cycled) every 250 ms until the server answers or
 * closes; returns the answer and how long it took from the first byte.
 */
function trickle(url: string, head: string, drip = ' '): Promise<{ response: string; ms: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = '';
    let started = 0;
    let n = 0;
    const socket = connect(Number(port), hostname, () => {
      started = Date.now();
      socket.write(head);
    });
    const timer = setInterval(() => socket.writable && socket.write(drip[n++ % drip.length] as string), 250);
    const guard = setTimeout(() => socket.destroy(new Error('no answer within 40 s')), 40_000);
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ response: answer, ms: Date.now() - started });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
  });
}

/** Sends raw bytes and returns what comes back before the server closes or 3 s pass. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(answer);
    }, 3000);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (/\r\n\r\n[\s\S]*\}/.test(answer)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(answer) : reject(err)));
  });
}

/** One request with exactly these header lines (duplicates allowed); status and body. */
async function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  extraLines: string[] = [],
): Promise<{ status: number; body: string }> {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: x',
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ...extraLines,
    ...(body ? ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`] : []),
  ];
  const answer = await raw(url, `${lines.join('\r\n')}\r\n\r\n${body}`);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  return { status, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) };
}

/** POSTs a chunked body that never ends; resolves with the status once the listing answers. */
function endlessChunkedPost(url: string, path: string): Promise<{ status: number; sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answer = '';
    let done = false;
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`;
      const pump = () => {
        while (!done && sent < 64 * 1024 * 1024) {
          sent += 0x4000;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), sent });
    };
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer to an endless body')));
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n\r\n')) finish();
    });
    socket.on('close', finish);
    socket.on('error', (err: NodeJS.ErrnoException) => (answer ? finish() : reject(err)));
  });
}

/** Completes the WebSocket upgrade, then sends one byte of a frame header every 50 ms, forever. */
async function tricklePeer(port = 0): Promise<CountingPeer> {
  return upgradingPeer(port, (socket) => {
    const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(Buffer.from([0x01]))), 50);
    socket.on('close', () => clearInterval(timer));
  });
}

/** Completes the upgrade, then answers with WebSocket ping frames, one every 20 ms, forever. */
async function pingForeverPeer(): Promise<CountingPeer> {
  return upgradingPeer(0, (socket) => {
    const timer = setInterval(
      () => (socket.destroyed ? clearInterval(timer) : socket.write(Buffer.from([0x89, 0x01, 0x78]))),
      20,
    );
    socket.on('close', () => clearInterval(timer));
  });
}

/** A peer that counts the connections it accepted (the dials it received). */
type CountingPeer = Peer & { accepted(): number };

async function upgradingPeer(port: number, after: (socket: Socket) => void): Promise<CountingPeer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      after(socket);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    address: `127.0.0.1:${bound}`,
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
