/**
 * The orchestrator side: forks bench processes, talks to them by request/response over
 * IPC, and makes sure every one of them is gone when the run ends, however it ends.
 */
import { fork } from 'node:child_process';

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
    this.proc = fork(script, [JSON.stringify(args)], {
      execArgv,
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

/** Kills every child still running (also done on exit and on signals). */
export function killAllChildren() {
  killAll();
}
