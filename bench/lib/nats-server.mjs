/**
 * The NATS peer: a `nats-server` process of its own (not the machine's service on 4222), on
 * a free loopback port, with its defaults (no JetStream, no authentication, logging to
 * standard error, which is kept for the error message if it fails). The load generator
 * speaks NATS's text protocol to it (see loadgen-worker.mjs).
 *
 * The binary is `C2_BENCH_NATS`, or `nats-server` found in /usr/sbin, /usr/local/bin,
 * /usr/bin or on the PATH.
 */
import net from 'node:net';
import { nowUs, sleep } from './clock.mjs';
import { External, findExecutable } from './procs.mjs';

/** The nats-server binary, or null when there is none. */
export function findNatsServer() {
  return findExecutable('C2_BENCH_NATS', 'nats-server', ['/usr/sbin', '/usr/local/bin', '/usr/bin']);
}

/** A TCP port nobody listens on right now (the server is started on it just after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves when a connection to the port gets NATS's `INFO {…}` greeting, false otherwise. */
function greets(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let got = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
      if (got.includes('\r\n')) done(got.startsWith('INFO {'));
    });
  });
}

/**
 * Starts nats-server on a free port and waits until it greets a client; an `External`
 * (stats from /proc, counting all its threads) with `.port`. Tried on a second port if
 * the first was taken in between.
 */
export async function startNatsServer(file, timeoutMs = 10_000) {
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = new External('nats server', file, ['-a', '127.0.0.1', '-p', String(port)], nowUs);
    const deadline = Date.now() + timeoutMs;
    while (server.exitCode === undefined && Date.now() < deadline) {
      if (await greets(port)) {
        server.port = port;
        return server;
      }
      await sleep(50);
    }
    lastError = server.stderr.trim();
    await server.stop();
  }
  throw new Error(`nats-server (${file}) did not start: ${lastError || 'no greeting'}`);
}
