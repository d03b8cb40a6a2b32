import type { Logger } from 'pino';
import { isPostgresUrl, openPostgresStore, redactUrl } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import { describeError, type ListingStore } from './types.js';

export const DEFAULT_DB_FILE = './c2-listing.db';

/** Opens (and migrates) the store `--db` names: a `postgres://` URL, or else a SQLite file. */
export async function openStore(db: string, log: Logger): Promise<ListingStore> {
  try {
    return isPostgresUrl(db) ? await openPostgresStore(db, log) : await openSqliteStore(db);
  } catch (err) {
    const where = isPostgresUrl(db) ? redactUrl(db) : db;
    throw new Error(`cannot open the database ${where}: ${describeError(err)}`, { cause: err });
  }
}
