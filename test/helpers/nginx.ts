/**
 * Debian's nginx, run by a test with a configuration file of deploy/ (docs/DEPLOY.md), as an
 * unprivileged-style throwaway: its own prefix directory (pid, logs, temp files), `daemon
 * off`, on a port held for it. The deploy file is used as it is after its `@PLACEHOLDERS@`
 * are replaced — the only change — and is included in the http block of a minimal main
 * configuration, where Debian's /etc/nginx/nginx.conf would include sites-enabled/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployFile } from './deploy.js';
import { holdPort } from './ports.js';
import { stopProcess } from './process.js';
import { describeRequiring } from './requires.js';

export const NGINX = process.env.C2_NGINX ?? '/usr/sbin/nginx';
/** `describe`, or a visible skip when nginx is missing; with `C2_REQUIRE_E2E=1` a missing nginx fails. */
export function describeWithNginx(name: string, body: () => void): void {
  describeRequiring({ name: 'nginx', path: NGINX, install: 'apt-get install nginx', env: 'C2_NGINX' }, name, body);
}

export interface TestNginx {
  /** The port of the site's `@HTTPS_LISTEN@` (127.0.0.1). */
  readonly port: number;
  /** Other listen ports the site was given, by placeholder name. */
  readonly ports: Record<string, number>;
  /** nginx's error log so far. */
  errorLog(): string;
  /** SIGTERM (nginx's fast shutdown: open WebSockets are cut) and wait. */
  stop(): Promise<void>;
  /** Starts it again with the same configuration and ports. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
  });
}

/**
 * nginx with deploy/`site`: `values` fills the placeholders; each placeholder named in
 * `listen` (e.g. HTTPS_LISTEN) gets `127.0.0.1:<a held port>`.
 */
export async function startNginx(
  site: string,
  values: Record<string, string>,
  listen: string[] = ['HTTPS_LISTEN'],
): Promise<TestNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'c2-nginx-'));
  // As root, nginx's workers run as nobody: they must reach the temp directories below.
  chmodSync(dir, 0o755);
  const held = await Promise.all(listen.map(() => holdPort()));
  const ports: Record<string, number> = {};
  for (const [i, name] of listen.entries()) ports[name] = (held[i] as { port: number }).port;
  const listens = Object.fromEntries(Object.entries(ports).map(([k, p]) => [k, `127.0.0.1:${p}`]));
  writeFileSync(join(dir, 'site.conf'), deployFile(site, { ...values, ...listens }));
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log info;`,
      'events { worker_connections 1024; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      `  client_body_temp_path ${dir}/client_body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      `  include ${dir}/site.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const proc = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    proc.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    proc.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    child = proc;
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    const deadline = Date.now() + 10_000;
    const port = Object.values(ports)[0] as number;
    while (!(await accepting(port))) {
      if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${output.join('')}${errorLog()}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${errorLog()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    await stopProcess(proc);
  };
  await Promise.all(held.map((h) => h.release()));
  await launch();
  return {
    port: ports.HTTPS_LISTEN ?? (Object.values(ports)[0] as number),
    ports,
    errorLog,
    stop,
    start: launch,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// SIGTERM, not SIGKILL: the master then stops its workers (a killed master would orphan them).
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGTERM');
});
