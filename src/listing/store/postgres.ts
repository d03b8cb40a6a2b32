/**
 * The shared store: PostgreSQL through a `pg` pool, for several stateless listing
 * instances serving one directory. The schema is the connection's current schema
 * (`public`, or the first of a `search_path` given as `?options=-c search_path=…`).
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import type { ListingDatabase } from './schema.js';
import type { ListingStore } from './types.js';

const INT8_OID = 20;

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL with its password hidden, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openPostgresStore(url: string, log: Logger): Promise<ListingStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // No request may wait forever on a dead connection.
    query_timeout: 10_000,
    keepAlive: true,
    // bigint columns hold ids and times, all within 2^53: read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', (err) => log.warn({ err: err.message }, 'PostgreSQL connection lost'));
  const db = new Kysely<ListingDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('the search_path names no existing schema');
    await migrateToLatest(db as Kysely<unknown>, schema);
    return new KyselyStore('postgres', `${redactUrl(url)} (schema ${schema})`, db);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw err;
  }
}
