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
import { eventually } from '../helpers/eventually.js';
import { type ListedServer, listServers } from '../helpers/listing.js';
import { holdPort, startOnPort } from '../helpers/ports.js';
import { type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
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
    const startListing = async (port: number) => {
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
      return { p, url: listeningUrl(await p.waitFor(/listening on/, 15_000)) };
    };
    // First on port 0; each restart on the same port, which the chat servers know.
    const first = await startListing(0);
    let listing = first.p;
    const { url } = first;
    const port = Number(new URL(url).port);

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
    await eventually(async () => (await listServers(url)).length === 2, 'both entries');

    const alice = await TestClient.connect(a.url, 'alice');
    const bob = await TestClient.connect(a.url, 'bob');
    clients.push(alice, bob);
    await alice.next(); // bob joined

    const puts = () => [a.registrar?.requests.PUT ?? 0, b.registrar?.requests.PUT ?? 0];
    for (let kill = 1; kill <= 2; kill++) {
      listing.kill('SIGKILL');
      expect(await listing.exited()).toBe('SIGKILL');
      // Held while the listing is down (connections refused, as to a dead process), so that
      // no other test takes it meanwhile.
      const down = await holdPort(port);
      const [aPuts = 0, bPuts = 0] = puts();

      // Chat is untouched while the listing is down, and users still come and go.
      alice.send(`c2/MSG listing down ${kill}`);
      expect(await alice.next()).toBe(`c2/MSG alice; listing down ${kill}`);
      expect(await bob.next()).toBe(`c2/MSG alice; listing down ${kill}`);
      const newcomer = await TestClient.connect(b.url, `carol${kill}`);
      clients.push(newcomer);
      await eventually(() => {
        const [aNow = 0, bNow = 0] = puts();
        return aNow > aPuts && bNow > bPuts;
      }, 'a failed heartbeat from each server');

      await down.release();
      listing = (await startOnPort(() => startListing(port))).p;
      // The entries were kept; the servers' next PUTs bring the counts up to date.
      expect((await listServers(url)).map((s) => s.id).sort()).toEqual([91, 92]);
      await eventually(
        async () => {
          const c = await counts();
          return c[91] === 2 && c[92] === kill;
        },
        'the counts to catch up',
        20_000,
      );
    }
    // Both servers kept their keys: one POST each, at the very start.
    expect(a.registrar?.requests.POST).toBe(1);
    expect(b.registrar?.requests.POST).toBe(1);
    expect(a.registrar?.state).toBe('registered');
    process.stdout.write('[faults] listing: 2 kill -9 and restarts survived by 2 running chat servers\n');
  }, 90_000);
});
