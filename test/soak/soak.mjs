#!/usr/bin/env node
// The soak (npm run test:soak [-- --minutes N], 10 minutes by default; not part of npm test):
// steady chat, joins and leaves against a real `node bin/c2.js server` process. It checks
// that nothing is lost and reports messages sent, delivered and lost, and the server's
// memory at the start and the end. Exit status 0 when nothing was lost, duplicated or
// reordered and memory stayed flat; 1 otherwise. Runs dist/ (`npm run build` first).
//
// Who must receive what, exactly:
// - the 40 steady users, connected before the chat starts and until it ends, receive every
//   accepted message once, each sender's in the order sent;
// - a churner (10 at a time, one replaced every second) receives exactly the messages that
//   the reference user (a steady user recording the whole broadcast order) saw between the
//   churner's CONNECT and its DISCONNECT notices.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const args = process.argv.slice(2);
const minutesFlag = args.indexOf('--minutes');
const minutes = minutesFlag === -1 ? 10 : Number(args[minutesFlag + 1]);
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error('usage: soak.mjs [--minutes N]   (N > 0, default 10)');
  process.exit(2);
}

const STEADY = 40;
const CHURNERS = 10;
const SEND_EVERY_MS = 2000; // per steady user: 20 messages a second in all, within the flood limit
const CHURN_EVERY_MS = 1000;
const SAMPLE_EVERY_MS = 5000;
const WARM_UP_MS = Math.min(30_000, minutes * 60_000 * 0.2);
const bin = fileURLToPath(new URL('../../bin/c2.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'c2-soak-'));

const server = spawn(
  process.execPath,
  [bin, 'server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--no-console', '--max-users', '200'],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, C2_LOG_FORMAT: 'json', C2_LOG_LEVEL: 'info' } },
);
// However the soak ends, the server it started ends with it.
process.on('exit', () => server.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
let logTail = '';
const url = await new Promise((resolve, reject) => {
  server.stdout.on('data', (d) => {
    logTail = (logTail + d.toString()).slice(-100_000);
    const m = /"url":"(ws:\/\/[^"]+)"/.exec(logTail);
    if (m) resolve(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`the server exited (${code}) before it was ready`)));
  setTimeout(() => reject(new Error('the server did not start in 15 s')), 15_000).unref();
});
const httpBase = url.replace(/^ws/, 'http');

function rss() {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
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

const started = Date.now();
const endAt = started + minutes * 60_000;
const samples = [];
let startRss;
let startHeap;
console.log(`soak: ${minutes} minute(s) against ${url} (server pid ${server.pid})`);

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
timers.push(
  setInterval(() => {
    churning = churning.then(churn).catch((err) => problems.push(`churn: ${err}`));
  }, CHURN_EVERY_MS),
);
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

await new Promise((resolve) => setTimeout(resolve, endAt - Date.now()));
for (const t of timers) clearInterval(t);
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
server.kill('SIGTERM');
const exitCode = await new Promise((resolve) => server.once('exit', (code) => resolve(code)));
rmSync(dataDir, { recursive: true, force: true });
if (exitCode !== 0) problems.push(`the server exited with ${exitCode} after SIGTERM`);

const maxRss = Math.max(...samples.map((s) => s.rss), endRss);
// Flat: the end no more than 20% (and 10 MB) above the start, after the warm-up.
const flat = startRss !== undefined && endRss <= startRss * 1.2 + 10 * 1024 * 1024;
if (!flat) problems.push(`server memory grew: ${mb(startRss ?? Number.NaN)} → ${mb(endRss)}`);
if (lost > 0) problems.push(`${lost} deliveries lost`);
if (duplicated > 0) problems.push(`${duplicated} deliveries duplicated`);

console.log(`
soak result after ${((Date.now() - started) / 60_000).toFixed(1)} minute(s):
  messages sent:       ${counts.sent} (accepted ${counts.accepted} = ${acceptedTotal} by sender count)
  messages delivered:  ${checked} to the users checked (expected ${expected}); ${counts.delivered} in all
  messages lost:       ${lost}
  duplicated:          ${duplicated}
  joins / leaves:      ${counts.joins} / ${counts.leaves}
  server RSS:          start ${mb(startRss ?? Number.NaN)} (after ${(WARM_UP_MS / 1000).toFixed(0)} s), end ${mb(endRss)}, max ${mb(maxRss)}
  server heap used:    start ${mb(startHeap ?? Number.NaN)}, end ${mb(endHeap)}
  result:              ${problems.length === 0 ? 'PASS' : 'FAIL'}`);
for (const p of problems.slice(0, 20)) console.log(`  - ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
