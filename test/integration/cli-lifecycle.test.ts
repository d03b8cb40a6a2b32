import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListingServer } from '../../src/listing/index.js';
import { eventually } from '../helpers/eventually.js';
import { listServers, startTestListing } from '../helpers/listing.js';
import { holdPort } from '../helpers/ports.js';
import { type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const procs: C2Process[] = [];
const listings: ListingServer[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
  for (const l of listings.splice(0)) await l.close();
});

function c2(args: string[], env: Record<string, string> = {}): C2Process {
  const p = runC2(args, env);
  procs.push(p);
  return p;
}

async function listing(options: Parameters<typeof startTestListing>[0] = {}): Promise<ListingServer> {
  const l = await startTestListing({ db: join(tempDir(), 'listing.db'), ...options });
  listings.push(l);
  return l;
}

function chatServer(listingUrl: string, dataDir: string, ...extra: string[]): C2Process {
  return c2(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--listing', listingUrl, ...extra]);
}

/** Runs a short-lived c2 command to completion. */
async function run(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = c2(args);
  const code = await p.exited(15_000);
  return { code, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
}

describe('c2 server --listing (real processes)', () => {
  it('registers at start and unregisters on SIGTERM', async () => {
    const l = await listing();
    const p = chatServer(l.url, tempDir(), '--id', '41', '--name', 'Proc');
    const url = listeningUrl(await p.waitFor(/listening on/));
    await p.waitFor(/listing: registered/);
    expect(await listServers(l.url)).toEqual([
      { id: 41, displayName: 'Proc', address: new URL(url).host, connectedUsers: 0, maxUsers: 50, tls: false },
    ]);
    p.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
    expect(await listServers(l.url)).toEqual([]);
  });

  it('after kill -9: the entry is reused by a restart, or evicted when the server stays down, then registered again', async () => {
    const l = await listing({ liveness: true, checkIntervalMs: 200, maxFailures: 2 });
    const dataDir = tempDir();
    const first = chatServer(l.url, dataDir, '--listing-heartbeat', '60000');
    await first.waitFor(/listing: registered/);
    const [entry] = await listServers(l.url);
    first.kill('SIGKILL');
    await first.exited();
    // Down: the liveness checker evicts it.
    await eventually(async () => (await listServers(l.url)).length === 0, 'the eviction');
    // Back: it registers again under the same id (kept in its data directory).
    const second = chatServer(l.url, dataDir);
    await second.waitFor(/listing: registered at/);
    const after = await listServers(l.url);
    expect(after.map((s) => s.id)).toEqual([entry?.id]);
  });

  it('a restart right after kill -9 reuses the key: one entry, no duplicate', async () => {
    const l = await listing();
    const dataDir = tempDir();
    const first = chatServer(l.url, dataDir);
    await first.waitFor(/listing: registered/);
    first.kill('SIGKILL');
    await first.exited();
    const second = chatServer(l.url, dataDir);
    await second.waitFor(/listing: still listed, reusing the entry/);
    await eventually(
      async () =>
        (await listServers(l.url))[0]?.address.endsWith(
          `:${new URL(listeningUrl(second.stdout.find((x) => x.includes('listening on')) ?? '')).port}`,
        ),
      'the entry to show the new port',
    );
    expect(await listServers(l.url)).toHaveLength(1);
  });

  it('says in one clear line that the listing cannot reach it, and how to fix it', async () => {
    const l = await listing({ pingTimeoutMs: 1000 });
    const p = chatServer(l.url, tempDir(), '--public-address', '127.0.0.1:1');
    const line = await p.waitFor(/could not reach this server/);
    expect(JSON.parse(line).msg).toMatch(
      /^listing: the listing could not reach this server at 127\.0\.0\.1:1 \(.*\)\. Start the server with --public-address HOST:PORT, an address the listing can reach \(retrying in [0-9.]+ s\)$/,
    );
    // It keeps serving chat.
    await p.waitFor(/listening on/);
  });
});

describe('c2 servers and c2 ping', () => {
  it('lists the directory with live pings, as a table and as JSON', async () => {
    const l = await listing();
    const p = chatServer(l.url, tempDir(), '--id', '5', '--name', 'Pingable');
    const address = new URL(listeningUrl(await p.waitFor(/listening on/))).host;
    await p.waitFor(/listing: registered/);

    const json = await run(['servers', '--listing', l.url, '--json']);
    expect(json.code).toBe(0);
    const [entry] = JSON.parse(json.stdout);
    expect(entry).toMatchObject({ id: 5, displayName: 'Pingable', address, connectedUsers: 0, maxUsers: 50 });
    expect(entry.pingMs).toBeGreaterThan(0);

    const table = await run(['servers', '--listing', l.url]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+ADDRESS\s+USERS\s+PING$/m);
    expect(table.stdout).toMatch(
      new RegExp(`^Pingable\\s+${address.replace(/\./g, '\\.')}\\s+0/50\\s+[0-9.]+ ms$`, 'm'),
    );
  });

  it('searches, filters, sorts and limits on the listing, and pings only the servers it shows', async () => {
    const l = await listing();
    // Every entry's address is one TCP port that counts the connections made to it.
    let dialled = 0;
    const counter = createServer((socket) => {
      dialled++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    try {
      const address = `127.0.0.1:${(counter.address() as AddressInfo).port}`;
      const now = Date.now();
      await l.store.insertMany(
        Array.from({ length: 40 }, (_, i) => ({
          id: i + 1,
          displayName: i % 2 === 0 ? `Filler ${i}` : `Café ${i}`,
          address,
          connectedUsers: i % 3,
          maxUsers: i % 5 === 0 ? 2 : 10,
          tls: false,
          keyHash: 'x',
          registeredFrom: '127.0.0.1',
        })),
        now,
        now + 3_600_000,
      );
      const limited = await run(['servers', '--listing', l.url, '--limit', '5', '--timeout', '500']);
      expect(limited.code).toBe(0);
      const rows = limited.stdout.split('\n').filter((line) => /\s—$/.test(line));
      expect(rows.map((r) => r.split(/\s{2,}/)[0])).toEqual(['Filler 0', 'Café 1', 'Filler 2', 'Café 3', 'Filler 4']);
      expect(limited.stdout).toMatch(/^… the first 5: more are listed \(raise --limit/m);
      expect(dialled).toBe(5);

      dialled = 0;
      const found = await run([
        'servers',
        '--listing',
        l.url,
        '--q',
        'CAFE 1',
        '--not-empty',
        '--not-full',
        '--sort',
        '-users',
        '--json',
        '--timeout',
        '500',
      ]);
      expect(found.code).toBe(0);
      const entries = JSON.parse(found.stdout) as { displayName: string; connectedUsers: number; maxUsers: number }[];
      const expectedNames = Array.from({ length: 40 }, (_, i) => i)
        .filter((i) => i % 2 === 1 && `café ${i}`.includes('café 1') && i % 3 > 0 && i % 3 < (i % 5 === 0 ? 2 : 10))
        .sort((a, b) => (b % 3) - (a % 3) || b - a)
        .map((i) => `Café ${i}`);
      expect(entries.map((e) => e.displayName)).toEqual(expectedNames);
      expect(dialled).toBe(expectedNames.length);
      expect(found.stderr).not.toMatch(/more are listed/);

      const none = await run(['servers', '--listing', l.url, '--q', 'nothing like it']);
      expect(none.stdout).toMatch(/^no server at .* matches$/m);
      const bad = await run(['servers', '--listing', l.url, '--sort', 'rating']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/the order is one of id, name, users/);
    } finally {
      await new Promise((resolve) => counter.close(resolve));
    }
  });

  it('shows — for a listed server that does not answer', async () => {
    const l = await listing({ checkIntervalMs: 60_000 });
    const p = chatServer(l.url, tempDir(), '--name', 'Gone');
    await p.waitFor(/listing: registered/);
    p.kill('SIGKILL');
    await p.exited();
    const table = await run(['servers', '--listing', l.url, '--timeout', '500']);
    expect(table.stdout).toMatch(/^Gone\s+.*\s+—$/m);
  });

  it('ping: round trip and id, --count with statistics, non-zero exit when unreachable', async () => {
    const p = c2(['server', '--host', '127.0.0.1', '--port', '0', '--id', '77', '--data-dir', tempDir()]);
    const address = new URL(listeningUrl(await p.waitFor(/listening on/))).host;
    const once = await run(['ping', address]);
    expect(once.code).toBe(0);
    expect(once.stdout).toMatch(new RegExp(`^reply from ${address}: server id 77, seq=1 time=[0-9.]+ ms$`, 'm'));
    const three = await run(['ping', address, '--count', '3', '--interval', '50']);
    expect(three.stdout).toMatch(/^3 sent, 3 received, 0% loss$/m);
    expect(three.stdout).toMatch(/^rtt min\/avg\/max = [0-9.]+\/[0-9.]+\/[0-9.]+ ms$/m);
    const down = await run(['ping', '127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/no reply from 127\.0\.0\.1:1: seq=1 .*ECONNREFUSED/);
  });

  it('the listing being down is a readable error', async () => {
    const down = await holdPort();
    const { port } = down;
    const r = await run(['servers', '--listing', `http://127.0.0.1:${port}`]).finally(() => down.release());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^c2: cannot read the listing at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED$`, 'm'),
    );
  });

  it.each([
    [['server', '--listing', 'ftp://x'], /expected an http:\/\/ or https:\/\/ URL/],
    [['server', '--listing', 'not a url'], /expected an http:\/\/ or https:\/\/ URL/],
    [['server', '--public-address', 'nohost'], /expected HOST:PORT/],
    [['server', '--listing-heartbeat', '5'], /the listing heartbeat must be a whole number from 100/],
    [['server', '--name', 'x'.repeat(65)], /the server name must be 1 to 64 characters/],
    [['ping'], /missing required argument 'address'/],
    [['ping', 'bad address'], /is not HOST:PORT/],
    [['ping', '127.0.0.1:1', '--count', '0'], /the count must be a whole number from 1/],
    [['servers', '--listing', 'gopher://x'], /expected an http/],
  ])('refuses %j readably', async (args, message) => {
    const r = await run(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe('npm start (c2 local)', () => {
  it('starts both servers, prints the banner, lists the chat server, and Ctrl-C leaves the listing empty', async () => {
    const dir = tempDir();
    const db = join(dir, 'listing.db');
    // Its flags from the environment, by the rule every command follows (C2_ + the flag's name).
    const p = c2(['local'], { C2_CHAT_PORT: '0', C2_LISTING_PORT: '0', C2_DATA_DIR: join(dir, 'data'), C2_DB: db });
    await p.waitFor(/^Chatter is running\.$/);
    const web = await p.waitFor(/Open the web client:/);
    const browser = await p.waitFor(/Server browser:/);
    await p.waitFor(/Chat in a terminal:\s+node bin\/c2\.js chat ws:\/\/localhost:\d+$/);
    await p.waitFor(/, listed$/);
    const listingUrl = (browser.match(/http:\/\/\S+/)?.[0] ?? '').replace(/\/$/, '').replace('localhost', '127.0.0.1');
    const chatUrl = web.match(/http:\/\/\S+/)?.[0] ?? '';
    const servers = await listServers(listingUrl);
    expect(servers).toHaveLength(1);
    expect(servers[0]?.address).toBe(`127.0.0.1:${new URL(chatUrl).port}`);
    // The web client's link tells it where the listing is (not on the default port 8080 here).
    expect(new URL(chatUrl).searchParams.get('listing')).toBe(listingUrl.replace('127.0.0.1', 'localhost'));
    const page = await fetch(chatUrl);
    expect(page.status).toBe(200);

    p.kill('SIGINT');
    expect(await p.exited()).toBe(0);
    expect(p.stdout.some((l) => l.includes('listing: unregistered'))).toBe(true);
    // The directory it leaves behind is empty.
    const again = await startTestListing({ db });
    listings.push(again);
    expect(await listServers(again.url)).toEqual([]);
  });
});
