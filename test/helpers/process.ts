import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const C2_BIN = fileURLToPath(new URL('../../bin/c2.js', import.meta.url));

export interface C2Process {
  proc: ChildProcess;
  /** Every stdout line so far. */
  stdout: string[];
  stderr: string[];
  /** Waits for a stdout line matching `pattern` (bounded). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name), bounded. */
  exited(timeoutMs?: number): Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `node bin/c2.js …args` as a real process, with JSON logs. Killed when the test file
 * ends. `fileLimit` runs it under `ulimit -n` (through `sh`, which then execs node).
 */
export function runC2(args: string[], env: Record<string, string> = {}, fileLimit?: number): C2Process {
  const [command, argv] =
    fileLimit === undefined
      ? [process.execPath, [C2_BIN, ...args]]
      : ['sh', ['-c', `ulimit -n ${fileLimit} && exec "$0" "$@"`, process.execPath, C2_BIN, ...args]];
  return runCommand(command, argv, { ...process.env, C2_LOG_FORMAT: 'json', ...env });
}

/**
 * Runs `command …argv` with exactly the environment `env` (nothing inherited), as runC2
 * does: lines collected, killed when the test file ends. For a command line written
 * elsewhere (a systemd unit's ExecStart).
 */
export function runCommand(command: string, argv: string[], env: NodeJS.ProcessEnv): C2Process {
  const proc = spawn(command, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let listeners: Array<() => void> = [];
  const collect = (into: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      into.push(...lines);
      for (const l of listeners) l();
    };
  };
  proc.stdout?.on('data', collect(stdout));
  proc.stderr?.on('data', collect(stderr));
  const exit = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => {
      for (const l of listeners) l();
      resolve(code ?? signal ?? -1);
    });
  });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  return {
    proc,
    stdout,
    stderr,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = stdout.find((l) => pattern.test(l));
          if (line !== undefined) {
            done();
            resolve(line);
          } else if (proc.exitCode !== null) {
            done();
            reject(new Error(`process exited (${proc.exitCode}) before ${pattern}: ${stderr.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${stdout.join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners = listeners.filter((l) => l !== check);
        };
        listeners.push(check);
        check();
      });
    },
    exited(timeoutMs = 10_000) {
      return Promise.race([
        exit,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('process did not exit')), timeoutMs)),
      ]);
    },
    kill(signal = 'SIGTERM') {
      proc.kill(signal);
    },
  };
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** The `url` field of the JSON "listening on …" log line. */
export function listeningUrl(line: string): string {
  return (JSON.parse(line) as { url: string }).url;
}

export interface StartedC2 {
  proc: C2Process;
  /** The URL of its ready line ("listening on …"). */
  url: string;
  port: number;
}

/**
 * Starts `c2 …args` (a server or a listing) and waits for its ready line (see whenReady).
 * `procs` collects the process for the test's clean-up.
 */
export async function startC2(
  args: string[],
  options: { env?: Record<string, string>; procs?: C2Process[]; ready?: RegExp; timeoutMs?: number } = {},
): Promise<StartedC2> {
  const proc = runC2(args, options.env);
  options.procs?.push(proc);
  return whenReady(proc, options.ready, options.timeoutMs);
}

/** Waits for a process's ready line; rejects with its stderr when it exits or stays silent first. */
export async function whenReady(proc: C2Process, ready = /listening on/, timeoutMs = 20_000): Promise<StartedC2> {
  try {
    const url = listeningUrl(await proc.waitFor(ready, timeoutMs));
    return { proc, url, port: Number(new URL(url).port) };
  } catch (err) {
    throw new Error(`${(err as Error).message}; stderr: ${proc.stderr.join('\n')}`);
  }
}

/** The c2 processes of one test file: run or started through it, killed together by `killAll`. */
export class C2Processes {
  readonly all: C2Process[] = [];

  /** `c2 …args`, not waited for. */
  run(args: string[], env?: Record<string, string>): C2Process {
    const proc = runC2(args, env);
    this.all.push(proc);
    return proc;
  }

  /** `c2 …args`, once its ready line is out (see startC2). */
  start(args: string[], options: { env?: Record<string, string>; ready?: RegExp; timeoutMs?: number } = {}) {
    return startC2(args, { ...options, procs: this.all });
  }

  /** SIGKILL to every process still running (for afterEach or afterAll). */
  killAll(): void {
    for (const p of this.all.splice(0)) p.kill('SIGKILL');
  }
}

/**
 * SIGTERM to a child process and its exit awaited; SIGKILL if it is still there after
 * `killAfterMs`. Nothing to do when it is undefined or has exited.
 */
export async function stopProcess(proc: ChildProcess | undefined, killAfterMs = 5000): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
