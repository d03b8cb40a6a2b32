#!/usr/bin/env node
/**
 * The attack of issue 13 item 3, bounded and on loopback only: a caller holding a valid key
 * sends `PUT /servers/<id>` with a new `address` in a loop, so that every request makes the
 * listing dial. Prints what it cost the listing and another caller.
 *
 *   node bench/listing-dial-flood.mjs [--root DIR] [--seconds 15] [--concurrency 256] [--targets 16]
 *                                     [--mode silent|reset] [--rate N]
 *
 * --root is a checkout with `bin/c2.js` and a built `dist/` (default: this one), so an older
 * build can be measured with the same attack. The listing runs as its own process
 * (`c2 listing --allow-private-addresses --db :memory: --port 0`) with its default limits.
 *
 * - a fake c2 server on 127.0.0.1 answers the listing's ping as server 1, so POST gives a key;
 * - `--targets` TCP listeners on 127.0.0.1 accept the listing's dials and never answer
 *   (`--mode silent`: each dial holds a descriptor until the ping's 5 s run out) or reset them
 *   at once (`--mode reset`: as many dials a second as the listing can make); each counts its
 *   connections (the dials made); the attacker's PUTs name them in turn, so no PUT names the
 *   entry's current address;
 * - the attacker (a child process) runs for `--seconds`: `--concurrency` requests in flight,
 *   each sent when the last one is answered, or with `--rate N`, N requests a second offered
 *   whatever the answers (at most `--concurrency` in flight), so that two builds meet the same
 *   load;
 * - meanwhile another address (127.0.0.2) reads `GET /servers` every 100 ms, and the
 *   listing's descriptors and RSS are sampled from /proc every 100 ms.
 */
import { fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const here = dirname(fileURLToPath(import.meta.url));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

function http(base, path, { method = 'GET', headers = {}, body, localAddress } = {}) {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, base),
      {
        method,
        agent: false,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(localAddress ? { localAddress } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolvePromise({ status: res.statusCode, text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

// ---- the attacker (child process) --------------------------------------------------------

async function attacker({ url, key, id, seconds, concurrency, targets, mode, rate }) {
  const sockets = new Set();
  let dials = 0;
  const listeners = await Promise.all(
    Array.from(
      { length: targets },
      () =>
        new Promise((done) => {
          const server = createServer((socket) => {
            dials++;
            socket.on('error', () => {});
            if (mode === 'reset') return void socket.resetAndDestroy();
            sockets.add(socket);
            socket.on('close', () => sockets.delete(socket));
          });
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = listeners.map((s) => s.address().port);
  const statuses = {};
  let next = 0;
  const deadline = Date.now() + seconds * 1000;
  const one = async () => {
    const port = ports[next++ % ports.length];
    try {
      const res = await http(url, `/servers/${id}`, {
        method: 'PUT',
        headers: { authorization: `C2Listing ${key}` },
        body: { address: `127.0.0.1:${port}` },
      });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    } catch (err) {
      statuses[err.code ?? err.message] = (statuses[err.code ?? err.message] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  if (rate > 0) {
    // Open loop: `rate` requests a second are offered whatever the answers, at most
    // `concurrency` in flight (a request that would exceed it is not sent).
    let inFlight = 0;
    const all = [];
    let skipped = 0;
    const started = Date.now();
    let sent = 0;
    while (Date.now() < deadline) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        if (inFlight >= concurrency) {
          skipped++;
          continue;
        }
        inFlight++;
        all.push(one().finally(() => inFlight--));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(all);
    if (skipped > 0) statuses['not sent (concurrency cap)'] = skipped;
  } else {
    const loop = async () => {
      while (Date.now() < deadline) await one();
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
  }
  for (const s of sockets) s.destroy();
  await Promise.all(listeners.map((s) => new Promise((r) => s.close(r))));
  return { dials, statuses };
}

if (process.argv[2] === '--attacker') {
  const result = await attacker(JSON.parse(process.argv[3]));
  process.send(result, () => process.exit(0));
} else {
  await main();
}

// ---- the orchestrator ----------------------------------------------------------------------

async function main() {
  const root = resolve(option('root', join(here, '..')));
  const seconds = Number(option('seconds', '15'));
  const concurrency = Number(option('concurrency', '256'));
  const targets = Number(option('targets', '16'));
  const mode = option('mode', 'silent');
  const rate = Number(option('rate', '0'));
  const id = 1;

  // A fake c2 server answering as server 1.
  const c2 = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => c2.once('listening', r));
  c2.on('connection', (ws) =>
    ws.on('message', (data) => {
      const m = /^c2\/PING ([0-9]+)$/.exec(String(data));
      if (m) ws.send(`c2/PING ${m[1]}; ${id}`);
    }),
  );
  const c2Address = `127.0.0.1:${c2.address().port}`;

  const listing = spawn(
    process.execPath,
    [
      join(root, 'bin', 'c2.js'),
      'listing',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      ':memory:',
      '--allow-private-addresses',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, C2_LOG_FORMAT: 'json', C2_LOG_LEVEL: 'info' } },
  );
  const stop = () => listing.kill('SIGKILL');
  process.on('exit', stop);
  const url = await new Promise((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`the listing did not start: ${out}`)), 15_000);
    const onData = (d) => {
      out += d;
      const m = /listening on (http:\/\/[0-9.]+:[0-9]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        listing.stdout.off('data', onData);
        listing.stdout.resume(); // the rest of the log is drained, unread
        done(m[1]);
      }
    };
    listing.stdout.on('data', onData);
  });
  const pid = listing.pid;
  const fds = () => readdirSync(`/proc/${pid}/fd`).length;
  const cpuS = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
  };
  const rssMb = () => Number(/VmRSS:\s+([0-9]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

  const posted = await http(url, `/servers/${id}`, { method: 'POST', body: { address: c2Address } });
  if (posted.status !== 201) throw new Error(`POST answered ${posted.status}: ${posted.text}`);
  const key = posted.text;

  const before = { fds: fds(), rss: rssMb(), cpu: cpuS() };
  const samples = { fds: before.fds, rss: before.rss };
  const sampler = setInterval(() => {
    try {
      samples.fds = Math.max(samples.fds, fds());
      samples.rss = Math.max(samples.rss, rssMb());
    } catch {
      // the listing is gone
    }
  }, 100);

  const child = fork(
    fileURLToPath(import.meta.url),
    ['--attacker', JSON.stringify({ url, key, id, seconds, concurrency, targets, mode, rate })],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const attack = new Promise((done) => child.once('message', done));

  const latencies = [];
  let failures = 0;
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    const t0 = performance.now();
    try {
      const res = await http(url, '/servers', { localAddress: '127.0.0.2' });
      if (res.status !== 200) failures++;
      latencies.push(performance.now() - t0);
    } catch {
      failures++;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = await attack;
  clearInterval(sampler);
  const cpuUsed = cpuS() - before.cpu;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
  const report = {
    root,
    seconds,
    concurrency,
    mode,
    rate,
    dialsMade: result.dials,
    putAnswers: result.statuses,
    listingFds: { before: before.fds, max: samples.fds },
    listingRssMb: { before: Math.round(before.rss), max: Math.round(samples.rss) },
    listingCpuSeconds: Math.round(cpuUsed * 10) / 10,
    otherAddressGetServersMs: {
      requests: latencies.length,
      failed: failures,
      p50: Math.round(pct(50) * 10) / 10,
      p99: Math.round(pct(99) * 10) / 10,
      max: Math.round((latencies.at(-1) ?? Number.NaN) * 10) / 10,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  stop();
  c2.close();
  process.exit(0);
}
