import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdPort } from './ports.js';

/**
 * A `redis-server` of the test's own, on a port held for it (Debian's redis-server has no
 * `--port 0`), so a test can stop and restart it without touching the machine's shared
 * Redis at 6379. Without persistence unless `appendonly` (then its data directory survives
 * a restart, as a Redis with AOF would).
 */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** SIGTERM and wait (a clean stop). */
  stop(): Promise<void>;
  /** Starts it again on the same port (with the same data directory). */
  start(): Promise<void>;
  /** Sends it a signal (SIGSTOP freezes it, SIGCONT thaws it). */
  signal(signal: NodeJS.Signals): void;
  /** Stops it and removes its data directory (end of the test). */
  dispose(): Promise<void>;
}

function pingable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

export async function startTestRedis(options: { appendonly?: boolean } = {}): Promise<TestRedis> {
  const held = await holdPort();
  const port = held.port;
  const dir = mkdtempSync(join(tmpdir(), 'c2-redis-'));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--daemonize', 'no'];
    args.push('--appendonly', options.appendonly ? 'yes' : 'no');
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.resume();
    proc.stderr?.resume();
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await pingable(port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}) on port ${port}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    proc?.kill('SIGCONT'); // a frozen one, too
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  };
  await held.release();
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start: launch,
    signal(signal) {
      child?.kill(signal);
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
