import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployFile } from './deploy.js';
import { holdPort } from './ports.js';
import { stopProcess } from './process.js';

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

function pingable(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write(`${password === undefined ? '' : `AUTH ${password}\r\n`}PING\r\n`));
    socket.on('data', (data) => {
      answer += data.toString();
      if (!answer.includes('+PONG') && !answer.includes('-')) return;
      socket.destroy();
      resolve(answer.includes('+PONG') && !answer.includes('-'));
    });
  });
}

/** A first start that lost its port to another process (between holding it and redis binding it) tries another. */
const START_ATTEMPTS = 3;

/** `appendonly`: AOF on. `deployConfig`: run deploy/redis-c2.conf (docs/DEPLOY.md) as it is, its placeholders filled with this port, directory and password (AOF on). */
type RedisOptions = { appendonly?: boolean; deployConfig?: { password: string } };

export async function startTestRedis(options: RedisOptions = {}): Promise<TestRedis> {
  for (let attempt = 1; ; attempt++) {
    const held = await holdPort();
    try {
      return await startOn(held.port, () => held.release(), options);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === START_ATTEMPTS) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOn(port: number, release: () => Promise<void>, options: RedisOptions): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'c2-redis-'));
  let child: ChildProcess | undefined;
  const password = options.deployConfig?.password;
  const deployConfig = password === undefined ? undefined : { REDIS_PASSWORD: password };
  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--daemonize', 'no'];
    args.push('--appendonly', options.appendonly ? 'yes' : 'no');
    if (deployConfig !== undefined) {
      const values = { REDIS_BIND: '127.0.0.1', REDIS_PORT: String(port), REDIS_DIR: dir, ...deployConfig };
      writeFileSync(join(dir, 'c2.conf'), deployFile('redis-c2.conf', values));
      args.splice(0, args.length, join(dir, 'c2.conf'));
    }
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (said.length < 10_000) said += chunk.toString();
    });
    proc.stderr?.resume();
    child = proc;
    const deadline = Date.now() + 10_000;
    while (!(await pingable(port, password))) {
      if (proc.exitCode !== null) {
        const why = `redis-server exited (${proc.exitCode}) on port ${port}`;
        if (/Address already in use/i.test(said)) throw new PortTaken(why);
        throw new Error(`${why}: ${said.trim().split('\n').slice(-3).join(' / ')}`);
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    proc?.kill('SIGCONT'); // a frozen one, too
    child = undefined;
    await stopProcess(proc);
  };
  await release();
  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `redis://${password === undefined ? '' : `:${password}@`}127.0.0.1:${port}`,
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
