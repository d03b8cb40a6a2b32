/**
 * The server browser's data: a real listing with real chat servers, and, against a page
 * reader in memory, the search, the paging and the bounds of the pinging (only the servers
 * in view, at most `concurrency` at once).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ListedServer, ListingClient, type ListingPage, pingC2 } from '../../src/client/index.js';
import { NodeWebSocket } from '../../src/client/node.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import type { ListingServer } from '../../src/listing/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import type { DirectoryQuery } from '../../web/src/browser/directory.js';
import { DirectoryMonitor, type DirectoryMonitorOptions } from '../../web/src/browser/directory-monitor.js';
import { eventually } from '../helpers/eventually.js';
import { listServers, startTestListing } from '../helpers/listing.js';

const WebSocket = NodeWebSocket as unknown as WebSocketConstructor;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DirectoryMonitor with a real listing', () => {
  let listing: ListingServer;
  const chats: ChatServer[] = [];

  beforeAll(async () => {
    listing = await startTestListing();
    for (const [id, name] of [
      [502, 'Two'],
      [501, 'One'],
    ] as const) {
      chats.push(await startChatServer({ host: '127.0.0.1', port: 0, id, name, listing: { url: listing.url } }));
    }
    await eventually(async () => (await listServers(listing.url)).length === 2, 'both servers listed');
  });
  afterAll(async () => {
    await Promise.all(chats.map((c) => c.close()));
    await listing.close();
  });

  it('reads the first page by name and pings the servers in view from the client', async () => {
    const client = new ListingClient(listing.url);
    const monitor = new DirectoryMonitor({
      page: (query, limit, cursor, signal) => client.page(query, { limit, cursor, signal }),
      ping: (s) => pingC2(s.address, { WebSocket, expectedId: s.id, samples: 2 }),
      pingSettleMs: 1,
    });
    expect(monitor.getSnapshot().loading).toBe(true);
    await monitor.refresh();
    expect(monitor.getSnapshot().servers.map((s) => s.displayName)).toEqual(['One', 'Two']);
    monitor.setVisible(0, 2);
    const snap = await eventually(() => {
      const s = monitor.getSnapshot();
      return s.pings.size === 2 && [...s.pings.values()].every((p) => p.status === 'ok') ? s : undefined;
    });
    expect(snap.loading).toBe(false);
    expect(snap.more).toBe(false);
    expect(snap.error).toBeNull();
    for (const server of snap.servers) {
      const ping = snap.pings.get(server.address);
      expect(ping?.status === 'ok' && ping.serverId).toBe(server.id);
    }
    // The search is the listing's.
    monitor.setQuery({ q: 'tw' });
    expect(monitor.getSnapshot().query.q).toBe('tw');
    await eventually(() => (monitor.getSnapshot().servers.length === 1 ? true : undefined));
    expect(monitor.getSnapshot().servers[0]?.displayName).toBe('Two');
    monitor.stop();
  });

  it('says why when the listing cannot be read', async () => {
    const client = new ListingClient('http://127.0.0.1:1', { timeoutMs: 2000 });
    const monitor = new DirectoryMonitor({
      page: (query, limit, cursor, signal) => client.page(query, { limit, cursor, signal }),
      ping: () => Promise.reject(new Error('not called')),
    });
    await monitor.refresh();
    const snap = monitor.getSnapshot();
    expect(snap.loading).toBe(false);
    expect(snap.error).toMatch(/127\.0\.0\.1:1/);
    expect(snap.servers).toEqual([]);
  });
});

/** A directory in memory, answering pages as the listing does (by id, `q` on the name). */
function memoryDirectory(count: number) {
  const all: ListedServer[] = Array.from({ length: count }, (_, i) => ({
    id: i,
    displayName: `server ${i}`,
    address: `10.0.${i >> 8}.${i & 255}:5000`,
    connectedUsers: i % 7,
    maxUsers: 6,
    tls: false,
  }));
  const calls: { query: DirectoryQuery; limit: number; cursor: string | null; signal: AbortSignal }[] = [];
  let delayMs = 0;
  const page = async (query: DirectoryQuery, limit: number, cursor: string | null, signal: AbortSignal) => {
    calls.push({ query, limit, cursor, signal });
    if (delayMs > 0) await sleep(delayMs);
    if (signal.aborted) throw Object.assign(new Error('cancelled'), { code: 'aborted' });
    if (cursor === 'stale') throw Object.assign(new Error('cursor expired'), { code: 'invalid_cursor' });
    const q = query.q.trim();
    const matches = all.filter(
      (s) => (q === '' || s.displayName.includes(q)) && (!query.notFull || s.connectedUsers < s.maxUsers),
    );
    const from = cursor === null ? 0 : Number(cursor);
    const servers = matches.slice(from, from + limit);
    const next = from + limit < matches.length ? String(from + limit) : null;
    return { servers, next } satisfies ListingPage;
  };
  return {
    all,
    calls,
    page,
    setDelay: (ms: number) => {
      delayMs = ms;
    },
  };
}

describe('DirectoryMonitor: search and pages', () => {
  const monitors: DirectoryMonitor[] = [];
  afterEach(() => {
    for (const m of monitors.splice(0)) m.stop();
  });
  const make = (options: Partial<DirectoryMonitorOptions> & Pick<DirectoryMonitorOptions, 'page'>) => {
    const monitor = new DirectoryMonitor({ ping: async () => ({ rttMs: 1, serverId: 0 }), ...options });
    monitors.push(monitor);
    return monitor;
  };

  it('loads the next page when the view nears the end of what is loaded, and stops at the last', async () => {
    const dir = memoryDirectory(250);
    const monitor = make({ page: dir.page, pageSize: 100 });
    await monitor.refresh();
    expect(monitor.getSnapshot()).toMatchObject({ more: true, loading: false });
    expect(monitor.getSnapshot().servers).toHaveLength(100);
    // Far from the end: nothing more.
    monitor.setVisible(0, 20);
    await sleep(20);
    expect(dir.calls).toHaveLength(1);
    // Within half a page of the end: the next page, once.
    monitor.setVisible(40, 60);
    monitor.setVisible(41, 61);
    await eventually(() => (monitor.getSnapshot().servers.length === 200 ? true : undefined));
    expect(dir.calls.map((c) => c.cursor)).toEqual([null, '100']);
    monitor.setVisible(180, 200);
    await eventually(() => (monitor.getSnapshot().servers.length === 250 ? true : undefined));
    expect(monitor.getSnapshot().more).toBe(false);
    expect(monitor.getSnapshot().servers.map((s) => s.id)).toEqual(dir.all.map((s) => s.id));
    monitor.setVisible(230, 250);
    await sleep(20);
    expect(dir.calls).toHaveLength(3);
  });

  it('waits for a pause in the typing, cancels the older request and drops its answer', async () => {
    const dir = memoryDirectory(300);
    const monitor = make({ page: dir.page, searchDelayMs: 30 });
    await monitor.refresh();
    dir.setDelay(40);
    for (const q of ['s', 'se', 'ser', 'server 1']) monitor.setQuery({ q });
    expect(monitor.getSnapshot().query.q).toBe('server 1');
    await sleep(50);
    // One read for the four keystrokes.
    expect(dir.calls.map((c) => c.query.q)).toEqual(['', 'server 1']);
    // A newer query while that one is in flight: the older request is cancelled.
    monitor.setQuery({ notFull: true });
    expect(dir.calls[1]?.signal.aborted).toBe(true);
    await eventually(() => (monitor.getSnapshot().loading ? undefined : true));
    const snap = monitor.getSnapshot();
    expect(snap.query).toMatchObject({ q: 'server 1', notFull: true });
    expect(snap.servers.every((s) => s.displayName.includes('server 1') && s.connectedUsers < s.maxUsers)).toBe(true);
    expect(snap.servers.length).toBeGreaterThan(0);
  });

  it('a cursor the listing no longer accepts starts the walk again from the top', async () => {
    const dir = memoryDirectory(300);
    let first = true;
    const monitor = make({
      page: (query, limit, cursor, signal) => {
        // The listing answers the second page's cursor as expired (once).
        if (cursor !== null && first) {
          first = false;
          return dir.page(query, limit, 'stale', signal);
        }
        return dir.page(query, limit, cursor, signal);
      },
    });
    await monitor.refresh();
    monitor.setVisible(80, 100);
    // …and, the view still near the end of the first page, goes on with a fresh cursor.
    await eventually(() => (monitor.getSnapshot().servers.length === 200 ? true : undefined));
    expect(dir.calls.map((c) => c.cursor)).toEqual([null, 'stale', null, '100']);
    expect(monitor.getSnapshot().error).toBeNull();
  });

  it('reads the first page again every refreshMs while it is in view, not when scrolled further', async () => {
    const dir = memoryDirectory(500);
    const monitor = make({ page: dir.page, refreshMs: 40 });
    monitor.start();
    await eventually(() => (dir.calls.length >= 3 ? true : undefined));
    expect(dir.calls.every((c) => c.cursor === null)).toBe(true);
    monitor.setVisible(150, 170);
    await eventually(() => (monitor.getSnapshot().servers.length >= 200 ? true : undefined));
    const reads = dir.calls.filter((c) => c.cursor === null).length;
    await sleep(150);
    expect(dir.calls.filter((c) => c.cursor === null).length).toBe(reads);
    expect(monitor.getSnapshot().servers.length).toBeGreaterThanOrEqual(200);
  });
});

describe('DirectoryMonitor: pings', () => {
  it('pings only the servers in view, at most `concurrency` at once, again only when due', async () => {
    const dir = memoryDirectory(1000);
    let inFlight = 0;
    let peak = 0;
    const pinged: number[] = [];
    let now = 1_000_000;
    const monitor = new DirectoryMonitor({
      page: dir.page,
      ping: async (s) => {
        pinged.push(s.id);
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(2 + (s.id % 4));
        inFlight--;
        if (s.id === 3) throw new Error('no answer');
        return { rttMs: s.id, serverId: s.id };
      },
      concurrency: 4,
      pingEveryMs: 15_000,
      pingSettleMs: 5,
      now: () => now,
    });
    await monitor.refresh();
    expect(pinged).toEqual([]);
    monitor.setVisible(0, 25);
    await eventually(() => (pinged.length === 25 && inFlight === 0 ? true : undefined));
    expect(peak).toBe(4);
    expect([...pinged].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const snap = monitor.getSnapshot();
    expect(snap.pings.get(dir.all[3]?.address ?? '')).toMatchObject({ status: 'failed', error: 'no answer' });
    expect(snap.pings.get(dir.all[7]?.address ?? '')).toMatchObject({ status: 'ok', rttMs: 7 });

    // Not due yet: nothing again.
    now += 5_000;
    await monitor.refresh();
    await sleep(30);
    expect(pinged).toHaveLength(25);
    // Due: the servers in view again, keeping the old result on show meanwhile.
    now += 15_000;
    const refreshed = monitor.refresh();
    await refreshed;
    await eventually(() => (pinged.length === 50 && inFlight === 0 ? true : undefined));
    expect(monitor.getSnapshot().pings.get(dir.all[7]?.address ?? '')).toMatchObject({
      status: 'ok',
      refreshing: false,
    });
    expect(peak).toBe(4);
    monitor.stop();
  });

  it('a fast scroll pings nothing on the way; a queued ping whose server left the view is skipped', async () => {
    const dir = memoryDirectory(2000);
    const pinged: number[] = [];
    const monitor = new DirectoryMonitor({
      page: dir.page,
      pageSize: 1000,
      ping: async (s) => {
        pinged.push(s.id);
        await sleep(20);
        return { rttMs: 1, serverId: s.id };
      },
      concurrency: 2,
      pingSettleMs: 30,
    });
    await monitor.refresh();
    for (let top = 0; top < 900; top += 20) monitor.setVisible(top, top + 20);
    // Settled on rows 880–899: only those are pinged.
    await sleep(60);
    monitor.setVisible(0, 10);
    await eventually(() => (pinged.filter((id) => id < 10).length === 10 ? true : undefined));
    await sleep(60);
    expect(pinged.every((id) => id < 10 || (id >= 880 && id < 900))).toBe(true);
    // Rows 880–899 left the view after at most the first few of them had started.
    expect(pinged.filter((id) => id >= 880).length).toBeLessThan(20);
    monitor.stop();
  });

  it('drops queued pings when stopped', async () => {
    const dir = memoryDirectory(100);
    let pings = 0;
    const monitor = new DirectoryMonitor({
      page: dir.page,
      ping: async () => {
        pings++;
        await sleep(20);
        return { rttMs: 1, serverId: 0 };
      },
      concurrency: 2,
      pingSettleMs: 1,
    });
    monitor.start();
    await eventually(() => (monitor.getSnapshot().servers.length > 0 ? true : undefined));
    monitor.setVisible(0, 50);
    await eventually(() => (pings >= 2 ? true : undefined));
    monitor.stop();
    await sleep(100);
    expect(pings).toBeLessThan(50);
  });
});
