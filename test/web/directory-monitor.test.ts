/** The server browser's data: a real listing with real chat servers, and the bounds of the pinging. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListedServer, ListingClient, pingC2 } from '../../src/client/index.js';
import { NodeWebSocket } from '../../src/client/node.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import type { ListingServer } from '../../src/listing/index.js';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { DirectoryMonitor } from '../../web/src/browser/directory-monitor.js';
import { eventually } from '../helpers/eventually.js';
import { listServers, startTestListing } from '../helpers/listing.js';

const WebSocket = NodeWebSocket as unknown as WebSocketConstructor;

describe('DirectoryMonitor with a real listing', () => {
  let listing: ListingServer;
  const chats: ChatServer[] = [];

  beforeAll(async () => {
    listing = await startTestListing();
    for (const [id, name] of [
      [501, 'One'],
      [502, 'Two'],
    ] as const) {
      chats.push(await startChatServer({ host: '127.0.0.1', port: 0, id, name, listing: { url: listing.url } }));
    }
    await eventually(async () => (await listServers(listing.url)).length === 2, 'both servers listed');
  });
  afterAll(async () => {
    await Promise.all(chats.map((c) => c.close()));
    await listing.close();
  });

  it('reads the directory and pings every server from the client', async () => {
    const client = new ListingClient(listing.url);
    const monitor = new DirectoryMonitor({
      list: () => client.list(),
      ping: (s) => pingC2(s.address, { WebSocket, expectedId: s.id, samples: 2 }),
    });
    const changes: number[] = [];
    monitor.subscribe(() => changes.push(monitor.getSnapshot().pings.size));
    expect(monitor.getSnapshot().loading).toBe(true);
    await monitor.refresh();
    const snap = await eventually(() => {
      const s = monitor.getSnapshot();
      return [...s.pings.values()].every((p) => p.status === 'ok') && s.pings.size === 2 && s;
    }, 'both pings');
    expect(snap.loading).toBe(false);
    expect(snap.error).toBeNull();
    expect(snap.servers.map((s) => s.displayName).sort()).toEqual(['One', 'Two']);
    for (const server of snap.servers) {
      const ping = snap.pings.get(server.address);
      expect(ping?.status === 'ok' && ping.serverId).toBe(server.id);
    }
    expect(changes.length).toBeGreaterThan(0);
    monitor.stop();
  });

  it('says why when the listing cannot be read', async () => {
    const monitor = new DirectoryMonitor({
      list: () => new ListingClient('http://127.0.0.1:1', { timeoutMs: 2000 }).list(),
      ping: () => Promise.reject(new Error('not called')),
    });
    await monitor.refresh();
    const snap = monitor.getSnapshot();
    expect(snap.loading).toBe(false);
    expect(snap.error).toMatch(/127\.0\.0\.1:1/);
    expect(snap.servers).toEqual([]);
  });
});

describe('DirectoryMonitor bounds', () => {
  const many: ListedServer[] = Array.from({ length: 25 }, (_, i) => ({
    id: i,
    displayName: `s${i}`,
    address: `10.0.0.${i}:5000`,
    connectedUsers: 0,
    maxUsers: 50,
  }));

  it('keeps at most `concurrency` pings in flight and pings again only when due', async () => {
    let inFlight = 0;
    let peak = 0;
    let pings = 0;
    let now = 1_000_000;
    const monitor = new DirectoryMonitor({
      list: async () => many,
      ping: async (s) => {
        pings++;
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2 + (s.id % 4)));
        inFlight--;
        if (s.id === 3) throw new Error('no answer');
        return { rttMs: s.id, serverId: s.id };
      },
      concurrency: 4,
      pingEveryMs: 15_000,
      now: () => now,
    });
    await monitor.refresh();
    await eventually(() => pings === 25 && inFlight === 0, '25 pings');
    expect(peak).toBe(4);
    const snap = monitor.getSnapshot();
    expect(snap.pings.get('10.0.0.3:5000')).toMatchObject({ status: 'failed', error: 'no answer' });
    expect(snap.pings.get('10.0.0.7:5000')).toMatchObject({ status: 'ok', rttMs: 7 });

    // Not due yet: no new pings.
    now += 5_000;
    await monitor.refresh();
    await new Promise((r) => setTimeout(r, 30));
    expect(pings).toBe(25);
    // Due: every server again, keeping the old result on show meanwhile.
    now += 15_000;
    await monitor.refresh();
    expect(monitor.getSnapshot().pings.get('10.0.0.7:5000')).toMatchObject({ status: 'ok', refreshing: true });
    await eventually(() => pings === 50 && inFlight === 0, '50 pings');
    expect(peak).toBe(4);
    // A forced refresh pings everything at once (still bounded).
    await monitor.refresh(true);
    await eventually(() => pings === 75 && inFlight === 0, '75 pings');
    expect(peak).toBe(4);
  });

  it('drops queued pings when stopped', async () => {
    let pings = 0;
    const monitor = new DirectoryMonitor({
      list: async () => many,
      ping: async () => {
        pings++;
        await new Promise((r) => setTimeout(r, 20));
        return { rttMs: 1, serverId: 0 };
      },
      concurrency: 2,
    });
    monitor.start();
    await eventually(() => pings >= 2, 'two pings');
    monitor.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(pings).toBeLessThan(25);
  });
});
