/**
 * Gapless resume (contract §10) across a restart of the real server process: a client of the
 * library stays (reconnecting) while the server is stopped with SIGTERM, or killed with
 * SIGKILL right after a burst, and restarted on the same port and data directory; others
 * talk meanwhile. The client ends with every message of the sequence exactly once, in order.
 * (bin/c2.js runs dist/: `npm run build` first.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ChatMessage, HistoryEntry } from '../../src/client/types.js';
import { trackedClient } from '../client/helpers.js';
import { eventually } from '../helpers/eventually.js';
import { type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

/** Talkers of the burst while the client is away (300 messages), and of the one before (100). */
const TALKERS = 30;
const BEFORE = 10;
const EACH = 10;

const procs: C2Process[] = [];
const raw: TestClient[] = [];
afterAll(() => {
  for (const c of raw) c.close();
  for (const p of procs) p.kill('SIGKILL');
});

async function startServer(dataDir: string, port = 0): Promise<{ proc: C2Process; url: string; port: number }> {
  const proc = runC2(['server', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--no-console']);
  procs.push(proc);
  const url = listeningUrl(await proc.waitFor(/listening on/, 15_000));
  return { proc, url, port: Number(new URL(url).port) };
}

/** Stops the server and starts it again on the same port and data directory. */
async function restart(
  server: { proc: C2Process; port: number },
  dataDir: string,
  signal: NodeJS.Signals,
): Promise<{ proc: C2Process; url: string; port: number }> {
  server.proc.kill(signal);
  await server.proc.exited(15_000);
  return startServer(dataDir, server.port);
}

/** `count` users send `EACH` messages each; resolves when every one is echoed (durable and sent). */
async function burst(url: string, tag: string, count: number, wait = true): Promise<TestClient[]> {
  const talkers = await Promise.all(Array.from({ length: count }, (_, i) => TestClient.connect(url, `${tag}${i}`)));
  raw.push(...talkers);
  for (const [i, t] of talkers.entries()) for (let m = 0; m < EACH; m++) t.send(`c2/MSG ${tag} ${i} ${m}`);
  if (wait) {
    await Promise.all(
      talkers.map((t, i) => t.until((f) => f === `c2/MSG ${tag}${i}; ${tag} ${i} ${EACH - 1}`, 20_000)),
    );
  }
  return talkers;
}

async function history(url: string): Promise<HistoryEntry[]> {
  const reader = await TestClient.connect(url, 'auditor');
  reader.send('c2/QUERY history; 500');
  const answer = await reader.until((f) => f.startsWith('c2/ACKNOWLEDGE ['), 5000);
  reader.close();
  return JSON.parse(answer.slice('c2/ACKNOWLEDGE '.length)) as HistoryEntry[];
}

function expectExactly(messages: readonly ChatMessage[], all: readonly HistoryEntry[]): void {
  expect(messages.map((m) => [m.seq, m.username, m.text])).toEqual(all.map((h) => [h.seq, h.username, h.text]));
}

describe('resume across a restart of the server process', () => {
  it.each([
    ['SIGTERM', false],
    ['SIGKILL', true],
  ] as const)(
    '%s: the client resumes with every message once, in order',
    async (signal, rightAfterBurst) => {
      const dataDir = tempDir();
      let server = await startServer(dataDir);
      const { client, events } = trackedClient({
        reconnect: { initialDelayMs: 400, maxDelayMs: 1000, jitter: 0.2, maxRefusals: 50 },
      });
      await client.connect(server.url, 'alice');
      // A first burst, which alice receives live (or, killed right after it, partly live).
      const first = await burst(server.url, 'a', BEFORE, !rightAfterBurst);
      if (!rightAfterBurst) await eventually(() => events.message.length === BEFORE * EACH, 'the first burst');
      for (const t of first) t.close();

      server = await restart(server, dataDir, signal);
      // While alice is away (or rejoining in the middle of it): 300 more.
      await burst(server.url, 'b', TALKERS);
      await eventually(() => events.resumed.length === 1, 'resumed', 20_000);
      // From a user of its own: a talker of the burst has spent its flood allowance (§7), and
      // the server would answer it [flood] instead (which, by timing, made this test flaky).
      const closer = await TestClient.connect(server.url, 'closer');
      raw.push(closer);
      closer.send('c2/MSG the end');
      await closer.until((f) => f === 'c2/MSG closer; the end', 10_000);
      await eventually(() => events.message.at(-1)?.text === 'the end', 'the last message', 10_000);

      const all = await history(server.url);
      // SIGTERM: nothing is lost. SIGKILL: what was not committed was never sent to anyone.
      if (!rightAfterBurst) expect(all).toHaveLength((BEFORE + TALKERS) * EACH + 1);
      expect(all.filter((h) => h.text.startsWith('b ')).length).toBe(TALKERS * EACH);
      expectExactly(events.message, all);
      expect(events.resumed[0]?.recovered).toBe(true);
      expect(events.message.filter((m) => m.replayed)).toHaveLength(events.resumed[0]?.restored ?? -1);
      expect(events.state.filter((s) => s.state === 'connected' && s.reconnected)).toHaveLength(1);
    },
    90_000,
  );
});
