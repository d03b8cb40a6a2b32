import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataDirLock } from './data-dir-lock.js';

export interface StoredBan {
  nameKey: string;
  username: string;
  message: string;
  bannedAt: number;
}

/** A message of the sequence (contract §10). */
export interface StoredMessage {
  seq: number;
  username: string;
  text: string;
  time: number;
}

/** Schema versions, applied in order; PRAGMA user_version records how far a file is. */
const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS bans (name_key TEXT PRIMARY KEY, username TEXT NOT NULL, message TEXT NOT NULL, banned_at INTEGER NOT NULL);
   CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL, text TEXT NOT NULL, time INTEGER NOT NULL);`,
  // The message sequence's epoch (contract §10): made once, with the store. Existing
  // history keeps its seqs (the AUTOINCREMENT column), so an upgraded server continues them.
  `INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(8))));`,
];

/**
 * The chat server's durable state in one SQLite file (`<data dir>/server.db`, WAL): its id,
 * its listing key, bans and the message sequence with its history. Synchronous
 * (better-sqlite3), so handlers stay synchronous and the ordering promise needs no queue;
 * the one frequent write, the sequence, is committed a group at a time by history.ts.
 */
export class ServerStore {
  private readonly db: Database.Database;
  /** The data directory's lock (none in memory): held from before the database is opened. */
  private readonly lock: DataDirLock | undefined;
  private readonly stmts;
  private readonly appendTx: (messages: readonly StoredMessage[], trimTo: number) => void;

  /**
   * Opens (creating if needed) `<dataDir>/server.db`, or an in-memory store when dataDir is
   * undefined. Takes the data directory's lock first: throws DataDirInUseError when another
   * process holds it.
   */
  constructor(dataDir?: string) {
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
    this.lock = dataDir === undefined ? undefined : DataDirLock.acquire(dataDir);
    try {
      this.db = new Database(dataDir === undefined ? ':memory:' : join(dataDir, 'server.db'));
      // Set before anything that takes a lock (switching to WAL does).
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.migrate();
    } catch (err) {
      this.lock?.release();
      throw err;
    }
    this.stmts = {
      getMeta: this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      deleteMeta: this.db.prepare('DELETE FROM meta WHERE key = ?'),
      bans: this.db.prepare<[], { name_key: string; username: string; message: string; banned_at: number }>(
        'SELECT name_key, username, message, banned_at FROM bans',
      ),
      addBan: this.db.prepare(
        'INSERT INTO bans (name_key, username, message, banned_at) VALUES (?, ?, ?, ?) ON CONFLICT(name_key) DO UPDATE SET username = excluded.username, message = excluded.message, banned_at = excluded.banned_at',
      ),
      removeBan: this.db.prepare('DELETE FROM bans WHERE name_key = ?'),
      recent: this.db.prepare<[number], StoredMessage>(
        'SELECT seq, username, text, time FROM (SELECT seq, username, text, time FROM history ORDER BY seq DESC LIMIT ?) ORDER BY seq',
      ),
      after: this.db.prepare<[number, number], StoredMessage>(
        'SELECT seq, username, text, time FROM history WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      // AUTOINCREMENT keeps the highest seq ever written here, even once its row is trimmed.
      lastSeq: this.db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'history'"),
      insertMessage: this.db.prepare('INSERT INTO history (seq, username, text, time) VALUES (?, ?, ?, ?)'),
      trim: this.db.prepare('DELETE FROM history WHERE seq <= ?'),
    };
    const { insertMessage, trim } = this.stmts;
    this.appendTx = this.db.transaction((messages: readonly StoredMessage[], trimTo: number) => {
      for (const m of messages) insertMessage.run(m.seq, m.username, m.text, m.time);
      if (trimTo > 0) trim.run(trimTo);
    });
  }

  /**
   * Brings the schema up to date. Each step reads the version and applies the next migration
   * in one BEGIN IMMEDIATE transaction (the write lock from the start), so two processes
   * opening one new file at once cannot both apply a step: the second waits, then sees it done.
   */
  private migrate(): void {
    const step = this.db.transaction((): boolean => {
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version >= MIGRATIONS.length) return false;
      this.db.exec(MIGRATIONS[version] as string);
      this.db.pragma(`user_version = ${version + 1}`);
      return true;
    });
    let applied = true;
    while (applied) applied = step.immediate();
  }

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  deleteMeta(key: string): void {
    this.stmts.deleteMeta.run(key);
  }

  loadBans(): StoredBan[] {
    return this.stmts.bans.all().map((r) => ({
      nameKey: r.name_key,
      username: r.username,
      message: r.message,
      bannedAt: r.banned_at,
    }));
  }

  addBan(ban: StoredBan): void {
    this.stmts.addBan.run(ban.nameKey, ban.username, ban.message, ban.bannedAt);
  }

  removeBan(nameKey: string): void {
    this.stmts.removeBan.run(nameKey);
  }

  /** The epoch of this store's message sequence. */
  epoch(): string {
    return this.getMeta('epoch') as string;
  }

  /** The seq of the last message ever written (0 for none). */
  lastSeq(): number {
    return this.stmts.lastSeq.get()?.seq ?? 0;
  }

  /** The last `n` messages, oldest first. */
  recentMessages(n: number): StoredMessage[] {
    return this.stmts.recent.all(n);
  }

  /** Up to `n` messages with seq > `seq`, oldest first. */
  messagesAfter(seq: number, n: number): StoredMessage[] {
    return this.stmts.after.all(seq, n);
  }

  /**
   * Appends messages (consecutive seqs, in order) in one transaction, and keeps only the
   * newest `keep`. WAL with synchronous=NORMAL: once this returns, the transaction is in the
   * WAL file, so it survives the process being killed (not a power cut: see docs/SECURITY.md).
   */
  appendMessages(messages: readonly StoredMessage[], keep: number): void {
    const last = messages[messages.length - 1];
    if (last === undefined) return;
    this.appendTx(messages, last.seq - keep);
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.lock?.release();
  }
}
