#!/usr/bin/env node
/**
 * `npm run bench [-- --quick]`: c2 against its peers, in one run, on this machine, with the
 * same load generator, and one table of figures and ratios at the end.
 *
 *   fan-out      500 clients, several senders, 30-byte messages: deliveries a second at
 *                saturation, and per second of server CPU (c2, naive ws, Socket.IO, NATS),
 *                every frame counted and checked
 *   latency      1,000 clients, 50,000 deliveries a second offered: p50 / p99 / max
 *   connections  10,000 idle users: server memory per connection, time to CONNECT them all,
 *                and a broadcast to all of them (one message: until the last has it)
 *   directory    GET /servers with 1,000 listed servers, and with ETag revalidation,
 *                against a constant-body Fastify route (the ceiling)
 *   directory-scale  100,000 listed servers: filtered pages, the whole list compressed against
 *                the same bytes as a constant (bench/scenarios/directory-scale.mjs)
 *   cluster      3 c2 nodes + Redis against 3 Socket.IO nodes + Redis (redis adapter), 1,500
 *                clients: fan-out per CPU-second of all server processes, one order, and
 *                latency across nodes (bench/scenarios/cluster.mjs)
 *
 * Every scenario measures its servers in alternating rounds (c2, ws, sio, nats, c2, ws, …) and
 * reports each one's median round, so a change of the machine's speed during the run (its
 * neighbours) weighs on all of them alike.
 *
 * Options: --quick (a smoke run of about two minutes), --only fanout,latency,connections,directory,directory-scale,cluster,
 * --servers c2,ws,sio,nats, --workers N (load generator processes per server, default 1),
 * --profile (every Node server and generator process runs with --cpu-prof; the directory is
 * printed; read them with `node bench/profile-top.mjs FILE`), --json FILE,
 * --set scenario.parameter=value (experiments only, e.g. --set fanout.window=64),
 * --c2 option=value (an option of the c2 server under test, e.g. --c2 maxPerIp=0 or
 * --c2 limits.slowConsumerBytes=1048576; a CLI flag's name works too: --c2 max-per-ip=0).
 * C2_BENCH_BASE=<dist dir> adds the server `c2base` (`--servers c2,c2base,ws`): that build of
 * c2, measured in the same alternating rounds, for an A/B of a change (its figures are in
 * the round lines and --json, not the table).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowUs, sleep } from './lib/clock.mjs';
import { latencyFigures } from './lib/histogram.mjs';
import { findNatsServer, startNatsServer } from './lib/nats-server.mjs';
import { Child, killAllChildren, openFilesLimit, procStats } from './lib/procs.mjs';
import { printTable } from './lib/table.mjs';
import { cluster, clusterLog, clusterParams, clusterRows } from './scenarios/cluster.mjs';
import { directoryScale, directoryScaleParams, directoryScaleRows } from './scenarios/directory-scale.mjs';

const here = dirname(fileURLToPath(import.meta.url));

// ---- options ------------------------------------------------------------------------------

/** A mistake in the command line or the machine's setup: said in one line, exit code 2. */
function usage(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

/** `--c2 a.b-c=value`: sets option a.bC of the c2 server (the value parsed as JSON if it is). */
function setC2Option(target, assignment) {
  const eq = assignment.indexOf('=');
  if (eq <= 0) usage(`--c2 ${assignment}: expected option=value`);
  const path = assignment
    .slice(0, eq)
    .replace(/^--/, '')
    .split('.')
    .map((part) => part.replace(/-([a-z])/g, (_, c) => c.toUpperCase()));
  const text = assignment.slice(eq + 1);
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let at = target;
  for (const part of path.slice(0, -1)) {
    at[part] ??= {};
    at = at[part];
  }
  at[path[path.length - 1]] = value;
}

function parseOptions(argv) {
  const options = {
    quick: false,
    only: null,
    servers: null,
    workers: 1,
    profile: false,
    json: null,
    set: [],
    c2: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only = value().split(',');
    else if (arg === '--servers') options.servers = value().split(',');
    else if (arg === '--workers') options.workers = Math.max(1, Number.parseInt(value(), 10));
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--json') options.json = value();
    else if (arg === '--set') options.set.push(value());
    else if (arg === '--c2') setC2Option(options.c2, value());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run bench [-- --quick] [--only fanout,latency,connections,directory,directory-scale,cluster] [--servers c2,ws,sio,nats]\n' +
          '                     [--workers N] [--profile] [--json FILE] [--set scenario.parameter=value]\n' +
          '                     [--c2 option=value]…\n',
      );
      process.exit(0);
    } else usage(`unknown option ${arg} (--help lists them)`);
  }
  return options;
}

const options = parseOptions(process.argv.slice(2));
const quick = options.quick;

// Fan-out and latency: `warmupMs` before the first round of each server, `rewarmMs` before
// the others (the senders start again; the server is already warm), then `measureMs`.
const P = {
  fanout: {
    clients: 500,
    senders: 4,
    window: 128,
    rounds: quick ? 3 : 5,
    warmupMs: quick ? 1000 : 2000,
    rewarmMs: quick ? 500 : 1000,
    measureMs: quick ? 1000 : 5000,
  },
  latency: {
    clients: 1000,
    senders: 5,
    deliveriesPerSec: 50_000,
    rounds: quick ? 3 : 5,
    warmupMs: 1000,
    rewarmMs: 500,
    measureMs: quick ? 1500 : 5000,
  },
  // Every CONNECT is announced to every connected user: N joins cost N²/2 frames (50 million
  // for 10,000), so the quick run holds fewer users. The connect phase is cut off after
  // deadlineS, and what joined by then is reported. Each round starts fresh processes.
  connections: {
    clients: quick ? 1000 : 10_000,
    rounds: quick ? 2 : 3,
    concurrency: 256,
    holdMs: quick ? 500 : 2000,
    deadlineS: quick ? 20 : 150,
  },
  // The listing and the ceiling are measured in alternating rounds (listing, ceiling, listing,
  // …) and each reports its median round, so a drift of the machine's speed during the run
  // (frequency, neighbours) weighs on both sides alike.
  directory: { servers: 1000, connections: 32, warmupS: 1, measureS: quick ? 1.5 : 3, rounds: quick ? 2 : 5 },
  'directory-scale': directoryScaleParams(quick),
  cluster: clusterParams(quick),
  limitMs: quick ? 300_000 : 1_800_000,
};

// --set scenario.parameter=value (for experiments: the defaults are the issue's scenarios)
for (const assignment of options.set) {
  const [path, value] = assignment.split('=');
  const [scenario, name] = path.split('.');
  if (!(scenario in P) || !(name in P[scenario])) usage(`--set: no parameter ${path}`);
  if (value === undefined || value.trim() === '' || !Number.isFinite(Number(value))) {
    usage(`--set ${assignment}: the value must be a number`);
  }
  P[scenario][name] = Number(value);
}

const SERVERS = {
  c2: { label: 'c2', script: 'servers/c2.mjs', speaks: 'c2' },
  ws: { label: 'naive ws', script: 'servers/ws-naive.mjs' },
  sio: { label: 'Socket.IO', script: 'servers/socketio.mjs' },
  nats: { label: 'NATS' },
  ...(process.env.C2_BENCH_BASE
    ? { c2base: { label: 'c2 base', script: 'servers/c2.mjs', speaks: 'c2', dist: process.env.C2_BENCH_BASE } }
    : {}),
};
const natsBinary = findNatsServer();
if (options.servers?.includes('nats') && natsBinary === null) {
  usage('--servers nats: no nats-server binary (set C2_BENCH_NATS=<path>)');
}
const serverKinds = (options.servers ?? ['c2', 'ws', 'sio', 'nats']).filter(
  (k) => k in SERVERS && (k !== 'nats' || natsBinary !== null),
);
/** NATS is a peer for the message scenarios only: it has no users to CONNECT. */
const connectionKinds = serverKinds.filter((k) => k !== 'nats');
const scenarios = options.only ?? ['fanout', 'latency', 'connections', 'directory', 'directory-scale', 'cluster'];
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

// ---- sockets: open files and source addresses ----------------------------------------------

/**
 * Every bench process runs with its soft limit of open files raised to this hard limit (see
 * procs.mjs). A server needs one file per client; a generator process too, so the clients
 * are spread over enough generator processes.
 */
const openFiles = openFilesLimit();
/** Files a process needs besides its sockets (its own, Node's, the listening socket…). */
const FILES_SPARE = 200;

function checkOpenFiles() {
  const biggest = Math.max(
    ...scenarios.filter((s) => s in P && 'clients' in P[s]).map((s) => P[s].clients + FILES_SPARE),
  );
  if (Number.isFinite(openFiles) && biggest > openFiles) {
    usage(
      `a server would need ${fmt(biggest)} open files, but the hard limit here is ${fmt(openFiles)} (ulimit -Hn); ` +
        'raise it (as root: ulimit -Hn 1048576 in the shell that runs the bench; systemd: LimitNOFILE=; ' +
        'docker: --ulimit nofile=1048576:1048576) or run fewer clients',
    );
  }
}

/** Generator processes for `clients` sockets: --workers, or more if one would need too many files. */
function generatorCount(clients) {
  const perProcess = Number.isFinite(openFiles) ? openFiles - FILES_SPARE : clients;
  return Math.max(options.workers, Math.ceil(clients / perProcess));
}

/** Ephemeral ports the kernel hands out to one source address. */
function ephemeralPorts() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/);
    return Number(high) - Number(low) + 1;
  } catch {
    return 28_232; // Linux's default range, 32768–60999
  }
}
/**
 * Clients per source address: 1,000, far under the ~28,000 ephemeral ports of one. With a
 * source address, Node binds the socket (port 0) before connecting, and the kernel's search
 * for a free port slows down as an address fills up: 9,000 sockets took 5.7 s from one
 * address (4 s of it in the kernel), 1.1 s from three or more, as many as without one. Every
 * connect phase takes fresh addresses (127.0.0.2, 127.0.0.3, …, 127.0.0.254, 127.0.1.2, …),
 * so no round meets the sockets an earlier one left in TIME_WAIT.
 */
const PER_SOURCE = Math.max(100, Math.min(1000, Math.floor(ephemeralPorts() / 4)));
let nextSource = 0;
function sourceAddresses(clients) {
  return Array.from({ length: Math.max(1, Math.ceil(clients / PER_SOURCE)) }, () => {
    const k = nextSource++;
    return `127.0.${Math.floor(k / 253) % 256}.${2 + (k % 253)}`;
  });
}

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
  if (kind === 'nats') return startNatsServer(natsBinary);
  const script = kind in SERVERS ? SERVERS[kind].script : `servers/${kind}.mjs`;
  const dist = SERVERS[kind]?.dist;
  const given = SERVERS[kind]?.speaks === 'c2' ? { ...args, options: options.c2, dist } : args;
  const child = new Child(`${kind} server`, join(here, script), given, execArgvFor(kind));
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
 * Connects `clients` clients spread over the workers, from fresh source addresses, at most
 * `concurrency` handshakes in flight in all; `nSenders` of them, spread evenly over the client
 * indices (so over the workers), are senders.
 */
async function connectClients(workers, kind, port, clients, nSenders, epochUs, concurrency = 128, deadlineMs = 0) {
  const senderOf = {};
  for (let s = 0; s < nSenders; s++) senderOf[Math.floor(((s + 0.5) * clients) / nSenders)] = s;
  const sources = sourceAddresses(clients);
  const per = Math.ceil(clients / workers.length);
  const perWorker = Math.ceil(concurrency / workers.length);
  const results = await Promise.all(
    workers.map((w, i) => {
      const first = i * per;
      const count = Math.max(0, Math.min(per, clients - first));
      return w.call(
        'connect',
        {
          kind: SERVERS[kind]?.speaks ?? kind,
          port,
          first,
          count,
          concurrency: perWorker,
          nSenders,
          epochUs,
          senderOf,
          sources,
          deadlineMs,
        },
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

// ---- rounds -------------------------------------------------------------------------------

/** The median of the finite values (the mean of the middle two for an even count). */
function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Runs `round(kind, i)` for every kind in turn, `n` times over (c2, ws, sio, nats, c2, ws,
 * …), logging each pass with `show`; returns every kind's rounds.
 */
async function inRounds(n, kinds, round, show) {
  const rounds = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const kind of kinds) rounds[kind].push(await round(kind, i));
    log(`  round ${i + 1}/${n}: ${kinds.map((k) => `${SERVERS[k].label} ${show(rounds[k][i])}`).join(', ')}`);
  }
  return rounds;
}

/** Each figure's median over the rounds (`fields`), and the list of the rounds. */
function medians(rounds, fields) {
  const out = { rounds };
  for (const field of fields) out[field] = median(rounds.map((r) => r[field]));
  return out;
}

// ---- scenarios ----------------------------------------------------------------------------

/** The server under test and its load generators, with every client connected and joined. */
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

/**
 * One measured round of a message scenario: the senders start (`startArgs`), after the
 * warm-up the server's CPU, the generators' deliveries and the machine's CPU are sampled
 * around `measureMs`, then the senders stop and every client must get every message sent
 * so far (the checks are cumulative over the rounds: sequence numbers go on).
 *
 * The server's CPU time is read from /proc/<pid>/stat (all its threads), for every server
 * alike: a saturated Node server would answer a `stats` request only after its current turn
 * of the event loop (seconds for the naive peers), out of step with the generators' window.
 */
async function messageRound({ server, workers }, p, startArgs, warmupMs) {
  await all(workers, 'start', startArgs);
  await sleep(warmupMs);
  const c0 = machineCpu();
  const s0 = procStats(server.pid, nowUs);
  const m0 = await all(workers, 'mark');
  await sleep(p.measureMs);
  const s1 = procStats(server.pid, nowUs);
  const m1 = await all(workers, 'mark');
  const c1 = machineCpu();
  const expected = mergeSent(await all(workers, 'stopSending'), p.senders);
  const drainedFrom = nowUs();
  const drains = await all(workers, 'drain', { expected, timeoutMs: 20_000 }, 30_000);
  const delivered = m1.reduce((n, m, i) => n + m.delivered - m0[i].delivered, 0);
  const seconds = m1.reduce((n, m, i) => n + (m.t - m0[i].t), 0) / m1.length / 1e6;
  return {
    drains,
    /** Time the clients took to get the messages still on their way when the senders stopped. */
    drainSeconds: (nowUs() - drainedFrom) / 1e6,
    delivered,
    seconds,
    /** Messages sent so far, in every round. */
    messages: expected.reduce((a, b) => a + b, 0),
    serverCpu: cpuShare(s0, s1),
    serverCpuSeconds: (s1.cpu - s0.cpu) / 1e6,
    generatorCpu: m1.reduce((n, m, i) => n + cpuShare(m0[i], m), 0),
    machineCores: machineCores(c0, c1),
  };
}

/**
 * A message scenario: every server started and its clients connected, then rounds in turn;
 * each figure is the server's median round, lost / reordered count every round's frames.
 */
async function messageScenario(p, kinds, round, fields, show) {
  return withProcesses(async (procs) => {
    const loads = {};
    for (const kind of kinds) loads[kind] = await connectedLoad(procs, kind, p);
    const rounds = await inRounds(
      p.rounds,
      kinds,
      (kind, i) => round(loads[kind], i === 0 ? p.warmupMs : p.rewarmMs),
      show,
    );
    const out = {};
    for (const kind of kinds) {
      const list = rounds[kind];
      const last = list[list.length - 1];
      out[kind] = {
        ...medians(list, fields),
        messages: last.messages,
        // The generators' counters run over all the rounds, and the last drain waited for
        // every message sent in any of them.
        ...checkResult(last.drains),
      };
      for (const r of list) delete r.drains;
    }
    return out;
  });
}

async function fanout(kinds) {
  const p = P.fanout;
  const round = async (load, warmupMs) => {
    const r = await messageRound(load, p, { window: p.window }, warmupMs);
    return {
      ...r,
      deliveriesPerSec: r.delivered / r.seconds,
      perServerCpuSecond: r.delivered / r.serverCpuSeconds,
    };
  };
  const fields = ['deliveriesPerSec', 'perServerCpuSecond', 'serverCpu', 'generatorCpu', 'machineCores'];
  return messageScenario(p, kinds, round, fields, (r) => `${fmt(r.deliveriesPerSec)}/s`);
}

async function latency(kinds) {
  const p = P.latency;
  const rateHz = p.deliveriesPerSec / p.clients / p.senders;
  const round = async (load, warmupMs) => {
    const startAtUs = nowUs() - load.epochUs + 100_000;
    const recordFromUs = startAtUs + warmupMs * 1000;
    const r = await messageRound(load, p, { rateHz, startAtUs, recordFromUs }, 100 + warmupMs);
    return { ...r, deliveredPerSec: r.delivered / r.seconds, ...latencyFigures(r.drains) };
  };
  const fields = ['deliveredPerSec', 'p50', 'p99', 'max', 'serverCpu', 'generatorCpu', 'machineCores'];
  const out = await messageScenario(p, kinds, round, fields, (r) => `p99 ${fmt(r.p99, 1)} ms`);
  for (const r of Object.values(out)) r.timed = r.rounds.reduce((n, x) => n + x.timed, 0);
  return out;
}

/** One round of the connections scenario, on a fresh server and fresh generators. */
async function connectionsRound(kind) {
  const p = P.connections;
  return withProcesses(async (procs) => {
    // Notices on for every join (what this scenario has always measured: N²/2 frames).
    const server = await startServer(kind, { maxUsers: p.clients + 100, announceLimit: p.clients + 100 });
    procs.push(server);
    const workers = startWorkers(generatorCount(p.clients));
    procs.push(...workers);
    await sleep(200);
    const before = await server.call('gc');
    const c0 = machineCpu();
    const [s0, m0] = await Promise.all([server.call('stats'), all(workers, 'mark')]);
    // One of the users (the one in the middle) says one thing to everyone, once all are in.
    const { seconds, joined, timedOut } = await connectClients(
      workers,
      kind,
      server.port,
      p.clients,
      1,
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
    // A broadcast to all: one message (window 1: it goes out at once), timed from its send
    // to each receiver; the last of them is the figure. Its own copy may send one more.
    await all(workers, 'start', { window: 1, recordFromUs: 0 });
    const expected = mergeSent(await all(workers, 'stopSending'), 1);
    const drains = await all(workers, 'drain', { expected, timeoutMs: 20_000 }, 30_000);
    const broadcast = latencyFigures(drains);
    return {
      broadcastMs: broadcast.max,
      broadcastP50Ms: broadcast.p50,
      broadcastMissing: drains.reduce((n, d) => n + d.missing, 0),
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

/**
 * The connections scenario: each round connects every server's users anew. Figures are
 * medians; `held` is the fewest any round held, and a round cut off at the deadline marks it.
 */
async function connections(kinds) {
  const p = P.connections;
  const rounds = await inRounds(p.rounds, kinds, connectionsRound, (r) =>
    r.timedOut ? `> ${p.deadlineS} s` : `${fmt(r.connectSeconds, 2)} s`,
  );
  const fields = [
    'connectSeconds',
    'connectServerCpu',
    'connectGeneratorCpu',
    'machineCores',
    'rssPerConn',
    'heapPerConn',
    'rssBefore',
    'rssAfter',
    'broadcastMs',
    'broadcastP50Ms',
  ];
  const out = {};
  for (const kind of kinds) {
    const list = rounds[kind];
    out[kind] = {
      ...medians(list, fields),
      held: Math.min(...list.map((r) => r.held)),
      joined: Math.min(...list.map((r) => r.joined)),
      timedOut: list.some((r) => r.timedOut),
      droppedClients: list.reduce((n, r) => n + r.droppedClients, 0),
      broadcastMissing: list.reduce((n, r) => n + r.broadcastMissing, 0),
      reasons: list.flatMap((r) => r.reasons),
    };
  }
  return out;
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
    // Through a file: the body is longer than one command-line argument may be (128 KiB).
    const bodyFile = join(scratch, 'directory-body.json');
    writeFileSync(bodyFile, body);
    const ceiling = await startServer('fastify-constant', { file: bodyFile, etag });
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

/** The machine's load average (1, 5, 15 minutes): other work on it while the bench runs. */
const loadText = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main() {
  const started = Date.now();
  const results = { fanout: {}, latency: {}, connections: {}, directory: null };
  log(
    `c2 bench${quick ? ' (quick)' : ''}: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ` +
      `load ${loadText()}, ${options.workers} load generator process${options.workers > 1 ? 'es' : ''} per server, ` +
      `open files ${fmt(openFiles)}, ${fmt(PER_SOURCE)} clients per source address`,
  );
  if (natsBinary === null) log('no nats-server binary (C2_BENCH_NATS, /usr/sbin/nats-server…): no NATS rows');
  if (Object.keys(options.c2).length > 0) log(`c2 server options: ${JSON.stringify(options.c2)}`);
  checkOpenFiles();
  const labelled = (kind, line) => log(`  ${SERVERS[kind].label}: ${line}`);
  if (scenarios.includes('fanout')) {
    log(`fan-out: ${serverKinds.map((k) => SERVERS[k].label).join(', ')} in ${P.fanout.rounds} alternating rounds …`);
    results.fanout = await fanout(serverKinds);
    for (const [kind, r] of Object.entries(results.fanout)) {
      labelled(
        kind,
        `${fmt(r.deliveriesPerSec)} deliveries/s (median of ${r.rounds.map((x) => fmt(x.deliveriesPerSec)).join(', ')}), ` +
          `${fmt(r.perServerCpuSecond)} per server CPU-second, lost ${r.lost}, reordered ${r.reordered}, ` +
          `server CPU ${fmt(r.serverCpu * 100)} %, generator CPU ${fmt(r.generatorCpu * 100)} %`,
      );
    }
  }
  if (scenarios.includes('latency')) {
    log(`latency: ${serverKinds.map((k) => SERVERS[k].label).join(', ')} in ${P.latency.rounds} alternating rounds …`);
    results.latency = await latency(serverKinds);
    for (const [kind, r] of Object.entries(results.latency)) {
      labelled(
        kind,
        `p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms (median of ${r.rounds.map((x) => fmt(x.p99, 2)).join(', ')}), ` +
          `max ${fmt(r.max, 2)} ms over ${fmt(r.timed)} deliveries (${fmt(r.deliveredPerSec)}/s), lost ${r.lost}`,
      );
    }
  }
  if (scenarios.includes('connections') && connectionKinds.length > 0) {
    const p = P.connections;
    const generators = generatorCount(p.clients);
    log(
      `connections: ${fmt(p.clients)} users, ${connectionKinds.map((k) => SERVERS[k].label).join(', ')} in ${p.rounds} alternating rounds` +
        `${generators > options.workers ? ` (${generators} load generator processes: ${fmt(openFiles)} open files each at most)` : ''} …`,
    );
    results.connections = await connections(connectionKinds);
    for (const [kind, r] of Object.entries(results.connections)) {
      labelled(
        kind,
        `${fmt(r.held)} held${r.timedOut ? ` (connecting cut off after ${p.deadlineS} s)` : ''}, connected in ${fmt(r.connectSeconds, 2)} s ` +
          `(median of ${r.rounds.map((x) => fmt(x.connectSeconds, 2)).join(', ')}; CPU: server ${fmt(r.connectServerCpu * 100)} %, ` +
          `generator ${fmt(r.connectGeneratorCpu * 100)} %, machine ${fmt(r.machineCores, 2)} cores), ` +
          `${fmt(r.rssPerConn / 1024, 1)} KiB RSS per connection; a broadcast to all: last delivery ` +
          `${fmt(r.broadcastMs, 1)} ms (median of ${r.rounds.map((x) => fmt(x.broadcastMs, 1)).join(', ')})` +
          `${r.broadcastMissing > 0 ? `, ${fmt(r.broadcastMissing)} deliveries missing` : ''}`,
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
  if (scenarios.includes('cluster')) {
    log(`cluster (${P.cluster.nodes} nodes + Redis): c2, one c2 node, Socket.IO in alternating rounds …`);
    const ctx = { P, kinds: serverKinds, startServer, startWorkers, withProcesses, connectClients, all, sleep, nowUs };
    Object.assign(ctx, { machineCpu, machineCores, mergeSent, checkResult, medians, log, fmt, options });
    results.cluster = await cluster(ctx);
    if (results.cluster) clusterLog(results.cluster, { log, fmt });
  }
  results.seconds = (Date.now() - started) / 1000;
  results.parameters = P;
  results.options = options;
  results.date = new Date().toISOString();
  results.machine = { node: process.version, cores: availableParallelism(), cpu: cpus()[0]?.model, loadavg: loadavg() };
  const verdict = printTable(results, {
    serverKinds,
    labels: SERVERS,
    params: P,
    extra: [directoryScaleRows, clusterRows],
  });
  if (profileDir) log(`CPU profiles: ${profileDir}`);
  if (options.json) writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  log(`bench finished in ${fmt(results.seconds, 1)} s (load ${loadText()})`);
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
