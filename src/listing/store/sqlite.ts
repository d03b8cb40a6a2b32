/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode. `:memory:` is a
 * private in-memory database that lives as long as the listing (for tests and demos).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import { type ListingDatabase, STATE_TABLE } from './schema.js';
import type { ListingStore } from './types.js';

export const IN_MEMORY = ':memory:';

export async function openSqliteStore(file: string): Promise<ListingStore> {
  const path = file === IN_MEMORY ? IN_MEMORY : resolve(file);
  if (path !== IN_MEMORY) mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    // Another process may hold the write lock (two listings on one file): wait for it.
    database.pragma('busy_timeout = 5000');
  } catch (err) {
    database.close();
    throw err;
  }
  const db = new Kysely<ListingDatabase>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const versionStatement = database.prepare<[], { version: number | bigint }>(
    `SELECT version FROM ${STATE_TABLE} WHERE id = 1`,
  );
  return new KyselyStore('sqlite', path, db, () => {
    const row = versionStatement.get();
    if (row === undefined) throw new Error('the listing state row is missing');
    return Number(row.version);
  });
}
