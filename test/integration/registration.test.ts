import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import type { ChatServerOptions } from '../../src/server/options.js';
import { eventually } from '../helpers/eventually.js';
import { listServers, startTestListing } from '../helpers/listing.js';
import { holdPort } from '../helpers/ports.js';
import { selfSignedCert } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function listing(port = 0): Promise<ListingServer> {
  const l = await startTestListing({ port });
  cleanups.push(() => l.close());
  return l;
}

async function chat(listingUrl: string, options: Partial<ChatServerOptions> = {}): Promise<ChatServer> {
  const { listing: listingOptions, ...rest } = options;
  const c = await startChatServer({
    host: '127.0.0.1',
    port: 0,
    id: 7,
    name: 'Registered',
    listing: { url: listingUrl, heartbeatMs: 60_000, ...listingOptions },
    ...rest,
  });
  cleanups.push(() => c.close());
  return c;
}

describe('chat server ⇄ listing', () => {
  it('a server with a TLS certificate registers with tls: true, and the listing pings it over wss://', async () => {
    const l = await startTestListing({ allowSelfSigned: true });
    cleanups.push(() => l.close());
    const files = selfSignedCert(tempDir());
    const tls = { cert: readFileSync(files.cert), key: readFileSync(files.key) };
    const c = await chat(l.url, { tls });
    const [entry] = await eventually(async () => {
      const s = await listServers(l.url);
      return s.length > 0 && s;
    }, 'the entry');
    expect(entry).toEqual({
      id: 7,
      displayName: 'Registered',
      address: `127.0.0.1:${c.port}`,
      connectedUsers: 0,
      maxUsers: 50,
      tls: true,
    });
  });

  it('a TLS server the listing cannot verify stays unlisted', async () => {
    // No --allow-self-signed: the self-signed certificate is refused.
    const l = await listing();
    const files = selfSignedCert(tempDir());
    const c = await chat(l.url, { tls: { cert: readFileSync(files.cert), key: readFileSync(files.key) } });
    await eventually(() => (c.registrar?.requests.POST ?? 0) >= 1 && c.registrar?.state === 'unregistered');
    await new Promise((r) => setTimeout(r, 200));
    expect(c.registrar?.state).toBe('unregistered');
    expect(await listServers(l.url)).toEqual([]);
  });

  it('registers at start with its name, address and counts', async () => {
    const l = await listing();
    const c = await chat(l.url, { maxUsers: 12 });
    const [entry] = await eventually(async () => {
      const s = await listServers(l.url);
      return s.length > 0 && s;
    }, 'the entry');
    expect(entry).toEqual({
      id: 7,
      displayName: 'Registered',
      address: `127.0.0.1:${c.port}`,
      connectedUsers: 0,
      maxUsers: 12,
      tls: false,
    });
    expect(c.registrar?.state).toBe('registered');
  });

  it('updates the count, coalescing a burst of joins into far fewer PUTs, ending on the right count', async () => {
    const l = await listing();
    const c = await chat(l.url);
    await eventually(() => c.registrar?.state === 'registered', 'registered');
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => TestClient.connect(c.url, `user${i}`)));
    cleanups.push(async () => {
      for (const x of clients) x.close();
    });
    await eventually(async () => (await listServers(l.url))[0]?.connectedUsers === 20, 'a count of 20');
    expect(c.registrar?.requests.PUT).toBeLessThanOrEqual(3);
    // Leaving is reported too.
    for (const x of clients.slice(0, 5)) x.close();
    await eventually(async () => (await listServers(l.url))[0]?.connectedUsers === 15, 'a count of 15');
  });

  it('sends a heartbeat PUT even when nothing changes', async () => {
    const l = await listing();
    const c = await chat(l.url, { listing: { url: l.url, heartbeatMs: 150 } });
    await eventually(() => (c.registrar?.requests.PUT ?? 0) >= 3, 'three heartbeat PUTs', 5000);
  });

  it('unregisters on close', async () => {
    const l = await listing();
    const c = await chat(l.url);
    await eventually(async () => (await listServers(l.url)).length === 1, 'the entry');
    await c.close();
    expect(await listServers(l.url)).toEqual([]);
  });

  it('does not hang its shutdown on a dead listing', async () => {
    const l = await listing();
    const c = await chat(l.url);
    await eventually(() => c.registrar?.state === 'registered', 'registered');
    await l.close();
    const started = Date.now();
    await c.close();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('registers as soon as a listing that was down at start comes up', async () => {
    // The listing's port refuses connections until the listing starts on it.
    const down = await holdPort();
    cleanups.push(() => down.release());
    const url = `http://127.0.0.1:${down.port}`;
    const c = await chat(url);
    // Chat works meanwhile.
    const a = await TestClient.connect(c.url, 'alice');
    a.send('c2/MSG still chatting');
    expect(await a.next()).toBe('c2/MSG alice; still chatting');
    a.close();
    await eventually(() => (c.registrar?.requests.POST ?? 0) >= 1, 'a refused POST');
    expect(c.registrar?.state).toBe('unregistered');
    await down.release();
    await listing(down.port);
    await eventually(async () => (await listServers(url)).length === 1, 'the entry');
  });

  it('registers again when the listing restarts with an empty database', async () => {
    const first = await startTestListing();
    const c = await chat(first.url, { listing: { url: first.url, heartbeatMs: 200 } });
    await eventually(async () => (await listServers(first.url)).length === 1, 'the entry');
    const postsBefore = c.registrar?.requests.POST ?? 0;
    await first.close();
    // Restarted on the same port at once (port 0 would give another one): a new, empty database.
    const second = await listing(first.port);
    await eventually(async () => (await listServers(second.url)).length === 1, 'the entry in the new listing');
    expect(c.registrar?.requests.POST).toBe(postsBefore + 1);
  });

  it('reuses its key after a restart with the same data directory: one entry, no new POST', async () => {
    const l = await listing();
    const dataDir = tempDir();
    const first = await startChatServer({
      host: '127.0.0.1',
      port: 0,
      id: 99,
      dataDir,
      listing: { url: l.url, heartbeatMs: 60_000 },
    });
    await eventually(() => first.registrar?.state === 'registered', 'registered');
    // Simulate a crash: stop the registrar's timers without a DELETE, then free the port.
    const port = first.port;
    (first.registrar as unknown as { state: string }).state = 'stopped';
    await first.close();
    expect((await listServers(l.url)).map((s) => s.id)).toEqual([99]);

    const second = await startChatServer({
      host: '127.0.0.1',
      port,
      dataDir,
      listing: { url: l.url, heartbeatMs: 60_000 },
    });
    cleanups.push(() => second.close());
    expect(second.options.id).toBe(99);
    await eventually(() => second.registrar?.state === 'registered', 'registered');
    expect(second.registrar?.requests).toMatchObject({ POST: 0, PUT: 1 });
    expect((await listServers(l.url)).map((s) => s.id)).toEqual([99]);
  });

  it('keeps serving, unlisted, when another server holds its id (409)', async () => {
    const l = await listing();
    await chat(l.url);
    await eventually(async () => (await listServers(l.url)).length === 1, 'the entry');
    const twin = await chat(l.url);
    await eventually(
      () => (twin.registrar?.requests.POST ?? 0) >= 1 && twin.registrar?.state === 'unregistered',
      "the twin's refused POST",
    );
    const a = await TestClient.connect(twin.url, 'alice');
    a.send('c2/PING');
    expect(await a.next()).toBe('c2/PING 7');
    a.close();
    const entries = await listServers(l.url);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.address).not.toBe(`127.0.0.1:${twin.port}`);
  });
});
