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
import { type ListingDatabase, SERVERS_TABLE } from './schema.js';
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
    await ensureTrigramIndex(db, log);
    return new KyselyStore('postgres', `${redactUrl(url)} (schema ${schema})`, db);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw err;
  }
}

/**
 * The trigram index of `search`, when the database has pg_trgm (a standard contrib
 * extension, often not installed): with it, a `q` that matches few entries is answered from
 * the index. The listing never installs an extension (that takes privileges it should not
 * need); an administrator runs `CREATE EXTENSION pg_trgm;` and the next start makes the index.
 */
async function ensureTrigramIndex(db: Kysely<ListingDatabase>, log: Logger): Promise<void> {
  const { rows } = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
    where e.extname = 'pg_trgm'`.execute(db);
  const extensionSchema = rows[0]?.schema;
  if (extensionSchema === undefined) {
    log.info(
      "pg_trgm is not installed in this database: a q search walks the order's index (CREATE EXTENSION pg_trgm; adds a trigram index at the next start)",
    );
    return;
  }
  try {
    await sql`create index if not exists ${sql.id(`${SERVERS_TABLE}_search_trgm`)} on ${sql.table(SERVERS_TABLE)}
      using gin (search ${sql.id(extensionSchema, 'gin_trgm_ops')})`.execute(db);
  } catch (err) {
    // Another instance starting at the same moment made it (unique_violation, duplicate_table).
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
}
