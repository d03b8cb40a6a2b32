/**
 * A message somebody received survives `kill -9` of the chat server (group commit: a
 * message is durable before anyone is sent it). Each round starts the real `bin/c2.js
 * server` on the same data directory, has 20 users send a burst of 10 messages each, and
 * kills the process with SIGKILL at a different moment after the last send (0–100 ms);
 * after the restart, every message any client received is in `history`, in the order the
 * clients received them, none twice, and the sequence went on without reusing a seq.
 * (bin/c2.js runs dist/: `npm run build` first.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const USERS = 20;
const BURST = 10;
const KILL_DELAYS_MS = [0, 3, 10, 30, 100];

const procs: C2Process[] = [];
afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
});

async function startServer(dataDir: string): Promise<{ proc: C2Process; url: string }> {
  const proc = runC2(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--no-console']);
  procs.push(proc);
  return { proc, url: listeningUrl(await proc.waitFor(/listening on/, 15_000)) };
}

interface HistoryEntry {
  seq: number;
  username: string;
  text: string;
}

async function history(url: string): Promise<HistoryEntry[]> {
  const reader = await TestClient.connect(url, 'auditor');
  reader.send('c2/QUERY history; 500');
  const answer = await reader.until((f) => f.startsWith('c2/ACKNOWLEDGE ['), 5000);
  reader.close();
  return JSON.parse(answer.slice('c2/ACKNOWLEDGE '.length)) as HistoryEntry[];
}

describe('chat history under kill -9', () => {
  it(`keeps every message a client received, in order, across ${KILL_DELAYS_MS.length} kills right after a burst`, async () => {
    const dataDir = tempDir();
    let received = 0;
    /** The highest seq any client received in the rounds before. */
    let seqBefore = 0;

    for (const [round, delay] of KILL_DELAYS_MS.entries()) {
      const { proc, url } = await startServer(dataDir);
      const clients = await Promise.all(
        Array.from({ length: USERS }, (_, i) => TestClient.connect(url, `r${round}u${i}`)),
      );
      for (const [i, client] of clients.entries()) {
        for (let m = 0; m < BURST; m++) client.send(`c2/MSG r${round} u${i} m${m}`);
      }
      await new Promise((r) => setTimeout(r, delay));
      proc.kill('SIGKILL');
      expect(await proc.exited()).toBe('SIGKILL');

      // What each client got before the kill: frames already in its buffer or on the way.
      await new Promise((r) => setTimeout(r, 100));
      const views = clients.map((client) => {
        client.close();
        return client.frames.filter((f) => f.startsWith('c2/MSG ')).map((f) => f.split('; ').slice(1).join('; '));
      });
      // Every client saw the same order (one sequence), so the longest view holds them all.
      const longest = views.reduce((a, b) => (b.length > a.length ? b : a));
      for (const view of views) expect(longest.slice(0, view.length)).toEqual(view);
      received += longest.length;

      // Restarted on the same data directory: everything received is there, in order.
      const restarted = await startServer(dataDir);
      const kept = await history(restarted.url);
      const keptTexts = kept.map((m) => m.text);
      const positions = longest.map((t) => keptTexts.indexOf(t));
      expect(positions.filter((p) => p === -1)).toEqual([]);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(keptTexts).size).toBe(keptTexts.length);
      // Seqs are consecutive, and this round's come after every seq received before the kill
      // before: none was reused.
      const seqs = kept.map((m) => m.seq);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
      const roundSeqs = positions.map((p) => (kept[p] as HistoryEntry).seq);
      if (roundSeqs.length > 0) {
        expect(roundSeqs[0]).toBeGreaterThan(seqBefore);
        seqBefore = roundSeqs[roundSeqs.length - 1] as number;
      }
      restarted.proc.kill('SIGTERM');
      expect(await restarted.proc.exited()).toBe(0);
    }
    // The test is only worth something if the kills caught messages in flight.
    expect(received).toBeGreaterThan(0);
  }, 90_000);
});
