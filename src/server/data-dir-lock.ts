import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** The file whose lock is held (an empty SQLite database) and the file naming its holder. */
export const LOCK_FILE = 'server.lock';
export const PID_FILE = 'server.pid';

/** How long a process that lost the race waits for the winner to write its pid. */
const PID_WAIT_MS = 1000;

/** Refused because another process holds the data directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
  ) {
    super(
      `the data directory ${dir} is in use by another c2 server (${pid === undefined ? 'process unknown' : `process ${pid}`}): one server per data directory`,
    );
    this.name = 'DataDirInUseError';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the holder file, when it names a live process other than this one. */
function readHolder(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, PID_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/**
 * An exclusive lock on a chat server's data directory, so two servers never share one
 * (docs/SECURITY.md). The lock is SQLite's own on `<dir>/server.lock`, taken in EXCLUSIVE
 * locking mode and never given back while the connection is open: a POSIX record lock, which
 * the operating system drops when the process dies, so a `kill -9` leaves no stale lock to
 * clear by hand. `<dir>/server.pid` names the holder, for the refusal's message only.
 */
export class DataDirLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly dir: string,
  ) {}

  /** Takes the lock on `dir` (which must exist), or throws DataDirInUseError at once. */
  static acquire(dir: string): DataDirLock {
    const absolute = resolve(dir);
    const db = new Database(join(absolute, LOCK_FILE));
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      // The first write in EXCLUSIVE locking mode takes the exclusive lock and keeps it.
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      // The holder writes its pid right after it wins: give it a moment.
      let pid = readHolder(absolute);
      for (let waited = 0; pid === undefined && waited < PID_WAIT_MS; waited += 50) {
        sleepSync(50);
        pid = readHolder(absolute);
      }
      throw new DataDirInUseError(absolute, pid);
    }
    writeFileSync(join(absolute, PID_FILE), `${process.pid}\n`);
    return new DataDirLock(db, absolute);
  }

  /** Gives the lock back (the pid file goes first, while the lock still guards it). */
  release(): void {
    if (!this.db.open) return;
    try {
      if (readFileSync(join(this.dir, PID_FILE), 'utf8').trim() === String(process.pid)) {
        rmSync(join(this.dir, PID_FILE), { force: true });
      }
    } catch {
      // Already gone: nothing to tidy.
    }
    this.db.close();
  }
}
