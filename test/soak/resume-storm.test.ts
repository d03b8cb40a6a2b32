/**
 * A reconnect storm (contract §10, issue 14): 1,000 clients of the library on one chat
 * server process; the server is stopped with SIGTERM and started again on the same port and
 * data directory while others talk; all 1,000 reconnect (the library's backoff, with its
 * jitter) and resume with `history_after` at once. Every client must end with every message
 * of the sequence exactly once, in order. Measured: the time from the restarted server's
 * "listening" line until all 1,000 have resumed, and the server's peak resident memory
 * (VmHWM) over its second life. Bounded: fixed numbers of clients and messages.
 * (bin/c2.js runs dist/: `npm run build` first.)
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeC2Client } from '../../src/client/node.js';
import type { HistoryEntry } from '../../src/client/types.js';
import { eventually } from '../helpers/eventually.js';
import { type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const CLIENTS = 1000;
const JOIN_BATCH = 100;
const TALKERS = 10;
/** Messages each talker sends before the restart, and while the clients come back. */
const BEFORE = 5;
const DURING = 10;

const procs: C2Process[] = [];
const clients: NodeC2Client[] = [];
const raw: TestClient[] = [];
afterAll(async () => {
  for (const c of raw) c.close();
  await Promise.allSettled(clients.map((c) => c.disconnect()));
  for (const p of procs) p.kill('SIGKILL');
}, 60_000);

function memory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMiB: Math.round(kb('VmRSS') / 1024), hwmMiB: Math.round(kb('VmHWM') / 1024) };
}

/** CPU time of a process so far (user + system), ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

async function startServer(dataDir: string, port: number): Promise<{ proc: C2Process; url: string; port: number }> {
  const proc = runC2([
    'server',
    ...['--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
    ...['--name', 'Storm', '--max-users', String(CLIENTS + TALKERS + 10), '--no-console'],
  ]);
  procs.push(proc);
  const url = listeningUrl(await proc.waitFor(/listening on/, 20_000));
  return { proc, url, port: Number(new URL(url).port) };
}

/** What one client received: checked as it goes, so that 1,000 of them stay small. */
interface Seen {
  seqs: number[];
  texts: string[];
  resumed: { recovered: boolean; restored: number } | undefined;
  /** Reconnect attempts made after the restart. */
  attempts: number;
}

async function talk(url: string, tag: string, count: number): Promise<TestClient[]> {
  const talkers = await Promise.all(Array.from({ length: TALKERS }, (_, i) => TestClient.connect(url, `${tag}${i}`)));
  raw.push(...talkers);
  for (const [i, t] of talkers.entries()) for (let m = 0; m < count; m++) t.send(`c2/MSG ${tag} ${i} ${m}`);
  await Promise.all(talkers.map((t, i) => t.until((f) => f === `c2/MSG ${tag}${i}; ${tag} ${i} ${count - 1}`, 30_000)));
  return talkers;
}

describe('a reconnect storm after a server restart', () => {
  it(`${CLIENTS} clients resume, each with every message exactly once`, { timeout: 240_000 }, async () => {
    const dataDir = tempDir('c2-storm-');
    let server = await startServer(dataDir, 0);
    const seen: Seen[] = [];
    for (let start = 0; start < CLIENTS; start += JOIN_BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(JOIN_BATCH, CLIENTS - start) }, async (_, k) => {
          const i = start + k;
          const client = new NodeC2Client({ reconnect: { maxRefusals: 50 }, connectTimeoutMs: 30_000 });
          const s: Seen = { seqs: [], texts: [], resumed: undefined, attempts: 0 };
          client.on('message', (m) => {
            s.seqs.push(m.seq ?? -1);
            s.texts.push(m.text);
          });
          client.on('resumed', (e) => {
            s.resumed = e;
          });
          client.on('state', (e) => {
            if (e.state === 'reconnecting') s.attempts = Math.max(s.attempts, e.attempt ?? 0);
          });
          clients[i] = client;
          seen[i] = s;
          await client.connect(server.url, `c${i}`);
        }),
      );
    }
    const before = await talk(server.url, 'a', BEFORE);
    await eventually(() => seen.every((s) => s.seqs.length === TALKERS * BEFORE), 'the first messages', 30_000);
    for (const t of before) t.close();
    const memoryBefore = memory(server.proc.proc.pid as number);

    server.proc.kill('SIGTERM');
    expect(await server.proc.exited(20_000)).toBe(0);
    server = await startServer(dataDir, server.port);
    const listening = performance.now();
    const pid = server.proc.proc.pid as number;
    const cpuAtStart = cpuMs(pid);
    // Others talk while the 1,000 come back.
    const during = talk(server.url, 'b', DURING);
    await eventually(() => seen.every((s) => s.resumed !== undefined), 'every client to resume', 180_000);
    const allResumedMs = performance.now() - listening;
    const serverCpuMs = cpuMs(pid) - cpuAtStart;
    const talkers = await during;
    (talkers[0] as TestClient).send('c2/MSG the end');
    await eventually(() => seen.every((s) => s.texts.at(-1) === 'the end'), 'the last message everywhere', 60_000);
    const memoryAfter = memory(server.proc.proc.pid as number);

    const auditor = await TestClient.connect(server.url, 'auditor');
    raw.push(auditor);
    auditor.send('c2/QUERY history; 500');
    const answer = await auditor.until((f) => f.startsWith('c2/ACKNOWLEDGE ['), 10_000);
    const history = JSON.parse(answer.slice('c2/ACKNOWLEDGE '.length)) as HistoryEntry[];
    const total = TALKERS * (BEFORE + DURING) + 1;
    expect(history.map((h) => h.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const expectedTexts = history.map((h) => h.text);
    let exact = 0;
    let restored = 0;
    for (const s of seen) {
      if (
        s.seqs.length === total &&
        s.seqs.every((seq, i) => seq === i + 1) &&
        s.texts.every((t, i) => t === expectedTexts[i]) &&
        s.resumed?.recovered === true
      ) {
        exact++;
      }
      restored += s.resumed?.restored ?? 0;
    }
    const figures = {
      clients: CLIENTS,
      messages: total,
      allResumedMs: Math.round(allResumedMs),
      restoredMessages: restored,
      serverCpuMsUntilAllResumed: serverCpuMs,
      attempts: { median: median(seen.map((s) => s.attempts)), max: Math.max(...seen.map((s) => s.attempts)) },
      serverBeforeRestart: memoryBefore,
      serverAfterStorm: memoryAfter,
    };
    console.log(`resume storm: ${JSON.stringify(figures)}`);
    expect(exact).toBe(CLIENTS);
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
