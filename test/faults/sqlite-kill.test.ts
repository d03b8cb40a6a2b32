/**
 * The listing's SQLite file survives SIGKILL in the middle of writes (WAL mode): many
 * registrations and updates in flight, `kill -9` of the real `bin/c2.js listing` process,
 * a restart on the same file, three rounds. Every 201 answered before the kill is listed
 * afterwards, with its address, and its key still works; every 200 to a PUT kept its value;
 * nothing is listed that was never registered, and no id twice. (bin/c2.js runs dist/:
 * `npm run build` first.)
 *
 * Registrations come from eight loopback addresses (127.0.0.10–17), each with a peer that
 * answers the ping on its own address, so the listing's default POST limit (10 a minute per
 * client IP) is met without being lifted.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { auth, http } from '../listing/helpers/http.js';
import { countingC2, type Peer } from '../listing/helpers/peers.js';

const ROUNDS = 3;
const PER_ROUND = 60;
const KILL_AFTER = 20;
const SOURCES = Array.from({ length: 8 }, (_, i) => `127.0.0.${10 + i}`);

const procs: C2Process[] = [];
const peers: Peer[] = [];
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(peers.map((p) => p.close()));
});

interface Registered {
  id: number;
  address: string;
  key: string;
  source: string;
  /** The connectedUsers value of the last PUT answered 200, if any. */
  users?: number;
}

async function startListing(db: string): Promise<{ proc: C2Process; url: string }> {
  const proc = runC2(['listing', '--host', '127.0.0.1', '--port', '0', '--db', db, '--allow-private-addresses']);
  procs.push(proc);
  const url = listeningUrl(await proc.waitFor(/listening on/, 15_000));
  return { proc, url };
}

describe('the SQLite listing under kill -9', () => {
  it(`keeps every answered write across ${ROUNDS} kills in the middle of writing`, async () => {
    const db = join(tempDir(), 'listing.db');
    const registered = new Map<number, Registered>();
    const attempted = new Set<number>();
    let inFlightAtKills = 0;
    /** Answers other than 201 and 200 (a request cut off by the kill has no answer at all). */
    const unexpected: string[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const { proc, url } = await startListing(db);
      const before = await http(url, '/servers');
      checkListing(before.json<{ servers: Array<{ id: number; address: string; connectedUsers: number }> }>().servers);

      // This round's registrations, each with its own peer on its own source address…
      const fresh = await Promise.all(
        Array.from({ length: PER_ROUND }, async (_, i) => {
          const id = 10_000 * (round + 1) + i;
          const source = SOURCES[i % SOURCES.length] as string;
          const peer = await countingC2(id, source);
          peers.push(peer);
          return { id, source, address: peer.address };
        }),
      );
      // …and a PUT to every entry of the earlier rounds, with this round's number.
      const earlier = [...registered.values()];
      let answered = 0;
      let settled = 0;
      let kill!: () => void;
      const killed = new Promise<void>((resolve) => {
        kill = resolve;
      });
      const work = [
        ...fresh.map(async ({ id, source, address }) => {
          attempted.add(id);
          try {
            const res = await http(url, `/servers/${id}`, { method: 'POST', body: { address }, localAddress: source });
            if (res.status === 201) {
              registered.set(id, { id, address, key: res.text, source });
              if (++answered === KILL_AFTER) kill();
            } else {
              unexpected.push(`POST ${id}: ${res.status} ${res.text}`);
            }
          } catch {
            // Cut off by the kill: it may or may not have been written.
          } finally {
            settled++;
          }
        }),
        ...earlier.map(async (entry) => {
          try {
            const res = await http(url, `/servers/${entry.id}`, {
              method: 'PUT',
              headers: auth(entry.key),
              body: { connectedUsers: round },
            });
            if (res.status === 200) entry.users = round;
            else unexpected.push(`PUT ${entry.id}: ${res.status} ${res.text}`);
          } catch {
            // Cut off by the kill.
          } finally {
            settled++;
          }
        }),
      ];
      await killed;
      proc.kill('SIGKILL');
      inFlightAtKills += work.length - settled;
      expect(await proc.exited()).toBe('SIGKILL');
      await Promise.all(work);
      expect(unexpected).toEqual([]);

      // The file is whole before anything reopens it (opening it recovers the WAL).
      const raw = new Database(db);
      try {
        expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        raw.close();
      }
    }

    // A last start: everything answered is there, and every key works.
    const { proc, url } = await startListing(db);
    const servers = (await http(url, '/servers')).json<{
      servers: Array<{ id: number; address: string; connectedUsers: number }>;
    }>().servers;
    checkListing(servers);
    for (const entry of registered.values()) {
      const res = await http(url, `/servers/${entry.id}`, {
        method: 'PUT',
        headers: auth(entry.key),
        body: { connectedUsers: 9 },
      });
      expect(res.status, `the key of ${entry.id}`).toBe(200);
    }
    proc.kill('SIGTERM');
    expect(await proc.exited()).toBe(0);
    // Some requests were still in flight at each kill: the kills really were mid-write.
    expect(inFlightAtKills).toBeGreaterThan(0);
    expect(registered.size).toBeGreaterThanOrEqual(ROUNDS * KILL_AFTER);
    process.stdout.write(
      `[faults] SQLite: ${ROUNDS} kill -9 survived, ${registered.size} answered registrations kept, ${inFlightAtKills} requests cut off\n`,
    );

    function checkListing(list: Array<{ id: number; address: string; connectedUsers: number }>): void {
      const ids = list.map((s) => s.id);
      expect(new Set(ids).size, 'an id listed twice').toBe(ids.length);
      for (const id of ids) expect(attempted.has(id), `listed but never registered: ${id}`).toBe(true);
      const byId = new Map(list.map((s) => [s.id, s]));
      for (const entry of registered.values()) {
        const listed = byId.get(entry.id);
        expect(listed, `lost: ${entry.id}`).toBeDefined();
        expect(listed?.address).toBe(entry.address);
        if (entry.users !== undefined) expect(listed?.connectedUsers, `PUT of ${entry.id}`).toBe(entry.users);
      }
    }
  }, 90_000);
});
