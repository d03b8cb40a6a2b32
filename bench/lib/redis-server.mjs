/**
 * A `redis-server` of the bench's own (not the machine's service on 6379), on a free loopback
 * port, without persistence (`--save '' --appendonly no`): the store of one cluster under
 * test. Its CPU is read from /proc like any server's (an `External`).
 *
 * The binary is `C2_BENCH_REDIS`, or `redis-server` found in /usr/bin, /usr/local/bin,
 * /usr/sbin or on the PATH.
 */
import net from 'node:net';
import { tmpdir } from 'node:os';
import { nowUs, sleep } from './clock.mjs';
import { freePort } from './nats-server.mjs';
import { External, findExecutable } from './procs.mjs';

/** The redis-server binary, or null when there is none. */
export function findRedisServer() {
  return findExecutable('C2_BENCH_REDIS', 'redis-server', ['/usr/bin', '/usr/local/bin', '/usr/sbin']);
}

/** Whether the port answers PING with +PONG. */
function pongs(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => done(chunk.toString('latin1').startsWith('+PONG')));
  });
}

/**
 * Starts redis-server on a free port and waits until it answers PING; an `External` with
 * `.port` and `.url`. Tried on another port if the first was taken in between.
 */
export async function startRedisServer(file, timeoutMs = 10_000) {
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    argv.push('--dir', tmpdir(), '--daemonize', 'no', '--loglevel', 'warning');
    const server = new External('redis server', file, argv, nowUs);
    const deadline = Date.now() + timeoutMs;
    while (server.exitCode === undefined && Date.now() < deadline) {
      if (await pongs(port)) {
        server.port = port;
        server.url = `redis://127.0.0.1:${port}`;
        return server;
      }
      await sleep(50);
    }
    lastError = server.stderr.trim();
    await server.stop();
  }
  throw new Error(`redis-server (${file}) did not start: ${lastError || 'no answer to PING'}`);
}
