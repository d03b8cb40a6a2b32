/**
 * The orchestrator side: forks bench processes, talks to them by request/response over
 * IPC, and makes sure every one of them is gone when the run ends, however it ends. Every
 * process is started through `/bin/sh`, which raises its soft limit of open files to the hard
 * limit and then `exec`s it (same pid): a scenario with tens of thousands of sockets needs
 * more than the usual soft limit of 1,024.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `sh -c` script: raise the soft limit of open files to the hard limit, then exec "$0" "$@". */
const RAISE_NOFILE = 'ulimit -S -n "$(ulimit -H -n)" 2>/dev/null; exec "$0" "$@"';

/** The hard limit of open files of the processes the bench starts (Infinity if unlimited). */
export function openFilesLimit() {
  try {
    const out = execFileSync('/bin/sh', ['-c', 'ulimit -H -n'], { encoding: 'latin1' }).trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  } catch {
    return Number.NaN;
  }
}

const live = new Set();

function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

export class Child {
  constructor(name, script, args = {}, execArgv = []) {
    this.name = name;
    // What fork() does (an IPC channel on fd 3, named to the child in its environment),
    // with the shell in between to raise the limit of open files.
    this.proc = spawn('/bin/sh', ['-c', RAISE_NOFILE, process.execPath, ...execArgv, script, JSON.stringify(args)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.pid = this.proc.pid;
    live.add(this.proc);
    this.nextId = 1;
    this.pending = new Map();
    this.waiters = new Map();
    this.events = new Map();
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        live.delete(this.proc);
        this.exitCode = code ?? signal;
        const error = new Error(`${this.name} exited (${code ?? signal}) with a request pending`);
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        for (const { reject } of this.waiters.values()) reject(new Error(`${this.name} exited (${code ?? signal})`));
        this.waiters.clear();
        resolve(code ?? signal);
      });
    });
    this.proc.on('message', (message) => {
      if (message.re !== undefined) {
        const pending = this.pending.get(message.re);
        if (pending === undefined) return;
        this.pending.delete(message.re);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new Error(`${this.name}: ${message.error}`));
      } else if (message.event !== undefined) {
        const waiter = this.waiters.get(message.event);
        if (waiter) {
          this.waiters.delete(message.event);
          clearTimeout(waiter.timer);
          waiter.resolve(message);
        } else {
          this.events.set(message.event, message);
        }
      }
    });
  }

  /** Sends a request; rejects after `timeoutMs`. */
  call(cmd, args = {}, timeoutMs = 30_000) {
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Waits for an event the child emits (`ready`, …). */
  waitFor(event, timeoutMs = 30_000) {
    const seen = this.events.get(event);
    if (seen) {
      this.events.delete(event);
      return Promise.resolve(seen);
    }
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(event);
        reject(new Error(`${this.name}: no "${event}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(event, { resolve, reject, timer });
    });
  }

  /** Asks the child to exit (so a --cpu-prof profile gets written), then kills it. */
  async stop(graceMs = 5000) {
    if (this.exitCode !== undefined) return;
    this.call('exit', {}, graceMs).catch(() => {});
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Clock ticks a second of /proc/<pid>/stat's CPU times. */
let clockTicks = 0;
function ticksPerSecond() {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'latin1' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU time (µs, user + system, all threads) and resident memory of any process, from
 * /proc/<pid>/stat and /proc/<pid>/status (Linux): what `processStats` reports for the
 * bench's own Node processes (`process.cpuUsage()` also counts every thread).
 */
export function procStats(pid, nowUs) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name (which may hold spaces and parentheses): state is field 3,
  // utime 14 and stime 15, in clock ticks.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond();
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? Number.NaN);
  return { t: nowUs(), cpu, mem: { rss: rssKiB * 1024, heapUsed: Number.NaN, external: Number.NaN } };
}

/**
 * A server under test that is not a Node process of the bench (nats-server): started with
 * its own command line, stopped with SIGTERM (then SIGKILL), and answering the same
 * `stats` / `gc` calls as a `Child`, from /proc.
 */
export class External {
  constructor(name, file, argv, nowUs) {
    this.name = name;
    this.nowUs = nowUs;
    this.proc = spawn('/bin/sh', ['-c', RAISE_NOFILE, file, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.pid = this.proc.pid;
    live.add(this.proc);
    /** The end of its standard error, for the error message if it fails. */
    this.stderr = '';
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-4096);
    });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        live.delete(this.proc);
        this.exitCode = code ?? signal;
        resolve(code ?? signal);
      });
    });
    this.proc.once('error', (err) => {
      this.stderr += `\n${err.message}`;
    });
  }

  async call(cmd) {
    if (this.exitCode !== undefined) throw new Error(`${this.name} has exited (${this.exitCode}): ${this.stderr}`);
    if (cmd === 'stats' || cmd === 'gc') return procStats(this.pid, this.nowUs);
    throw new Error(`${this.name}: no command ${cmd}`);
  }

  async stop(graceMs = 5000) {
    if (this.exitCode !== undefined) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * An executable the bench starts (nats-server, redis-server): the path in the environment
 * variable `envVar` when set, else `name` found in `dirs` or on the PATH; null when none.
 */
export function findExecutable(envVar, name, dirs) {
  const candidates = process.env[envVar]
    ? [process.env[envVar]]
    : [...dirs, ...(process.env.PATH ?? '').split(delimiter)].filter(Boolean).map((dir) => join(dir, name));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there
    }
  }
  return null;
}

/** Kills every child still running (also done on exit and on signals). */
export function killAllChildren() {
  killAll();
}
