/**
 * The chat server keeps headroom under its descriptor limit (docs/SECURITY.md, issue 13
 * item 2): `c2 server` under `ulimit -n 256`, and 400 WebSocket sockets opened against it.
 * Before, the process ran out of descriptors: new sockets were dropped and /healthz went
 * unanswered, and nothing was logged. Now the upgrades past the ceiling are answered `503`
 * (logged once, counted in /metrics), /healthz and /metrics still answer, and once sockets
 * close new ones are taken again. (bin/c2.js runs dist/: `npm run build` first.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type C2Process, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const LIMIT = 256;
const SOCKETS = 400;

const procs: C2Process[] = [];
const sockets: WebSocket[] = [];
afterAll(() => {
  for (const ws of sockets) ws.terminate();
  for (const p of procs) p.kill('SIGKILL');
});

/** Opens a socket: 101, or the refusal's status (0 when the connection failed outright). */
function open(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      sockets.push(ws);
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', () => resolve(0));
  });
}

describe('the descriptor headroom', () => {
  it(`answers 503 before the limit (${LIMIT}) is reached, and /healthz still answers`, async () => {
    // Loopback is exempt from the per-address cap, so only the headroom stands between the
    // sockets and the limit.
    const p = runC2(
      ['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', tempDir(), '--no-console'],
      {},
      LIMIT,
    );
    procs.push(p);
    const line = JSON.parse(await p.waitFor(/listening on/, 15_000)) as { url: string; maxSockets: number };
    expect(line.maxSockets).toBeGreaterThan(100);
    expect(line.maxSockets).toBeLessThan(LIMIT - 64);
    const base = line.url.replace('ws://', 'http://');

    const statuses: number[] = [];
    for (let i = 0; i < SOCKETS; i++) statuses.push(await open(line.url));
    const opened = statuses.filter((s) => s === 101).length;
    expect(opened).toBe(line.maxSockets);
    expect(statuses.filter((s) => s === 503)).toHaveLength(SOCKETS - opened);
    expect(statuses.filter((s) => s !== 101 && s !== 503)).toEqual([]);

    // The server still answers plain HTTP, and says what it refused.
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`^c2_connections_refused_total\\{reason="descriptors"\\} ${SOCKETS - opened}$`, 'm'),
    );
    const warnings = p.stdout.filter((l) => /"reason":"descriptors"/.test(l));
    expect(warnings).toHaveLength(1);

    // Sockets closed: new ones are taken again.
    for (const ws of sockets.splice(0, 20)) ws.terminate();
    await new Promise((r) => setTimeout(r, 200));
    expect(await open(line.url)).toBe(101);
  }, 60_000);
});
