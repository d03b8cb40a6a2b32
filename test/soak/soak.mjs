#!/usr/bin/env node
// The soak (npm run test:soak [-- --minutes N], 10 minutes by default; not part of npm test):
// steady chat, joins and leaves against a real `node bin/c2.js server` process. It checks
// that nothing is lost and reports messages sent, delivered and lost, and the server's
// memory at the start and the end. Exit status 0 when nothing was lost, duplicated or
// reordered and memory stayed flat; 1 otherwise. Runs dist/ (`npm run build` first).
//
// The server's heap is watched through the V8 inspector (the server process is started
// with `--inspect=127.0.0.1:0`, here only: nothing in the product opens an inspector):
// every --gc-every seconds (default 30) the soak forces a full GC and records the heap in
// use after it. The last --flat-window minutes (default 40, at most the last two thirds of
// the run) must be flat within --flat-pct percent (default 1): see the accounting below. `--snapshot-at M1,M2,…` writes heap snapshots at
// those minutes into --snapshot-dir (compare two with test/soak/heap-diff.mjs), and
// `--out FILE` writes the samples as JSON. The measured minutes follow a --warm-up (default
// 5 minutes, churn and /metrics scrapes 10× as often, not measured: the JIT's warm-up is not
// a leak), and `--churn-every MS` (default 1,000) sets how often a churner is replaced.
//
// Who must receive what, exactly:
// - the 40 steady users, connected before the chat starts and until it ends, receive every
//   accepted message once, each sender's in the order sent;
// - a churner (10 at a time, one replaced every second) receives exactly the messages that
//   the reference user (a steady user recording the whole broadcast order) saw between the
//   churner's CONNECT and its DISCONNECT notices.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const args = process.argv.slice(2);
function flag(name, fallback) {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
}
const usage =
  'usage: soak.mjs [--minutes N] [--gc-every S] [--flat-window M] [--flat-pct P]\n' +
  '                [--snapshot-at M1,M2,...] [--snapshot-dir DIR] [--out FILE] [--node-flags "FLAGS"]\n' +
  '                [--server-out FILE] [--churn-every MS] [--warm-up MINUTES]';
const minutes = Number(flag('--minutes', '10'));
const gcEverySeconds = Number(flag('--gc-every', '30'));
const flatPct = Number(flag('--flat-pct', '1'));
const flatWindowMinutes = Math.min(Number(flag('--flat-window', '40')), (minutes * 2) / 3);
const snapshotAt = (flag('--snapshot-at', '') ?? '')
  .split(',')
  .filter((x) => x !== '')
  .map(Number);
const outFile = flag('--out', undefined);
// V8 flags for the server process (experiments: e.g. --node-flags "--no-opt --no-sparkplug").
const nodeFlags = (flag('--node-flags', '') ?? '').split(' ').filter((f) => f !== '');
// Everything the server writes to its standard output (its log, and V8's traces), kept in a file.
const serverOut = flag('--server-out', undefined);
if (
  ![minutes, gcEverySeconds, flatPct, flatWindowMinutes, ...snapshotAt].every((n) => Number.isFinite(n) && n > 0) ||
  snapshotAt.some((m) => m >= minutes)
) {
  console.error(`${usage}\n  (all numbers > 0; snapshot minutes before the end; default 10 minutes)`);
  process.exit(2);
}
const snapshotDir =
  snapshotAt.length > 0
    ? (flag('--snapshot-dir', undefined) ?? mkdtempSync(join(tmpdir(), 'c2-soak-heap-')))
    : undefined;
if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });

const STEADY = 40;
const CHURNERS = 10;
const SEND_EVERY_MS = 2000; // per steady user: 20 messages a second in all, within the flood limit
// One churner replaced every --churn-every ms (default 1,000); faster churn magnifies what
// grows with connections that come and go.
const CHURN_EVERY_MS = Number(flag('--churn-every', '1000'));
if (!(Number.isFinite(CHURN_EVERY_MS) && CHURN_EVERY_MS >= 10)) {
  console.error(`${usage}\n  (--churn-every: at least 10 ms)`);
  process.exit(2);
}
// Minutes of warm-up before the measured run (see "Warm-up" below).
const WARM_UP_MINUTES = Number(flag('--warm-up', '5'));
if (!(Number.isFinite(WARM_UP_MINUTES) && WARM_UP_MINUTES >= 0)) {
  console.error(`${usage}\n  (--warm-up: minutes, 0 or more)`);
  process.exit(2);
}
const SAMPLE_EVERY_MS = 5000;
const WARM_UP_MS = Math.min(30_000, minutes * 60_000 * 0.2);
const bin = fileURLToPath(new URL('../../bin/c2.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'c2-soak-'));

const server = spawn(
  process.execPath,
  // The inspector (loopback, a free port) lets the soak force GCs and take heap snapshots.
  [
    '--inspect=127.0.0.1:0',
    ...nodeFlags,
    bin,
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--no-console',
    '--max-users',
    '200',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, C2_LOG_FORMAT: 'json', C2_LOG_LEVEL: 'info' } },
);
// However the soak ends, the server it started ends with it.
process.on('exit', () => server.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
let logTail = '';
const inspectorUrl = new Promise((resolve, reject) => {
  let errTail = '';
  server.stderr.on('data', (d) => {
    const text = d.toString();
    errTail = (errTail + text).slice(-10_000);
    const m = /Debugger listening on (ws:\/\/\S+)/.exec(errTail);
    if (m) resolve(m[1]);
    // Everything but the inspector's own lines goes on to our standard error.
    const rest = text
      .split('\n')
      .filter(
        (l) =>
          l !== '' &&
          !/^(Debugger listening on|Debugger ending on|For help, see:|Debugger attached|Waiting for the debugger)/.test(
            l,
          ),
      );
    if (rest.length > 0) process.stderr.write(`${rest.join('\n')}\n`);
  });
  setTimeout(() => reject(new Error('the server did not open its inspector in 15 s')), 15_000).unref();
});
const url = await new Promise((resolve, reject) => {
  const keep = serverOut ? createWriteStream(serverOut) : undefined;
  server.stdout.on('data', (d) => {
    keep?.write(d);
    logTail = (logTail + d.toString()).slice(-100_000);
    const m = /"url":"(ws:\/\/[^"]+)"/.exec(logTail);
    if (m) resolve(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`the server exited (${code}) before it was ready`)));
  setTimeout(() => reject(new Error('the server did not start in 15 s')), 15_000).unref();
});
const httpBase = url.replace(/^ws/, 'http');

/** A minimal Chrome DevTools Protocol client on the server's inspector. */
class Inspector {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.calls = new Map();
    this.listeners = new Map();
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.id !== undefined) {
        const call = this.calls.get(m.id);
        this.calls.delete(m.id);
        if (m.error) call?.reject(new Error(`${m.error.message} (${m.error.code})`));
        else call?.resolve(m.result);
      } else this.listeners.get(m.method)?.(m.params);
    });
  }

  static async open(address) {
    const ws = new WebSocket(address, { perMessageDeflate: false, maxPayload: 1 << 30 });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    return new Inspector(ws);
  }

  call(method, params = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full GC, then the V8 heap in use (bytes). */
  async heapAfterGc() {
    await this.call('HeapProfiler.collectGarbage');
    const { usedSize } = await this.call('Runtime.getHeapUsage');
    return usedSize;
  }

  /** Writes a .heapsnapshot (which V8 takes after a full GC) to `file`. */
  async snapshot(file) {
    const out = createWriteStream(file);
    this.listeners.set('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => out.write(chunk));
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    this.listeners.delete('HeapProfiler.addHeapSnapshotChunk');
    await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  }

  close() {
    this.ws.terminate();
  }
}
const inspector = await Inspector.open(await inspectorUrl);

function rss() {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}
/** V8's heap spaces in use (bytes) by name, from /metrics: { old_space, code_space, … }. */
async function heapSpaces() {
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  const spaces = {};
  for (const m of text.matchAll(/^c2_nodejs_heap_space_size_used_bytes\{space="([a-z_]+)"\} (\S+)$/gm))
    spaces[m[1]] = Number(m[2]);
  return spaces;
}
async function heapUsed() {
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  return Number(/^c2_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;

const problems = [];
const counts = { sent: 0, accepted: 0, delivered: 0, joins: 0, leaves: 0, errors: 0 };

/** One user: a WebSocket, the frames it got, and promises for the next response. */
class User {
  constructor(name) {
    this.name = name;
    this.received = []; // every MSG frame's "sender seq" after joining
    this.order = []; // the reference user only: every broadcast, in order
    this.waiting = [];
    this.nextSeq = 0;
    this.lastSeen = new Map(); // sender → last seq (steady users check order)
  }

  async join() {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => this.onFrame(data.toString()));
    this.closed = new Promise((resolve) => this.ws.on('close', resolve));
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    const ack = await this.request(`c2/CONNECT ${this.name}`);
    if (ack !== 'c2/ACKNOWLEDGE Chatter Server') throw new Error(`${this.name} could not join: ${ack}`);
    counts.joins++;
  }

  request(frame) {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.ws.send(frame);
    });
  }

  onFrame(frame) {
    if (frame.startsWith('c2/MSG ')) {
      const m = /^c2\/MSG (\S+); m (\S+) (\d+)$/.exec(frame);
      if (!m) return void problems.push(`${this.name} got a malformed message: ${frame.slice(0, 80)}`);
      const [, from, sender, seq] = m;
      if (from !== sender) problems.push(`${this.name}: a message of ${sender} arrived as ${from}'s`);
      counts.delivered++;
      this.received.push(`${sender} ${seq}`);
      if (this.order) this.order.push(`${sender} ${seq}`);
      const last = this.lastSeen.get(sender);
      if (last !== undefined && Number(seq) <= last) problems.push(`${this.name}: ${sender} ${seq} after ${last}`);
      this.lastSeen.set(sender, Number(seq));
      if (sender === this.name) this.waiting.shift()?.(frame);
      return;
    }
    if (frame.startsWith('c2/CONNECT ') || frame.startsWith('c2/DISCONNECT ')) {
      this.order?.push(frame);
      return;
    }
    if (frame.startsWith('c2/ERROR')) {
      counts.errors++;
      problems.push(`${this.name} got ${frame}`);
    }
    this.waiting.shift()?.(frame);
  }

  async say() {
    const seq = this.nextSeq++;
    counts.sent++;
    const echo = await this.request(`c2/MSG m ${this.name} ${seq}`);
    if (echo === `c2/MSG ${this.name}; m ${this.name} ${seq}`) counts.accepted++;
    else problems.push(`${this.name}'s message ${seq} was answered ${echo}`);
  }

  async leave() {
    const ack = await this.request('c2/DISCONNECT');
    if (ack !== 'c2/ACKNOWLEDGE') problems.push(`${this.name} could not leave: ${ack}`);
    await this.closed;
    counts.leaves++;
  }
}

// ---- the run -------------------------------------------------------------------------

const steady = [];
for (let i = 0; i < STEADY; i++) {
  const user = new User(`steady${i}`);
  if (i > 0) user.order = null; // only steady0 records the whole order
  await user.join();
  steady.push(user);
}
const reference = steady[0];
reference.order = [];
const active = [];
const finished = [];
let churnSeq = 0;
const churn = async () => {
  if (active.length >= CHURNERS) {
    const leaving = active.shift();
    await leaving.leave();
    finished.push(leaving);
  }
  const user = new User(`churner${churnSeq++}`);
  user.order = null;
  await user.join();
  active.push(user);
  await user.say();
};

const timers = [];
steady.forEach((user, i) => {
  // Spread the steady users over the interval.
  timers.push(
    setTimeout(
      () => {
        timers.push(setInterval(() => void user.say().catch((err) => problems.push(String(err))), SEND_EVERY_MS));
      },
      (i * SEND_EVERY_MS) / STEADY,
    ),
  );
});
let churning = Promise.resolve();
/** Queues one churn step behind the previous one (steps never overlap). */
const scheduleChurn = () => {
  churning = churning.then(churn).catch((err) => problems.push(`churn: ${err}`));
};
timers.push(setInterval(scheduleChurn, CHURN_EVERY_MS));

// Warm-up, not measured: V8 compiles a function once it has run often enough, and what runs
// once per connection (the handshake, the address checks, joining and leaving) or per
// /metrics scrape reaches that point only after thousands of them: at one join a second,
// most of an hour (the compiled code then grows the heap by ~1.5 % and stops; see
// docs/SECURITY.md, "Memory over hours"). So for --warm-up minutes (default 5) the churn and
// the /metrics scrapes run 10× as often, and the measured run starts after.
if (WARM_UP_MINUTES > 0) {
  console.log(
    `soak: warm-up for ${WARM_UP_MINUTES} minute(s): a churner replaced every ${CHURN_EVERY_MS / 10} ms, /metrics every ${SAMPLE_EVERY_MS / 10} ms (not measured)`,
  );
  const warmers = [
    setInterval(scheduleChurn, CHURN_EVERY_MS / 10),
    setInterval(() => void heapUsed().catch((err) => problems.push(`warm-up scrape: ${err}`)), SAMPLE_EVERY_MS / 10),
  ];
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MINUTES * 60_000));
  for (const t of warmers) clearInterval(t);
  await churning;
  console.log(`soak: warm-up done: ${counts.joins} joins, ${counts.accepted} messages`);
}

const started = Date.now();
const endAt = started + minutes * 60_000;
const samples = [];
/** { at (ms since the start), heap (bytes in use after a forced full GC) } */
const gcSamples = [];
const snapshots = [];
let startRss;
let startHeap;
console.log(
  `soak: ${minutes} minute(s) against ${url} (server pid ${server.pid}); ` +
    `${STEADY} steady users sending ${(STEADY * 1000) / SEND_EVERY_MS} messages/s in all, ` +
    `${CHURNERS} churners (one replaced every ${CHURN_EVERY_MS / 1000} s); heap after a forced GC every ${gcEverySeconds} s`,
);
if (snapshotDir) console.log(`soak: heap snapshots at minute(s) ${snapshotAt.join(', ')} into ${snapshotDir}`);

timers.push(
  setInterval(async () => {
    const at = Date.now() - started;
    const sample = { at, rss: rss(), heap: await heapUsed().catch(() => Number.NaN) };
    samples.push(sample);
    if (startRss === undefined && at >= WARM_UP_MS) {
      startRss = sample.rss;
      startHeap = sample.heap;
    }
    process.stdout.write(
      `  ${(at / 1000).toFixed(0).padStart(4)} s  sent ${counts.accepted}  delivered ${counts.delivered}  joins ${counts.joins}  server RSS ${mb(sample.rss)}  heap ${mb(sample.heap)}\n`,
    );
  }, SAMPLE_EVERY_MS),
);

// Heap probes run one at a time (a snapshot can take seconds), never overlapping.
let probing = Promise.resolve();
const probe = (task) => {
  probing = probing.then(task).catch((err) => problems.push(`heap probe: ${err}`));
};
timers.push(
  setInterval(
    () =>
      probe(async () => {
        const at = Date.now() - started;
        const heap = await inspector.heapAfterGc();
        const spaces = await heapSpaces().catch(() => ({}));
        gcSamples.push({ at, heap, spaces });
        process.stdout.write(
          `  ${(at / 1000).toFixed(0).padStart(4)} s  heap after forced GC ${mb(heap)} (${heap} B)\n`,
        );
      }),
    gcEverySeconds * 1000,
  ),
);
for (const minute of snapshotAt) {
  timers.push(
    setTimeout(
      () =>
        probe(async () => {
          const file = join(snapshotDir, `soak-${String(minute).padStart(3, '0')}min.heapsnapshot`);
          const t0 = Date.now();
          await inspector.snapshot(file);
          snapshots.push(file);
          process.stdout.write(`  heap snapshot at ${minute} min: ${file} (${Date.now() - t0} ms)\n`);
        }),
      minute * 60_000,
    ),
  );
}

await new Promise((resolve) => setTimeout(resolve, endAt - Date.now()));
for (const t of timers) clearInterval(t);
await probing;
await churning;
await new Promise((resolve) => setTimeout(resolve, 1000)); // the last echoes and broadcasts
const endRss = rss();
const endHeap = await heapUsed();

// ---- the accounting ------------------------------------------------------------------

const accepted = new Map(); // sender → messages accepted (seq 0 … n-1)
for (const user of [...steady, ...active, ...finished]) accepted.set(user.name, user.nextSeq);
let expected = 0;
let lost = 0;
let duplicated = 0;
function compare(who, want, got) {
  expected += want.length;
  const have = new Map();
  for (const id of got) have.set(id, (have.get(id) ?? 0) + 1);
  for (const id of want) {
    const n = have.get(id) ?? 0;
    if (n === 0) lost++;
    if (n > 1) duplicated += n - 1;
    have.delete(id);
  }
  if (have.size > 0) problems.push(`${who} received ${have.size} message(s) it should not have`);
  if (got.join('|') !== want.join('|') && lost === 0 && duplicated === 0) problems.push(`${who}: out of order`);
}
// Steady users: everything, in the reference's order (one total order for all).
const all = reference.order.filter((f) => !f.startsWith('c2/'));
for (const user of steady) compare(user.name, all, user.received);
// Churners: the reference's messages between their CONNECT and DISCONNECT notices.
for (const user of finished) {
  const from = reference.order.indexOf(`c2/CONNECT ${user.name}`);
  const to = reference.order.indexOf(`c2/DISCONNECT disconnect; ${user.name}`);
  if (from === -1 || to === -1) {
    problems.push(`the reference did not see ${user.name} come and go`);
    continue;
  }
  compare(
    user.name,
    reference.order.slice(from + 1, to).filter((f) => !f.startsWith('c2/')),
    user.received,
  );
}
const checked = [...steady, ...finished].reduce((n, u) => n + u.received.length, 0);
const acceptedTotal = [...accepted.values()].reduce((a, b) => a + b, 0);
if (all.length !== counts.accepted)
  problems.push(`the reference saw ${all.length} messages; ${counts.accepted} were accepted`);

for (const user of [...steady, ...active]) user.ws.terminate();
inspector.close();
server.kill('SIGTERM');
const exitCode = await new Promise((resolve) => server.once('exit', (code) => resolve(code)));
rmSync(dataDir, { recursive: true, force: true });
if (exitCode !== 0) problems.push(`the server exited with ${exitCode} after SIGTERM`);

const maxRss = Math.max(...samples.map((s) => s.rss), endRss);
// Flat: the end no more than 20% (and 10 MB) above the start, after the warm-up.
const flat = startRss !== undefined && endRss <= startRss * 1.2 + 10 * 1024 * 1024;
// A heap snapshot costs the server tens of MB of RSS it keeps (the allocator does not give
// it back): with snapshots, the heap after GC is the measure, not RSS.
if (!flat && snapshots.length === 0) problems.push(`server memory grew: ${mb(startRss ?? Number.NaN)} → ${mb(endRss)}`);

// The heap after a forced GC over the last flatWindowMinutes. One sample varies by about
// ±0.5 % with what is in flight at that instant (queued socket writes, frames being parsed,
// code V8 flushed or has just compiled), so flatness is judged on two robust measures, each
// within flatPct % of the window's mean: the change along the least-squares line over the
// window, and the change of the low point (the smallest sample) from the window's first fifth
// to its last fifth. The spread (max − min) is reported too.
const windowFrom = minutes * 60_000 - flatWindowMinutes * 60_000;
const inWindow = gcSamples.filter((s) => s.at >= windowFrom);
let heapLine = 'no samples';
if (inWindow.length >= 10) {
  const heaps = inWindow.map((s) => s.heap);
  const n = inWindow.length;
  const lo = Math.min(...heaps);
  const hi = Math.max(...heaps);
  const mean = heaps.reduce((a, h) => a + h, 0) / n;
  const pct = (x) => `${x >= 0 ? '+' : ''}${((x / mean) * 100).toFixed(2)} %`;
  const mx = inWindow.reduce((a, s) => a + s.at, 0) / n;
  const slope =
    inWindow.reduce((a, s) => a + (s.at - mx) * (s.heap - mean), 0) /
    inWindow.reduce((a, s) => a + (s.at - mx) ** 2, 0); // bytes per ms
  const span = inWindow[n - 1].at - inWindow[0].at;
  const trend = slope * span;
  const fifth = Math.max(1, Math.floor(n / 5));
  const lowFirst = Math.min(...heaps.slice(0, fifth));
  const lowLast = Math.min(...heaps.slice(n - fifth));
  heapLine =
    `${n} samples over the last ${(span / 60_000).toFixed(1)} min, mean ${mb(mean)}, min ${mb(lo)}, max ${mb(hi)} ` +
    `(spread ${pct(hi - lo)});\n                       ` +
    `trend ${pct(trend)} over the window (${(slope * 600_000) / 1024 >= 0 ? '+' : ''}${((slope * 600_000) / 1024).toFixed(1)} KB per 10 min); ` +
    `low point ${mb(lowFirst)} in its first fifth → ${mb(lowLast)} in its last (${pct(lowLast - lowFirst)}); limit ±${flatPct} %`;
  if (Math.abs(trend) > (mean * flatPct) / 100 || Math.abs(lowLast - lowFirst) > (mean * flatPct) / 100)
    problems.push('the heap after a forced GC was not flat (see "heap after GC")');
  // Where a change is, by V8 heap space (from /metrics just after each forced GC): the mean of
  // the window's last fifth minus the mean of its first fifth.
  const spaceNames = Object.keys(inWindow[0].spaces ?? {});
  const meanOf = (list, name) => list.reduce((a, s) => a + (s.spaces?.[name] ?? 0), 0) / list.length;
  const byspace = spaceNames
    .map((name) => [name, meanOf(inWindow.slice(n - fifth), name) - meanOf(inWindow.slice(0, fifth), name)])
    .filter(([, d]) => Math.abs(d) >= 1024)
    .map(([name, d]) => `${name} ${d >= 0 ? '+' : ''}${(d / 1024).toFixed(0)} KB`);
  if (spaceNames.length > 0)
    heapLine += `;\n                       by space (last fifth − first fifth): ${byspace.join(', ') || 'none moved by 1 KB'}`;
} else problems.push('too few heap samples after GC to judge the heap (raise --minutes or lower --gc-every)');
if (outFile) {
  writeFileSync(
    outFile,
    `${JSON.stringify({ minutes, gcEverySeconds, flatWindowMinutes, flatPct, gcSamples, samples, snapshots }, null, 1)}\n`,
  );
}
if (lost > 0) problems.push(`${lost} deliveries lost`);
if (duplicated > 0) problems.push(`${duplicated} deliveries duplicated`);

console.log(`
soak result after ${((Date.now() - started) / 60_000).toFixed(1)} minute(s):
  messages sent:       ${counts.sent} (accepted ${counts.accepted} = ${acceptedTotal} by sender count)
  messages delivered:  ${checked} to the users checked (expected ${expected}); ${counts.delivered} in all
  messages lost:       ${lost}
  duplicated:          ${duplicated}
  joins / leaves:      ${counts.joins} / ${counts.leaves}
  server RSS:          start ${mb(startRss ?? Number.NaN)} (after ${(WARM_UP_MS / 1000).toFixed(0)} s), end ${mb(endRss)}, max ${mb(maxRss)}${snapshots.length > 0 ? ' (not judged: heap snapshots were taken)' : ''}
  server heap used:    start ${mb(startHeap ?? Number.NaN)}, end ${mb(endHeap)}
  heap after GC:       ${heapLine}
  result:              ${problems.length === 0 ? 'PASS' : 'FAIL'}`);
for (const p of problems.slice(0, 20)) console.log(`  - ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
