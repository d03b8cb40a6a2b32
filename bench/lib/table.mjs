/**
 * The one table of the run: figures side by side, ratios from the same run, the targets of
 * issues 7 and 17 and whether each is met. Printed as Markdown, so it can go into
 * BENCHMARKS.md. Message and connection figures are each server's median round.
 */

const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const pct = (x) => (Number.isFinite(x) ? `${fmt(x * 100)} %` : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);
const times = (r) => (Number.isFinite(r) ? `${fmt(r, 2)}×` : '–');
const mark = (ok) => (ok === undefined ? '' : ok ? 'yes' : '**NO**');

export function printTable(results, { serverKinds, params, extra = [] }) {
  const rows = [];
  const verdict = { targets: [], correctness: true };
  const cell = (scenario, kind, get) => {
    const r = results[scenario]?.[kind];
    return r === undefined ? '–' : get(r);
  };
  let key = '';
  const row = (scenario, measure, get, extra = {}) => {
    rows.push([
      scenario,
      measure,
      cell(key, 'c2', get),
      serverKinds.includes('ws') ? cell(key, 'ws', get) : '–',
      serverKinds.includes('sio') ? cell(key, 'sio', get) : '–',
      serverKinds.includes('nats') ? cell(key, 'nats', get) : '–',
      extra.ceiling ?? '–',
      extra.ratio ?? '',
      extra.target ?? '',
      mark(extra.ok),
    ]);
    if (extra.ok !== undefined) verdict.targets.push({ what: `${scenario} ${measure}`, ok: extra.ok });
  };
  const lossCell = (r) =>
    `${fmt(r.lost)} / ${fmt(r.reordered)}${r.droppedClients ? ` (${r.droppedClients} dropped)` : ''}`;
  const cores = (n) => `${fmt(n, 2)} cores`;
  const cpuCell = (r) => `${pct(r.serverCpu)} / ${pct(r.generatorCpu)} / ${cores(r.machineCores)}`;
  const clean = (r) => r.lost === 0 && r.reordered === 0 && r.invalid === 0 && r.droppedClients === 0;
  const everyClean = (scenario) => {
    const rs = Object.values(results[scenario] ?? {});
    return rs.length > 0 && rs.every(clean);
  };

  // fan-out
  const f = results.fanout;
  if (Object.keys(f).length > 0) {
    key = 'fanout';
    const p = params.fanout;
    const name = `fan-out: ${fmt(p.clients)} clients, ${p.senders} senders, 30-byte messages (median of ${p.rounds} rounds)`;
    const vs = (field, kind) => ratio(f.c2?.[field], f[kind]?.[field]);
    const vsWs = vs('deliveriesPerSec', 'ws');
    const vsSio = vs('deliveriesPerSec', 'sio');
    const fanOk = f.c2 && f.ws && f.sio ? vsWs >= 2 && vsSio >= 1.5 : undefined;
    row(name, 'deliveries / s', (r) => fmt(r.deliveriesPerSec), {
      ratio: `${times(vsWs)} ws, ${times(vsSio)} Socket.IO${f.nats ? `, ${times(vs('deliveriesPerSec', 'nats'))} NATS` : ''}`,
      target: '≥ 2× ws, ≥ 1.5× Socket.IO',
      ok: fanOk,
    });
    const perCpuNats = vs('perServerCpuSecond', 'nats');
    row('', 'deliveries / server CPU-second', (r) => fmt(r.perServerCpuSecond), {
      ratio: `${times(vs('perServerCpuSecond', 'ws'))} ws, ${times(vs('perServerCpuSecond', 'sio'))} Socket.IO, ${times(perCpuNats)} NATS`,
      target: '≥ 1.0× NATS',
      ok: f.c2 && f.nats ? perCpuNats >= 1 : undefined,
    });
    const ok = everyClean('fanout');
    if (!ok) verdict.correctness = false;
    row('', 'lost / reordered', lossCell, { target: '0 lost', ok });
    row('', 'CPU: server / generator / machine', cpuCell);
  }

  // latency
  const l = results.latency;
  if (Object.keys(l).length > 0) {
    key = 'latency';
    const p = params.latency;
    const name = `latency: ${fmt(p.clients)} clients, ${fmt(p.deliveriesPerSec)} deliveries / s offered (median of ${p.rounds} rounds)`;
    row(name, 'p50 (ms)', (r) => fmt(r.p50, 2));
    row('', 'p99 (ms)', (r) => fmt(r.p99, 2), {
      target: '≤ 20 ms (c2)',
      ok: l.c2 ? l.c2.p99 <= 20 : undefined,
    });
    row('', 'max (ms)', (r) => fmt(r.max, 2));
    row('', 'deliveries / s achieved', (r) => fmt(r.deliveredPerSec));
    const ok = everyClean('latency');
    if (!ok) verdict.correctness = false;
    row('', 'lost / reordered', lossCell, { target: '0 lost', ok });
    row('', 'CPU: server / generator / machine', cpuCell);
  }

  // connections
  const c = results.connections;
  if (Object.keys(c).length > 0) {
    key = 'connections';
    const p = params.connections;
    const name = `connections: ${fmt(p.clients)} idle users (median of ${p.rounds} rounds)`;
    // The targets are for 10,000 users; with fewer (--quick), fixed costs dominate the
    // per-connection figure, so it is shown but not judged.
    const full = p.clients >= 10_000;
    row(name, 'held', (r) => `${fmt(r.held)}${r.timedOut ? ` (cut off at ${p.deadlineS} s)` : ''}`, {
      target: full ? fmt(p.clients) : '10,000 (full run)',
      ok: c.c2 && full ? c.c2.held === p.clients && c.c2.droppedClients === 0 : undefined,
    });
    row('', 'server RSS per connection (KiB)', (r) => fmt(r.rssPerConn / 1024, 1), {
      ratio:
        c.c2 && c.ws && c.sio
          ? `${times(c.c2.rssPerConn / c.ws.rssPerConn)} ws, ${times(c.c2.rssPerConn / c.sio.rssPerConn)} Socket.IO`
          : '',
      target: full ? '≤ 8 KiB (c2)' : '≤ 8 KiB at 10,000 (full run)',
      ok: c.c2 && full ? c.c2.rssPerConn <= 8 * 1024 : undefined,
    });
    row('', 'JS heap + external per connection (KiB)', (r) => fmt(r.heapPerConn / 1024, 1));
    row(
      '',
      'time for all to CONNECT, join notices on (s)',
      (r) => (r.timedOut ? `> ${p.deadlineS}` : fmt(r.connectSeconds, 2)),
      {
        target: p.clients === 10_000 ? '≤ 4 s (c2)' : '≤ 4 s at 10,000 (full run)',
        ok: c.c2 && p.clients === 10_000 ? !c.c2.timedOut && c.c2.connectSeconds <= 4 : undefined,
      },
    );
    row(
      '',
      'a broadcast to all of them: p50 / last delivery (ms)',
      (r) =>
        `${fmt(r.broadcastP50Ms, 1)} / ${fmt(r.broadcastMs, 1)}${r.broadcastMissing > 0 ? ` (${fmt(r.broadcastMissing)} missing)` : ''}`,
      {
        target: '≤ 1,000 ms (c2)',
        ok: c.c2 ? c.c2.broadcastMs <= 1000 && c.c2.broadcastMissing === 0 : undefined,
      },
    );
    row(
      '',
      'CPU while connecting: server / generator / machine',
      (r) => `${pct(r.connectServerCpu)} / ${pct(r.connectGeneratorCpu)} / ${cores(r.machineCores)}`,
    );
  }

  // directory
  const d = results.directory;
  if (d) {
    const name = `directory: GET /servers, ${fmt(d.listed)} servers (${fmt(d.bodyBytes / 1024, 1)} KiB)`;
    let first = true;
    const dir = (measure, get, ceilingGet, extra = {}) => {
      rows.push([
        first ? name : '',
        measure,
        get(d),
        '–',
        '–',
        '–',
        ceilingGet(d),
        extra.ratio ?? '',
        extra.target ?? '',
        mark(extra.ok),
      ]);
      first = false;
    };
    const r200 = ratio(d.listing.requestsPerSec, d.ceiling.requestsPerSec);
    const r304 = ratio(d.listing304.requestsPerSec, d.ceiling304.requestsPerSec);
    dir(
      'requests / s (200)',
      (x) => fmt(x.listing.requestsPerSec),
      (x) => fmt(x.ceiling.requestsPerSec),
      { ratio: `${times(r200)} ceiling`, target: '≥ 0.8× ceiling', ok: r200 >= 0.8 },
    );
    verdict.targets.push({ what: 'directory requests / s (200)', ok: r200 >= 0.8 });
    dir(
      'p99 (ms, 200)',
      (x) => fmt(x.listing.p99, 1),
      (x) => fmt(x.ceiling.p99, 1),
    );
    dir(
      'requests / s (ETag → 304)',
      (x) => fmt(x.listing304.requestsPerSec),
      (x) => fmt(x.ceiling304.requestsPerSec),
      { ratio: `${times(r304)} ceiling`, target: '≥ 0.8× ceiling', ok: r304 >= 0.8 },
    );
    verdict.targets.push({ what: 'directory requests / s (304)', ok: r304 >= 0.8 });
    dir(
      'p99 (ms, 304)',
      (x) => fmt(x.listing304.p99, 1),
      (x) => fmt(x.ceiling304.p99, 1),
    );
    const httpCpu = (r) => `${pct(r.serverCpu)} / ${pct(r.cpu)} / ${cores(r.machineCores)}`;
    dir(
      'CPU, 200: server / generator / machine',
      (x) => httpCpu(x.listing),
      (x) => httpCpu(x.ceiling),
    );
    dir(
      'CPU, 304: server / generator / machine',
      (x) => httpCpu(x.listing304),
      (x) => httpCpu(x.ceiling304),
    );
  }

  // Scenarios kept in their own files (bench/scenarios/) add their rows and targets.
  for (const extraRows of extra) {
    const added = extraRows(results, params);
    rows.push(...added.rows);
    verdict.targets.push(...added.targets);
    if (added.correctness === false) verdict.correctness = false;
  }

  const header = [
    'Scenario',
    'Measure',
    'c2',
    'naive ws',
    'Socket.IO',
    'NATS',
    'ceiling',
    'Ratio (c2 ÷ peer)',
    'Target',
    'Met',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  process.stdout.write(`\n${out.join('\n')}\n\n`);
  const met = verdict.targets.filter((t) => t.ok).length;
  process.stdout.write(
    `targets met: ${met} of ${verdict.targets.length}${verdict.correctness ? '' : ' — FRAMES LOST, REORDERED OR CLIENTS DROPPED'}\n`,
  );
  return verdict;
}
