/**
 * The listing killed (SIGKILL) and restarted, twice, while chat servers run: chat goes on
 * untouched meanwhile, the servers' entries survive in the listing's SQLite file, and the
 * servers find the listing again by themselves, with their kept keys (no new POST) and
 * their user counts brought up to date. A chat server killed with SIGKILL (evicted, then
 * registered again) is covered by test/integration/cli-lifecycle.test.ts.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { eventually, freePort, type ListedServer, listServers } from '../helpers/listing.js';
import { type C2Process, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const procs: C2Process[] = [];
const chats: ChatServer[] = [];
const clients: TestClient[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(chats.map((c) => c.close()));
  for (const p of procs) p.kill('SIGKILL');
});

describe('the listing killed under running chat servers', () => {
  it('two kill -9 and restarts: chat goes on, entries survive, counts catch up, no re-registration', async () => {
    const db = join(tempDir(), 'listing.db');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const startListing = async () => {
      const p = runC2([
        'listing',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--db',
        db,
        '--allow-private-addresses',
      ]);
      procs.push(p);
      await p.waitFor(/listening on/, 15_000);
      return p;
    };
    let listing = await startListing();

    for (const id of [91, 92]) {
      chats.push(
        await startChatServer({
          host: '127.0.0.1',
          port: 0,
          id,
          name: `chat ${id}`,
          listing: { url, heartbeatMs: 300 },
        }),
      );
    }
    const [a, b] = chats as [ChatServer, ChatServer];
    const counts = async (): Promise<Record<number, number>> =>
      Object.fromEntries((await listServers(url)).map((s: ListedServer) => [s.id, s.connectedUsers]));
    await eventually(async () => ((await listServers(url)).length === 2 ? true : undefined), 10_000);

    const alice = await TestClient.connect(a.url, 'alice');
    const bob = await TestClient.connect(a.url, 'bob');
    clients.push(alice, bob);
    await alice.next(); // bob joined

    for (let kill = 1; kill <= 2; kill++) {
      listing.kill('SIGKILL');
      expect(await listing.exited()).toBe('SIGKILL');

      // Chat is untouched while the listing is down, and users still come and go.
      alice.send(`c2/MSG listing down ${kill}`);
      expect(await alice.next()).toBe(`c2/MSG alice; listing down ${kill}`);
      expect(await bob.next()).toBe(`c2/MSG alice; listing down ${kill}`);
      const newcomer = await TestClient.connect(b.url, `carol${kill}`);
      clients.push(newcomer);
      await new Promise((r) => setTimeout(r, 700)); // a few failed heartbeats

      listing = await startListing();
      // The entries were kept; the servers' next PUTs bring the counts up to date.
      expect((await listServers(url)).map((s) => s.id).sort()).toEqual([91, 92]);
      await eventually(async () => {
        const c = await counts();
        return c[91] === 2 && c[92] === kill ? true : undefined;
      }, 20_000);
    }
    // Both servers kept their keys: one POST each, at the very start.
    expect(a.registrar?.requests.POST).toBe(1);
    expect(b.registrar?.requests.POST).toBe(1);
    expect(a.registrar?.state).toBe('registered');
    process.stdout.write('[faults] listing: 2 kill -9 and restarts survived by 2 running chat servers\n');
  }, 90_000);
});
