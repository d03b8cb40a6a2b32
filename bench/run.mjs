#!/usr/bin/env node
/**
 * `npm run bench [-- --quick]`: c2 against its peers, in one run, on this machine, with the
 * same load generator, and one table of figures and ratios at the end.
 *
 *   fan-out      500 clients, several senders, 30-byte messages: deliveries a second at
 *                saturation (c2, naive ws, Socket.IO), every frame counted and checked
 *   latency      1,000 clients, 50,000 deliveries a second offered: p50 / p99 / max
 *   connections  10,000 idle users: server memory per connection, time to CONNECT them all
 *   directory    GET /servers with 1,000 listed servers, and with ETag revalidation,
 *                against a constant-body Fastify route (the ceiling)
 *   directory-scale  100,000 listed servers: filtered pages, the whole list compressed against
 *                the same bytes as a constant (bench/scenarios/directory-scale.mjs)
 *
 * Options: --quick (a smoke run under three minutes), --only fanout,latency,connections,directory,directory-scale,
 * --servers c2,ws,sio, --workers N (load generator processes, default 1), --profile (every
 * server and generator process runs with --cpu-prof; the directory is printed; read them with
 * `node bench/profile-top.mjs FILE`), --json FILE,
 * --set scenario.parameter=value (experiments only, e.g. --set fanout.window=64).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowUs, sleep } from './lib/clock.mjs';
import { Histogram } from './lib/histogram.mjs';
import { Child, killAllChildren } from './lib/procs.mjs';
import { printTable } from './lib/table.mjs';
import { directoryScale, directoryScaleParams, directoryScaleRows } from './scenarios/directory-scale.mjs';

const here = dirname(fileURLToPath(import.meta.url));

// ---- options ------------------------------------------------------------------------------

function parseOptions(argv) {
  const options = { quick: false, only: null, servers: null, workers: 1, profile: false, json: null, set: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only = value().split(',');
    else if (arg === '--servers') options.servers = value().split(',');
    else if (arg === '--workers') options.workers = Math.max(1, Number.parseInt(value(), 10));
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--json') options.json = value();
    else if (arg === '--set') options.set.push(value());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench [-- --quick] [--only fanout,latency,connections,directory,directory-scale] [--servers c2,ws,sio]\n' +
          '                     [--workers N] [--profile] [--json FILE] [--set scenario.parameter=value]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

const options = parseOptions(process.argv.slice(2));
const quick = options.quick;

const P = {
  fanout: { clients: 500, senders: 4, window: 128, warmupMs: quick ? 1000 : 2000, measureMs: quick ? 2000 : 5000 },
  latency: { clients: 1000, senders: 5, deliveriesPerSec: 50_000, warmupMs: 1000, measureMs: quick ? 3000 : 10_000 },
  // Every CONNECT is announced to every connected user: N joins cost N²/2 frames (50 million
  // for 10,000), so the quick run holds fewer users. The connect phase is cut off after
  // deadlineS, and what joined by then is reported.
  connections: {
    clients: quick ? 1000 : 10_000,
    concurrency: 256,
    holdMs: quick ? 500 : 2000,
    deadlineS: quick ? 20 : 150,
  },
  // The listing and the ceiling are measured in alternating rounds (listing, ceiling, listing,
  // …) and each reports its median round, so a drift of the machine's speed during the run
  // (frequency, neighbours) weighs on both sides alike.
  directory: { servers: 1000, connections: 32, warmupS: 1, measureS: quick ? 1.5 : 3, rounds: quick ? 2 : 5 },
  'directory-scale': directoryScaleParams(quick),
  limitMs: quick ? 170_000 : 720_000,
};

// --set scenario.parameter=value (for experiments: the defaults are the issue's scenarios)
for (const assignment of options.set) {
  const [path, value] = assignment.split('=');
  const [scenario, name] = path.split('.');
  if (!(scenario in P) || !(name in P[scenario])) throw new Error(`--set: no parameter ${path}`);
  P[scenario][name] = Number(value);
}

const SERVERS = {
  c2: { label: 'c2', script: 'servers/c2.mjs' },
  ws: { label: 'naive ws', script: 'servers/ws-naive.mjs' },
  sio: { label: 'Socket.IO', script: 'servers/socketio.mjs' },
};
const serverKinds = (options.servers ?? ['c2', 'ws', 'sio']).filter((k) => k in SERVERS);
const scenarios = options.only ?? ['fanout', 'latency', 'connections', 'directory', 'directory-scale'];
const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'c2-bench-profiles-')) : null;
/** Scratch space (the listing's SQLite file), removed however the run ends. */
const scratch = mkdtempSync(join(tmpdir(), 'c2-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: over the time limit (${P.limitMs / 1000} s): stopping\n`);
  killAllChildren();
  process.exit(2);
}, P.limitMs);

const log = (line) => process.stderr.write(`${line}\n`);
const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

// ---- processes ----------------------------------------------------------------------------

let profiles = 0;
function profileArgv(name) {
  if (!profileDir) return [];
  profiles++;
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
    `--cpu-prof-name=${String(profiles).padStart(2, '0')}-${name}.cpuprofile`,
  ];
}

function execArgvFor(kind) {
  return ['--expose-gc', ...profileArgv(kind)];
}

async function startServer(kind, args = {}, readyMs = 60_000) {
  const script = kind in SERVERS ? SERVERS[kind].script : `servers/${kind}.mjs`;
  const child = new Child(`${kind} server`, join(here, script), args, execArgvFor(kind));
  const ready = await child.waitFor('ready', readyMs);
  child.port = ready.port;
  return child;
}

function startWorkers(n) {
  return Array.from(
    { length: n },
    (_, id) =>
      new Child(`load generator ${id}`, join(here, 'lib/loadgen-worker.mjs'), { id }, profileArgv(`generator${id}`)),
  );
}

/** Runs `fn` with the processes it starts, and stops them all afterwards, whatever happens. */
async function withProcesses(fn) {
  const procs = [];
  try {
    return await fn(procs);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/** Jiffies the whole machine spent busy and in all, from /proc/stat (Linux). */
function machineCpu() {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** Cores the whole machine kept busy between two machineCpu() samples. */
const machineCores = (a, b) => ((b.busy - a.busy) / (b.total - a.total)) * availableParallelism();

const all = (children, cmd, args, timeoutMs) => Promise.all(children.map((c) => c.call(cmd, args, timeoutMs)));

/** CPU use (fraction of one core) between two `stats`/`mark` answers. */
const cpuShare = (a, b) => (b.cpu - a.cpu) / (b.t - a.t);

/**
 * Connects `clients` clients spread over the workers; `nSenders` of them, spread evenly
 * over the client indices (so over the workers), are senders.
 */
async function connectClients(workers, kind, port, clients, nSenders, epochUs, concurrency = 128, deadlineMs = 0) {
  const senderOf = {};
  for (let s = 0; s < nSenders; s++) senderOf[Math.floor(((s + 0.5) * clients) / nSenders)] = s;
  const per = Math.ceil(clients / workers.length);
  const results = await Promise.all(
    workers.map((w, i) => {
      const first = i * per;
      const count = Math.max(0, Math.min(per, clients - first));
      return w.call(
        'connect',
        { kind, port, first, count, concurrency, nSenders, epochUs, senderOf, deadlineMs },
        deadlineMs > 0 ? deadlineMs + 30_000 : Math.max(60_000, clients * 20),
      );
    }),
  );
  const joined = results.reduce((n, r) => n + r.joined, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const t0 = Math.min(...results.map((r) => r.t0));
  const t1 = Math.max(...results.map((r) => r.t1));
  const timedOut = results.some((r) => r.timedOut);
  if (failed > 0 || (joined < clients && deadlineMs === 0)) {
    throw new Error(`${clients - joined} of ${clients} clients could not join: ${results.flatMap((r) => r.errors)}`);
  }
  return { joined, timedOut, seconds: (t1 - t0) / 1e6 };
}

/** Everything each sender sent, as `expected[sender]`. */
function mergeSent(parts, nSenders) {
  const expected = new Array(nSenders).fill(0);
  for (const part of parts) for (const [s, n] of Object.entries(part)) expected[Number(s)] = n;
  return expected;
}

function checkResult(drains) {
  const sum = (key) => drains.reduce((n, d) => n + d[key], 0);
  return {
    lost: sum('missing') + sum('gapFrames'),
    reordered: sum('backwards'),
    invalid: sum('invalid'),
    droppedClients: sum('lost'),
    reasons: drains.flatMap((d) => d.lostReasons),
  };
}

// ---- scenarios ----------------------------------------------------------------------------

/** The server under test and the load generators, with every client connected and joined. */
async function connectedLoad(procs, kind, p) {
  const server = await startServer(kind);
  procs.push(server);
  const workers = startWorkers(options.workers);
  procs.push(...workers);
  const epochUs = nowUs();
  await connectClients(workers, kind, server.port, p.clients, p.senders, epochUs);
  await sleep(200);
  return { server, workers, epochUs };
}

async function fanout(kind) {
  const p = P.fanout;
  return withProcesses(async (procs) => {
    const { server, workers } = await connectedLoad(procs, kind, p);
    await all(workers, 'start', { window: p.window });
    await sleep(p.warmupMs);
    const c0 = machineCpu();
    const [s0, m0] = await Promise.all([server.call('stats'), all(workers, 'mark')]);
    await sleep(p.measureMs);
    const [s1, m1] = await Promise.all([server.call('stats'), all(workers, 'mark')]);
    const c1 = machineCpu();
    const expected = mergeSent(await all(workers, 'stopSending'), p.senders);
    const drains = await all(workers, 'drain', { expected, timeoutMs: 20_000 }, 30_000);
    const delivered = m1.reduce((n, m, i) => n + m.delivered - m0[i].delivered, 0);
    const seconds = m1.reduce((n, m, i) => n + (m.t - m0[i].t), 0) / m1.length / 1e6;
    const check = checkResult(drains);
    return {
      deliveriesPerSec: delivered / seconds,
      messages: expected.reduce((a, b) => a + b, 0),
      serverCpu: cpuShare(s0, s1),
      generatorCpu: m1.reduce((n, m, i) => n + cpuShare(m0[i], m), 0),
      machineCores: machineCores(c0, c1),
      ...check,
    };
  });
}

async function latency(kind) {
  const p = P.latency;
  const rateHz = p.deliveriesPerSec / p.clients / p.senders;
  return withProcesses(async (procs) => {
    const { server, workers, epochUs } = await connectedLoad(procs, kind, p);
    const startAtUs = nowUs() - epochUs + 100_000;
    const recordFromUs = startAtUs + p.warmupMs * 1000;
    await all(workers, 'start', { rateHz, startAtUs, recordFromUs });
    await sleep(100 + p.warmupMs);
    const c0 = machineCpu();
    const [s0, m0] = await Promise.all([server.call('stats'), all(workers, 'mark')]);
    await sleep(p.measureMs);
    const [s1, m1] = await Promise.all([server.call('stats'), all(workers, 'mark')]);
    const c1 = machineCpu();
    const expected = mergeSent(await all(workers, 'stopSending'), p.senders);
    const drains = await all(workers, 'drain', { expected, timeoutMs: 20_000 }, 30_000);
    const hist = new Histogram();
    for (const d of drains) hist.add(d.hist);
    const delivered = m1.reduce((n, m, i) => n + m.delivered - m0[i].delivered, 0);
    const seconds = m1.reduce((n, m, i) => n + (m.t - m0[i].t), 0) / m1.length / 1e6;
    return {
      deliveredPerSec: delivered / seconds,
      timed: hist.n,
      p50: hist.quantile(0.5) / 1000,
      p99: hist.quantile(0.99) / 1000,
      max: hist.max / 1000,
      serverCpu: cpuShare(s0, s1),
      generatorCpu: m1.reduce((n, m, i) => n + cpuShare(m0[i], m), 0),
      machineCores: machineCores(c0, c1),
      ...checkResult(drains),
    };
  });
}

async function connections(kind) {
  const p = P.connections;
  return withProcesses(async (procs) => {
    const server = await startServer(kind, { maxUsers: p.clients + 100 });
    procs.push(server);
    const workers = startWorkers(options.workers);
    procs.push(...workers);
    await sleep(200);
    const before = await server.call('gc');
    const c0 = machineCpu();
    const [s0, m0] = await Promise.all([server.call('stats'), all(workers, 'mark')]);
    const { seconds, joined, timedOut } = await connectClients(
      workers,
      kind,
      server.port,
      p.clients,
      0,
      nowUs(),
      p.concurrency,
      p.deadlineS * 1000,
    );
    const [s1, m1] = await Promise.all([server.call('stats'), all(workers, 'mark')]);
    const c1 = machineCpu();
    await sleep(p.holdMs);
    const after = await server.call('gc', {}, 60_000);
    const status = await all(workers, 'status');
    const open = status.reduce((n, s) => n + s.open, 0);
    return {
      held: open,
      joined,
      timedOut,
      connectSeconds: seconds,
      connectServerCpu: cpuShare(s0, s1),
      connectGeneratorCpu: m1.reduce((n, m, i) => n + cpuShare(m0[i], m), 0),
      machineCores: machineCores(c0, c1),
      rssPerConn: (after.mem.rss - before.mem.rss) / Math.max(1, open),
      heapPerConn:
        (after.mem.heapUsed + after.mem.external - before.mem.heapUsed - before.mem.external) / Math.max(1, open),
      rssBefore: before.mem.rss,
      rssAfter: after.mem.rss,
      droppedClients: status.reduce((n, s) => n + s.lost, 0),
      reasons: status.flatMap((s) => s.lostReasons),
    };
  });
}

async function directory() {
  const p = P.directory;
  return withProcesses(async (procs) => {
    const listing = await startServer('listing', { count: p.servers, dir: scratch });
    procs.push(listing);
    const url = `http://127.0.0.1:${listing.port}/servers`;
    // The plain body and its tag (fetch would otherwise ask for a compressed one, contract §12).
    const real = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    const body = await real.text();
    const etag = real.headers.get('etag');
    const listed = JSON.parse(body).servers.length;
    if (real.status !== 200 || listed !== p.servers || !etag) {
      throw new Error(`GET /servers answered ${real.status} with ${listed} servers and ETag ${etag}`);
    }
    const ceiling = await startServer('fastify-constant', { body, etag });
    procs.push(ceiling);
    const check = await fetch(`http://127.0.0.1:${ceiling.port}/servers`);
    const ceilingBody = await check.text();
    if (ceilingBody !== body) throw new Error('the ceiling does not answer the same body');
    const loader = new Child('http load', join(here, 'lib/http-worker.mjs'), {}, profileArgv('http-generator'));
    procs.push(loader);

    const run = (server, headers, expectStatus, seconds) =>
      loader.call(
        'run',
        {
          port: server.port,
          path: '/servers',
          connections: p.connections,
          seconds,
          headers,
          expectStatus,
          expectBytes: Buffer.byteLength(body),
        },
        seconds * 1000 + 30_000,
      );
    const round = async (server, headers, expectStatus) => {
      const c0 = machineCpu();
      const s0 = await server.call('stats');
      const r = await run(server, headers, expectStatus, p.measureS);
      const s1 = await server.call('stats');
      const c1 = machineCpu();
      if (r.wrong > 0 || r.errors > 0 || r.total === 0) {
        throw new Error(
          `${server.name}: ${r.total} answers, ${r.wrong} not ${expectStatus} with the right body (${JSON.stringify(r.statuses)}), ${r.errors} errors`,
        );
      }
      return { ...r, serverCpu: cpuShare(s0, s1), machineCores: machineCores(c0, c1) };
    };
    /** Both servers in alternating rounds after a warm-up of each; each one's median round. */
    const compare = async (headers, expectStatus) => {
      await run(listing, headers, expectStatus, p.warmupS);
      await run(ceiling, headers, expectStatus, p.warmupS);
      const rounds = { listing: [], ceiling: [] };
      for (let i = 0; i < p.rounds; i++) {
        rounds.listing.push(await round(listing, headers, expectStatus));
        rounds.ceiling.push(await round(ceiling, headers, expectStatus));
      }
      const median = (list) => {
        const sorted = [...list].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
        return { ...sorted[(sorted.length - 1) >> 1], rounds: list.map((r) => Math.round(r.requestsPerSec)) };
      };
      return { listing: median(rounds.listing), ceiling: median(rounds.ceiling) };
    };
    const revalidate = { 'if-none-match': etag };
    const result = { bodyBytes: Buffer.byteLength(body), listed };
    log(
      `  directory: body ${fmt(result.bodyBytes)} bytes, ${listed} servers, ${p.rounds} alternating rounds of ${p.measureS} s`,
    );
    const show = (what, r) =>
      log(
        `  ${what}: ${fmt(r.requestsPerSec)} req/s (median of ${r.rounds.map((n) => fmt(n)).join(', ')}), p99 ${fmt(r.p99, 2)} ms (CPU: server ${fmt(r.serverCpu * 100)} %, generator ${fmt(r.cpu * 100)} %, machine ${fmt(r.machineCores, 2)} cores)`,
      );
    const plain = await compare({}, 200);
    result.listing = plain.listing;
    result.ceiling = plain.ceiling;
    show('listing 200', result.listing);
    show('ceiling 200', result.ceiling);
    const revalidated = await compare(revalidate, 304);
    result.listing304 = revalidated.listing;
    result.ceiling304 = revalidated.ceiling;
    show('listing 304', result.listing304);
    show('ceiling 304', result.ceiling304);
    return result;
  });
}

// ---- the run ------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const results = { fanout: {}, latency: {}, connections: {}, directory: null };
  log(
    `c2 bench${quick ? ' (quick)' : ''}: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ` +
      `load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${options.workers} load generator process${options.workers > 1 ? 'es' : ''}`,
  );
  if (scenarios.includes('fanout')) {
    for (const kind of serverKinds) {
      log(`fan-out: ${SERVERS[kind].label} …`);
      const r = await fanout(kind);
      results.fanout[kind] = r;
      log(
        `  ${fmt(r.deliveriesPerSec)} deliveries/s, lost ${r.lost}, reordered ${r.reordered}, server CPU ${fmt(r.serverCpu * 100)} %, generator CPU ${fmt(r.generatorCpu * 100)} %`,
      );
    }
  }
  if (scenarios.includes('latency')) {
    for (const kind of serverKinds) {
      log(`latency: ${SERVERS[kind].label} …`);
      const r = await latency(kind);
      results.latency[kind] = r;
      log(
        `  p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, max ${fmt(r.max, 2)} ms over ${fmt(r.timed)} deliveries (${fmt(r.deliveredPerSec)}/s), lost ${r.lost}`,
      );
    }
  }
  if (scenarios.includes('connections')) {
    for (const kind of serverKinds) {
      log(`connections: ${SERVERS[kind].label} …`);
      const r = await connections(kind);
      results.connections[kind] = r;
      log(
        `  ${fmt(r.held)} held${r.timedOut ? ` (connecting cut off after ${P.connections.deadlineS} s)` : ''}, connected in ${fmt(r.connectSeconds, 2)} s (CPU: server ${fmt(r.connectServerCpu * 100)} %, generator ${fmt(r.connectGeneratorCpu * 100)} %, machine ${fmt(r.machineCores, 2)} cores), ${fmt(r.rssPerConn / 1024, 1)} KiB RSS per connection`,
      );
    }
  }
  if (scenarios.includes('directory')) {
    log('directory …');
    results.directory = await directory();
  }
  if (scenarios.includes('directory-scale')) {
    log('directory at scale …');
    results.directoryScale = await directoryScale({
      P,
      startServer,
      withProcesses,
      newLoader: () => new Child('http load', join(here, 'lib/http-worker.mjs'), {}, profileArgv('http-generator')),
      machineCpu,
      machineCores,
      cpuShare,
      log,
      fmt,
      scratch,
    });
  }
  results.seconds = (Date.now() - started) / 1000;
  results.parameters = P;
  results.options = options;
  results.date = new Date().toISOString();
  results.machine = { node: process.version, cores: availableParallelism(), cpu: cpus()[0]?.model, loadavg: loadavg() };
  const verdict = printTable(results, { serverKinds, labels: SERVERS, params: P, extra: [directoryScaleRows] });
  if (profileDir) log(`CPU profiles: ${profileDir}`);
  if (options.json) writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  log(`bench finished in ${fmt(results.seconds, 1)} s`);
  return verdict;
}

main()
  .then((verdict) => {
    clearTimeout(watchdog);
    // Lost or reordered frames are a failure of the server, not a missed figure.
    process.exit(verdict.correctness ? 0 : 1);
  })
  .catch((err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
    killAllChildren();
    process.exit(1);
  });
