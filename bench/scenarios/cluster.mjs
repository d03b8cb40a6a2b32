/**
 * Clustering over Redis (contract §11, issue 15): 3 nodes and 1 Redis, against Socket.IO 4
 * on 3 nodes sharing its own Redis through `@socket.io/redis-adapter`.
 *
 * Each side gets its own `redis-server` (a free port, no persistence) and 3 server processes
 * on it (c2: `cluster: redis://…`, the same id, name and max users; Socket.IO: the redis
 * adapter); 1,500 clients are spread round-robin over the nodes (client i on node i mod 3),
 * and so are the senders (6 of them: 2 per node). Both sides stay connected for the whole
 * scenario, and are measured in alternating rounds (c2, Socket.IO, c2, …), each figure its
 * median round:
 *
 *   fan-out   each sender keeps 64 messages in flight (a closed loop, as in the single-node
 *             fan-out; a slot is freed when the message has reached the sender's neighbours
 *             on the other nodes, see loadgen-worker.mjs): deliveries a second, and
 *             deliveries per CPU-second of all the server processes together (the 3 nodes
 *             and redis-server, every thread, from /proc); lost and reordered frames (per
 *             sender) over every round, and the global order: every receiver keeps a digest
 *             of the order in which it got all the messages, and the digests are compared
 *             (one order: every receiver has the same)
 *   latency   20,000 deliveries a second offered (6 senders × 2.2 messages a second × 1,500
 *             receivers), on a fixed schedule: p50 / p99 / max from send to receive, over the
 *             deliveries whose receiver is on another node than the sender
 *
 * The orchestrator (bench/run.mjs) passes its helpers in `ctx`.
 */
import { latencyFigures } from '../lib/histogram.mjs';
import { procStats } from '../lib/procs.mjs';
import { findRedisServer, startRedisServer } from '../lib/redis-server.mjs';

/**
 * The issue's scenario; `--quick` is a smoke run of it (about 30 s): 300 clients, 32 messages
 * in flight per sender, 2 short rounds.
 */
export function clusterParams(quick) {
  return {
    nodes: 3,
    clients: quick ? 300 : 1500,
    senders: 6,
    window: quick ? 32 : 64,
    deliveriesPerSec: 20_000,
    rounds: quick ? 2 : 5,
    warmupMs: quick ? 500 : 2000,
    rewarmMs: quick ? 300 : 1000,
    measureMs: quick ? 1000 : 5000,
    latencyRounds: quick ? 2 : 5,
    latencyWarmupMs: quick ? 500 : 1000,
    latencyRewarmMs: quick ? 300 : 500,
    latencyMeasureMs: quick ? 1000 : 5000,
    /** How long the clients may take to get every message once the senders stop. */
    drainMs: 60_000,
    /**
     * Load generator processes at least (`--workers` may ask more): one process reading
     * 1,500 sockets one after the other puts its own ~10 ms under every latency here (the
     * single node's p99 in the same rounds was 26–28 ms with one, 22 ms with two).
     */
    generators: 2,
  };
}

/**
 * The sides of the scenario: how a node is told its Redis; `server`, the server script's kind
 * when it is not the side's; `nodes` when not the scenario's.
 */
const SIDES = {
  c2: { label: 'c2', args: (url) => ({ cluster: url }) },
  /** The reference: one c2 process (no cluster, no Redis) with the same clients and load. */
  c2one: { label: 'c2 one node', server: 'c2', nodes: 1 },
  sio: { label: 'Socket.IO', args: (url) => ({ redis: url }) },
  /** Another build of c2 (C2_BENCH_BASE), for an A/B of a change: in the log, not the table. */
  c2base: { label: 'c2 base', server: 'c2base', args: (url) => ({ cluster: url }) },
};

/** CPU time (µs) of each process, and the time. */
const sample = (pids, nowUs) => pids.map((pid) => procStats(pid, nowUs));

/**
 * How many receivers saw each order of the messages, over every generator: the number of
 * distinct orders, and how many receivers are not in the most common one.
 */
function orderCheck(drains) {
  const counts = new Map();
  for (const d of drains)
    for (const [digest, n] of Object.entries(d.orders ?? {})) counts.set(digest, (counts.get(digest) ?? 0) + n);
  const receivers = [...counts.values()].reduce((a, b) => a + b, 0);
  const most = Math.max(0, ...counts.values());
  return { orders: counts.size, otherOrder: receivers - most, receivers };
}

export async function cluster(ctx) {
  const { P, kinds, startServer, startWorkers, withProcesses, connectClients, all, sleep, nowUs } = ctx;
  const { machineCpu, machineCores, mergeSent, checkResult, medians, log, fmt, options } = ctx;
  const p = P.cluster;
  const redisFile = findRedisServer();
  if (redisFile === null) {
    log('  cluster: no redis-server binary (C2_BENCH_REDIS, /usr/bin/redis-server…): skipped');
    return null;
  }
  const sides = kinds.filter((k) => k in SIDES && k !== 'c2one');
  if (sides.includes('c2')) sides.splice(sides.indexOf('c2') + 1, 0, 'c2one');
  if (p.senders % p.nodes !== 0)
    throw new Error(`cluster: ${p.senders} senders do not spread evenly over ${p.nodes} nodes`);

  return withProcesses(async (procs) => {
    /** Each side: its Redis, its nodes, its generators, every client joined. */
    const loads = {};
    for (const kind of sides) {
      const side = SIDES[kind];
      const server = side.server ?? kind;
      const redis = side.args ? await startRedisServer(redisFile) : null;
      if (redis) procs.push(redis);
      const nodes = [];
      for (let i = 0; i < (side.nodes ?? p.nodes); i++) {
        const node = await startServer(server, redis ? side.args(redis.url) : {});
        procs.push(node);
        nodes.push(node);
      }
      const workers = startWorkers(Math.max(options.workers, p.generators));
      procs.push(...workers);
      const epochUs = nowUs();
      const ports = nodes.map((n) => n.port);
      await connectClients(workers, server, ports.length === 1 ? ports[0] : ports, p.clients, p.senders, epochUs);
      await sleep(500);
      loads[kind] = { workers, epochUs, pids: [...nodes.map((n) => n.pid), ...(redis ? [redis.pid] : [])], redis };
    }

    /** One measured round: the senders start, CPU and deliveries sampled, then every message checked. */
    const round = async (load, startArgs, warmupMs, measureMs) => {
      const { workers, pids } = load;
      await all(workers, 'start', startArgs);
      await sleep(warmupMs);
      const c0 = machineCpu();
      const s0 = sample(pids, nowUs);
      const m0 = await all(workers, 'mark');
      await sleep(measureMs);
      const s1 = sample(pids, nowUs);
      const m1 = await all(workers, 'mark');
      const c1 = machineCpu();
      const expected = mergeSent(await all(workers, 'stopSending'), p.senders);
      const drainedFrom = nowUs();
      const drains = await all(workers, 'drain', { expected, timeoutMs: p.drainMs }, p.drainMs + 10_000);
      const drainSeconds = (nowUs() - drainedFrom) / 1e6;
      const delivered = m1.reduce((n, m, i) => n + m.delivered - m0[i].delivered, 0);
      const seconds = m1.reduce((n, m, i) => n + (m.t - m0[i].t), 0) / m1.length / 1e6;
      const cpuSeconds = s1.map((s, i) => (s.cpu - s0[i].cpu) / 1e6);
      const wall = (s1[0].t - s0[0].t) / 1e6;
      const redisCpuSeconds = load.redis ? cpuSeconds[cpuSeconds.length - 1] : 0;
      const nodeCpuSeconds = cpuSeconds.reduce((a, b) => a + b, 0) - redisCpuSeconds;
      return {
        drains,
        /** Time the clients took to get the messages still on their way when the senders stopped. */
        drainSeconds,
        delivered,
        seconds,
        messages: expected.reduce((a, b) => a + b, 0),
        serverCpuSeconds: nodeCpuSeconds + redisCpuSeconds,
        /** Cores kept busy: the nodes together, and Redis. */
        nodeCpu: nodeCpuSeconds / wall,
        redisCpu: redisCpuSeconds / wall,
        generatorCpu: m1.reduce((n, m, i) => n + (m.cpu - m0[i].cpu) / (m.t - m0[i].t), 0),
        machineCores: machineCores(c0, c1),
      };
    };

    /** Rounds of every side in turn; each figure its median round, the checks over every round. */
    const measure = async (rounds, run, fields, show) => {
      const byKind = Object.fromEntries(sides.map((k) => [k, []]));
      for (let i = 0; i < rounds; i++) {
        for (const kind of sides) byKind[kind].push(await run(loads[kind], i));
        log(`  round ${i + 1}/${rounds}: ${sides.map((k) => `${SIDES[k].label} ${show(byKind[k][i])}`).join(', ')}`);
      }
      const out = {};
      for (const kind of sides) {
        const list = byKind[kind];
        const last = list[list.length - 1];
        out[kind] = {
          ...medians(list, fields),
          messages: last.messages,
          ...checkResult(last.drains),
          ...orderCheck(last.drains),
        };
        for (const r of list) delete r.drains;
      }
      return out;
    };

    log(`  fan-out: ${fmt(p.clients)} clients, ${p.senders} senders over ${p.nodes} nodes, ${p.window} in flight each`);
    const fanout = await measure(
      p.rounds,
      async (load, i) => {
        const r = await round(load, { window: p.window }, i === 0 ? p.warmupMs : p.rewarmMs, p.measureMs);
        return {
          ...r,
          deliveriesPerSec: r.delivered / r.seconds,
          perServerCpuSecond: r.delivered / r.serverCpuSeconds,
        };
      },
      ['deliveriesPerSec', 'perServerCpuSecond', 'nodeCpu', 'redisCpu', 'generatorCpu', 'machineCores', 'drainSeconds'],
      (r) =>
        `${fmt(r.deliveriesPerSec)}/s, ${fmt(r.perServerCpuSecond)} per CPU-s, drained in ${fmt(r.drainSeconds, 1)} s`,
    );

    const rateHz = p.deliveriesPerSec / p.clients / p.senders;
    log(
      `  latency: ${fmt(p.deliveriesPerSec)} deliveries / s offered (${p.senders} senders × ${fmt(rateHz, 2)} / s × ${fmt(p.clients)}), timed across nodes`,
    );
    const latency = await measure(
      p.latencyRounds,
      async (load, i) => {
        const warmupMs = i === 0 ? p.latencyWarmupMs : p.latencyRewarmMs;
        const startAtUs = nowUs() - load.epochUs + 100_000;
        const recordFromUs = startAtUs + warmupMs * 1000;
        const r = await round(load, { rateHz, startAtUs, recordFromUs }, 100 + warmupMs, p.latencyMeasureMs);
        return { ...r, deliveredPerSec: r.delivered / r.seconds, ...latencyFigures(r.drains) };
      },
      ['deliveredPerSec', 'p50', 'p99', 'max', 'nodeCpu', 'redisCpu', 'generatorCpu', 'machineCores'],
      (r) => `p99 ${fmt(r.p99, 1)} ms`,
    );
    for (const r of Object.values(latency)) r.timed = r.rounds.reduce((n, x) => n + x.timed, 0);

    const results = {};
    for (const kind of sides) results[kind] = { fanout: fanout[kind], latency: latency[kind] };
    return results;
  });
}

/** The scenario's lines of the log, after it ran. */
export function clusterLog(result, { log, fmt }) {
  for (const [kind, r] of Object.entries(result)) {
    const f = r.fanout;
    const l = r.latency;
    log(
      `  ${SIDES[kind].label}: ${fmt(f.deliveriesPerSec)} deliveries/s (median of ${f.rounds.map((x) => fmt(x.deliveriesPerSec)).join(', ')}), ` +
        `${fmt(f.perServerCpuSecond)} per server CPU-second (nodes ${fmt(f.nodeCpu * 100)} %, Redis ${fmt(f.redisCpu * 100)} %), ` +
        `lost ${f.lost}, reordered ${f.reordered}` +
        `${f.receivers > 0 ? `, ${f.orders} order${f.orders === 1 ? '' : 's'} among ${fmt(f.receivers)} receivers` : ''}; ` +
        `${kind === 'c2one' ? '' : 'cross-node '}p50 ${fmt(l.p50, 2)} ms, p99 ${fmt(l.p99, 2)} ms (median of ${l.rounds.map((x) => fmt(x.p99, 2)).join(', ')}), ` +
        `max ${fmt(l.max, 2)} ms over ${fmt(l.timed)} deliveries, lost ${l.lost}`,
    );
  }
}

const num = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const pct = (x) => (Number.isFinite(x) ? `${num(x * 100)} %` : '–');

/**
 * The scenario's rows of the table (bench/lib/table.mjs), its targets, and whether c2 kept
 * every message in one order (`correctness`: a lost, reordered or differently ordered frame
 * of c2 fails the run; Socket.IO's are reported as they are).
 */
export function clusterRows(results, params) {
  const c = results.cluster;
  if (!c) return { rows: [], targets: [] };
  const p = params.cluster;
  const rows = [];
  const targets = [];
  let first = true;
  const add = (measure, get, extra = {}) => {
    const cell = (kind) => (c[kind] ? get(c[kind]) : '–');
    rows.push([
      first
        ? `cluster: ${p.nodes} nodes + Redis, ${num(p.clients)} clients, ${p.senders} senders (median of ${p.rounds} rounds)`
        : '',
      measure,
      cell('c2'),
      '–',
      cell('sio'),
      '–',
      '–',
      extra.ratio ?? '',
      extra.target ?? '',
      extra.ok === undefined ? '' : extra.ok ? 'yes' : '**NO**',
    ]);
    if (extra.ok !== undefined) targets.push({ what: `cluster ${measure}`, ok: extra.ok });
    first = false;
  };
  const ratio = (field) => (c.c2 && c.sio ? c.c2.fanout[field] / c.sio.fanout[field] : Number.NaN);
  /** The same figure of one c2 process with the same clients and load (the reference). */
  const one = (get, digits = 0) => (c.c2one ? `; one c2 node: ${num(get(c.c2one), digits)}` : '');
  add('fan-out: deliveries / s', (r) => num(r.fanout.deliveriesPerSec), {
    ratio: `${num(ratio('deliveriesPerSec'), 2)}× Socket.IO${one((r) => r.fanout.deliveriesPerSec)}`,
  });
  const perCpu = ratio('perServerCpuSecond');
  add('fan-out: deliveries / CPU-second of nodes + Redis', (r) => num(r.fanout.perServerCpuSecond), {
    ratio: `${num(perCpu, 2)}× Socket.IO${one((r) => r.fanout.perServerCpuSecond)}`,
    target: '≥ 2× Socket.IO',
    ok: c.c2 && c.sio ? perCpu >= 2 : undefined,
  });
  const loss = (r) => `${num(r.lost)} / ${num(r.reordered)}${r.droppedClients ? ` (${r.droppedClients} dropped)` : ''}`;
  const clean = (r) => r.lost === 0 && r.reordered === 0 && r.invalid === 0 && r.droppedClients === 0;
  const c2Clean = c.c2
    ? [c.c2, c.c2one].every((r) => r === undefined || (clean(r.fanout) && clean(r.latency)))
    : undefined;
  add('fan-out: lost / reordered (per sender)', (r) => loss(r.fanout), {
    target: '0 lost (c2)',
    ok: c.c2 ? clean(c.c2.fanout) : undefined,
  });
  const orders = (r) =>
    `${num(r.fanout.orders)} (${num(r.fanout.otherOrder)} of ${num(r.fanout.receivers)} receivers apart)`;
  const oneOrder = c.c2 ? c.c2.fanout.orders === 1 && c.c2.latency.orders === 1 : undefined;
  add('fan-out: orders seen by the receivers', orders, { target: 'one order (c2)', ok: oneOrder });
  add(
    'fan-out CPU: nodes / Redis / generator / machine',
    (r) =>
      `${pct(r.fanout.nodeCpu)} / ${pct(r.fanout.redisCpu)} / ${pct(r.fanout.generatorCpu)} / ${num(r.fanout.machineCores, 2)} cores`,
  );
  add(
    `latency across nodes, ${num(p.deliveriesPerSec)} deliveries / s offered: p50 / max (ms)`,
    (r) => `${num(r.latency.p50, 2)} / ${num(r.latency.max, 2)}`,
  );
  add('latency across nodes: p99 (ms)', (r) => num(r.latency.p99, 2), {
    ratio: one((r) => r.latency.p99, 2).replace(/^; /, ''),
    target: '≤ 25 ms (c2)',
    ok: c.c2 ? c.c2.latency.p99 <= 25 : undefined,
  });
  add('latency: deliveries / s achieved, lost', (r) => `${num(r.latency.deliveredPerSec)}, ${num(r.latency.lost)}`, {
    target: '0 lost (c2)',
    ok: c.c2 ? clean(c.c2.latency) : undefined,
  });
  add(
    'latency CPU: nodes / Redis / generator / machine',
    (r) =>
      `${pct(r.latency.nodeCpu)} / ${pct(r.latency.redisCpu)} / ${pct(r.latency.generatorCpu)} / ${num(r.latency.machineCores, 2)} cores`,
  );
  return { rows, targets, correctness: c2Clean !== false && oneOrder !== false };
}
