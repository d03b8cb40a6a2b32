/**
 * The directory at internet scale (contract §12, issue 16): the real listing server (SQLite
 * file store, liveness off) holding 100,000 servers.
 *
 *   pages        GET /servers?…&limit=50 with notFull / notEmpty, in three orders, first
 *                pages and pages 50,000 entries deep, asked in turn on every connection;
 *                requests a second and p99 of a listing that keeps no answers (every
 *                request a query of the store; target ≥ 5,000 a second with p99 ≤ 10 ms),
 *                then of the default listing, which keeps answers per version (the same
 *                pages asked again: what every browser showing the directory does), plain
 *                and with a browser's Accept-Encoding (the pages then compressed)
 *   q pages      a q matching a few hundred servers, found through the trigram index
 *   worst q      a q that matches nothing and is too short for the trigram index: one walk
 *                of a whole index per request (reported, not a target)
 *   whole list   GET /servers with Accept-Encoding: gzip, deflate, br (the 11 MiB list in
 *                Brotli, made once) against the same compressed bytes served as a constant
 *                by a bare Fastify route (the ceiling), in alternating rounds; target
 *                ≥ 0.8× the ceiling. And the bytes on the wire: plain, gzip, br.
 *
 * The orchestrator (bench/run.mjs) passes its process helpers in `ctx`.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

export function directoryScaleParams(quick) {
  return {
    servers: 100_000,
    connections: 8,
    warmupS: 1,
    measureS: quick ? 1.5 : 3,
    rounds: quick ? 2 : 5,
  };
}

/** One GET, the body's bytes as sent (not decompressed) and the headers. */
function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`no answer to ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

const BROWSER = { 'accept-encoding': 'gzip, deflate, br' };

/** The filtered pages asked for: first pages of three queries, and pages deep in two walks. */
async function pagePaths(port) {
  const first = [
    '/servers?limit=50&sort=name&notFull=true',
    '/servers?limit=50&sort=-users&notFull=true',
    '/servers?limit=50&sort=users&notEmpty=true',
  ];
  const deep = [];
  for (const query of ['sort=name&notFull=true', 'sort=-users&notEmpty=true']) {
    // Walk 50,000 entries in pages of 1,000, then take the page of 50 after them.
    let cursor = null;
    for (let i = 0; i < 50; i++) {
      const res = await get(port, `/servers?${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      cursor = JSON.parse(res.body.toString('utf8')).next;
    }
    deep.push(`/servers?${query}&limit=50&cursor=${cursor}`);
  }
  return [...first, ...deep];
}

/**
 * Each path with the length of its answer: exact when plain; any when compressed (made per
 * request, and a page's `next` changes every hour, which may change its compressed length).
 */
async function withLengths(port, paths, headers) {
  const out = [];
  for (const path of paths) {
    const res = await get(port, path, headers);
    const compressed = res.headers['content-encoding'] !== undefined;
    const servers = compressed ? null : JSON.parse(res.body.toString('utf8')).servers.length;
    const empty = servers === 0 && !path.includes('q=zq');
    if (res.status !== 200 || empty || (headers['accept-encoding'] && !compressed)) {
      throw new Error(
        `${path}: ${res.status}, ${servers} servers, ${res.headers['content-encoding'] ?? 'not compressed'}`,
      );
    }
    out.push({ path, bytes: compressed ? null : res.body.length });
  }
  return out;
}

export async function directoryScale(ctx) {
  const { P, startServer, withProcesses, newLoader, machineCpu, machineCores, cpuShare, log, fmt, scratch } = ctx;
  const p = P['directory-scale'];
  return withProcesses(async (procs) => {
    const t0 = Date.now();
    const listing = await startServer('listing', { count: p.servers, dir: join(scratch, 'scale') }, 180_000);
    procs.push(listing);
    log(`  directory at scale: ${fmt(p.servers)} servers listed in ${fmt((Date.now() - t0) / 1000, 1)} s`);

    // The whole list, three ways.
    const plain = await get(listing.port, '/servers');
    const listed = JSON.parse(plain.body.toString('utf8')).servers.length;
    if (plain.status !== 200 || listed !== p.servers) throw new Error(`GET /servers answered ${listed} servers`);
    const gzip = await get(listing.port, '/servers', { 'accept-encoding': 'gzip' });
    const t1 = Date.now();
    const br = await get(listing.port, '/servers', BROWSER);
    const brFirstMs = Date.now() - t1;
    if (gzip.headers['content-encoding'] !== 'gzip' || br.headers['content-encoding'] !== 'br') {
      throw new Error('the whole list was not compressed as asked');
    }
    const result = {
      listed,
      plainBytes: plain.body.length,
      gzipBytes: gzip.body.length,
      brBytes: br.body.length,
      brFirstMs,
    };
    log(
      `  whole list: ${fmt(result.plainBytes)} bytes plain, ${fmt(result.gzipBytes)} gzip, ${fmt(result.brBytes)} br (the first br answer in ${fmt(brFirstMs)} ms)`,
    );

    const loader = newLoader();
    procs.push(loader);
    const run = (server, job, seconds) =>
      loader.call(
        'run',
        { port: server.port, connections: p.connections, seconds, expectStatus: 200, ...job },
        seconds * 1000 + 30_000,
      );
    const round = async (server, job) => {
      const c0 = machineCpu();
      const s0 = await server.call('stats');
      const r = await run(server, job, p.measureS);
      const s1 = await server.call('stats');
      const c1 = machineCpu();
      if (r.wrong > 0 || r.errors > 0 || r.total === 0) {
        throw new Error(
          `${server.name}: ${r.total} answers, ${r.wrong} not 200 with the right body (${JSON.stringify(r.statuses)}), ${r.errors} errors`,
        );
      }
      return { ...r, serverCpu: cpuShare(s0, s1), machineCores: machineCores(c0, c1) };
    };
    const median = (list) => {
      const sorted = [...list].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
      return { ...sorted[(sorted.length - 1) >> 1], rounds: list.map((r) => Math.round(r.requestsPerSec)) };
    };
    /** `server` alone: a warm-up, then its median round. */
    const measure = async (server, job) => {
      await run(server, job, p.warmupS);
      const rounds = [];
      for (let i = 0; i < p.rounds; i++) rounds.push(await round(server, job));
      return median(rounds);
    };
    const show = (what, r) =>
      log(
        `  ${what}: ${fmt(r.requestsPerSec)} req/s (median of ${r.rounds.map((n) => fmt(n)).join(', ')}), p99 ${fmt(r.p99, 2)} ms (CPU: server ${fmt(r.serverCpu * 100)} %, generator ${fmt(r.cpu * 100)} %, machine ${fmt(r.machineCores, 2)} cores)`,
      );

    // Filtered pages: every request a query (a second listing on the same database, keeping
    // no answers), then the default listing, which keeps them per version.
    const paths = await pagePaths(listing.port);
    result.pagePaths = paths;
    const plainPaths = await withLengths(listing.port, paths, {});
    const querying = await startServer('listing', { count: p.servers, dir: join(scratch, 'scale'), pageCacheBytes: 0 });
    procs.push(querying);
    result.pages = await measure(querying, { paths: plainPaths });
    show(`filtered pages, each a query (limit=50, ${paths.length} pages in turn)`, result.pages);
    const qPaths = ['/servers?limit=50&q=night%20owls%20%2342', '/servers?limit=50&sort=name&q=%2399999'];
    result.qPages = await measure(querying, { paths: await withLengths(querying.port, qPaths, {}) });
    show('q pages through the trigram index, each a query', result.qPages);
    const worst = '/servers?limit=50&q=zq';
    result.worstQ = await measure(querying, { paths: await withLengths(querying.port, [worst], {}) });
    show('worst q (no match, no trigram: one walk of an index)', result.worstQ);
    await querying.stop();
    result.pagesKept = await measure(listing, { paths: plainPaths });
    show('the same filtered pages, kept per version', result.pagesKept);
    result.pagesBr = await measure(listing, {
      paths: await withLengths(listing.port, paths, BROWSER),
      headers: BROWSER,
    });
    show('the same, compressed (br), kept per version', result.pagesBr);

    // The whole list in Brotli against the same bytes as a constant.
    const file = join(scratch, 'whole-list.br');
    writeFileSync(file, br.body);
    const ceiling = await startServer('fastify-constant', { file, encoding: 'br', etag: br.headers.etag });
    procs.push(ceiling);
    const check = await get(ceiling.port, '/servers', BROWSER);
    if (!check.body.equals(br.body)) throw new Error('the ceiling does not answer the same bytes');
    const whole = { path: '/servers', expectBytes: br.body.length, headers: BROWSER };
    await run(listing, whole, p.warmupS);
    await run(ceiling, whole, p.warmupS);
    const rounds = { listing: [], ceiling: [] };
    for (let i = 0; i < p.rounds; i++) {
      rounds.listing.push(await round(listing, whole));
      rounds.ceiling.push(await round(ceiling, whole));
    }
    result.whole = median(rounds.listing);
    result.wholeCeiling = median(rounds.ceiling);
    show('whole list, br: listing', result.whole);
    show('whole list, br: ceiling', result.wholeCeiling);
    return result;
  });
}

const num = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const pct = (x) => `${num(x * 100)} %`;

/** The scenario's rows of the table (bench/lib/table.mjs), and its targets. */
export function directoryScaleRows(results) {
  const d = results.directoryScale;
  if (!d) return { rows: [], targets: [] };
  const rows = [];
  const targets = [];
  let first = true;
  const add = (measure, value, extra = {}) => {
    rows.push([
      first ? `directory: ${num(d.listed)} servers (${num(d.plainBytes / 2 ** 20, 1)} MiB)` : '',
      measure,
      value,
      '–',
      '–',
      extra.ceiling ?? '–',
      extra.ratio ?? '',
      extra.target ?? '',
      extra.ok === undefined ? '' : extra.ok ? 'yes' : '**NO**',
    ]);
    if (extra.ok !== undefined) targets.push({ what: `directory at scale ${measure}`, ok: extra.ok });
    first = false;
  };
  const cpu = (r) => `${pct(r.serverCpu)} / ${pct(r.cpu)} / ${num(r.machineCores, 2)} cores`;
  add('filtered page (limit=50), each a query: requests / s', num(d.pages.requestsPerSec), {
    target: '≥ 5,000',
    ok: d.pages.requestsPerSec >= 5000,
  });
  add('filtered page, each a query: p99 (ms)', num(d.pages.p99, 2), { target: '≤ 10 ms', ok: d.pages.p99 <= 10 });
  add('CPU, pages each a query: server / generator / machine', cpu(d.pages));
  const both = (r) => `${num(r.requestsPerSec)}, ${num(r.p99, 2)}`;
  add('filtered page, kept per version: requests / s, p99 (ms)', both(d.pagesKept));
  add('the same, br: requests / s, p99 (ms)', both(d.pagesBr));
  add('q page (trigram index), each a query: requests / s, p99 (ms)', both(d.qPages));
  add('worst q (one index walk): requests / s, p99 (ms)', both(d.worstQ));
  const ratio = d.whole.requestsPerSec / d.wholeCeiling.requestsPerSec;
  add('whole list, br: requests / s', num(d.whole.requestsPerSec), {
    ceiling: num(d.wholeCeiling.requestsPerSec),
    ratio: `${num(ratio, 2)}× ceiling`,
    target: '≥ 0.8× ceiling',
    ok: ratio >= 0.8,
  });
  add('whole list, br: p99 (ms)', num(d.whole.p99, 1), { ceiling: num(d.wholeCeiling.p99, 1) });
  add('CPU, whole list: server / generator / machine', cpu(d.whole), { ceiling: cpu(d.wholeCeiling) });
  add(
    'whole list on the wire: plain / gzip / br (bytes)',
    `${num(d.plainBytes)} / ${num(d.gzipBytes)} / ${num(d.brBytes)}`,
    { ratio: `br ${num(d.plainBytes / d.brBytes, 1)}× smaller` },
  );
  return { rows, targets };
}
