/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode. `:memory:` is a
 * private in-memory database that lives as long as the listing (for tests and demos).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { ftsPhrase, KyselyStore, type SyncReads } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import { type ListingDatabase, SEARCH_TABLE, STATE_TABLE } from './schema.js';
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
    // Up to 64 MiB of pages kept in memory (allocated as used): a directory of 100,000
    // servers fits, and a page read that jumps around the table (sort=-users) reads no file.
    database.pragma('cache_size = -65536');
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
  return new KyselyStore('sqlite', path, db, syncReads(database));
}

/** The most statements kept prepared (page queries come in a few dozen shapes). */
const MAX_PREPARED = 256;

function syncReads(database: Database.Database): SyncReads {
  const versionStatement = database.prepare<[], { version: number | bigint }>(
    `SELECT version FROM ${STATE_TABLE} WHERE id = 1`,
  );
  const searchStatement = database
    .prepare<[string, number], number>(`SELECT rowid FROM ${SEARCH_TABLE} WHERE ${SEARCH_TABLE} MATCH ? LIMIT ?`)
    .pluck();
  const prepared = new Map<string, Database.Statement>();
  return {
    version() {
      const row = versionStatement.get();
      if (row === undefined) throw new Error('the listing state row is missing');
      return Number(row.version);
    },
    rows(query) {
      let statement = prepared.get(query.sql);
      if (statement === undefined) {
        if (prepared.size >= MAX_PREPARED) prepared.clear();
        // Rows as arrays: half the cost of an object per row, for rows mapped anyway.
        statement = database.prepare(query.sql).raw(true);
        prepared.set(query.sql, statement);
      }
      return statement.all(...(query.parameters as unknown[])) as unknown[][];
    },
    searchIds(q, cap) {
      return searchStatement.all(ftsPhrase(q), cap).map(Number);
    },
  };
}
