/**
 * Schema migrations, run at start-up by Kysely's Migrator (which takes a database lock,
 * so several listing instances starting together migrate once). Append new migrations;
 * never edit a released one.
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely';
import { nameKey, searchText } from '../search.js';
import { SEARCH_TABLE, SERVERS_TABLE, STATE_TABLE } from './schema.js';

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable(SERVERS_TABLE)
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('server_name', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('connected_users', 'integer', (c) => c.notNull())
        .addColumn('max_users', 'integer', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('registered_from', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_check_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex(`${SERVERS_TABLE}_next_check_at`).on(SERVERS_TABLE).column('next_check_at').execute();
      await db.schema
        .createTable(STATE_TABLE)
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await (db as Kysely<Record<string, { id: number; version: number }>>)
        .insertInto(STATE_TABLE)
        .values({ id: 1, version: 0 })
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable(STATE_TABLE).execute();
      await db.schema.dropTable(SERVERS_TABLE).execute();
    },
  },

  /**
   * Contract §12: the folded name and search text of every entry, the indexes of the sort
   * orders (keyset pages), the search index, and the cursor secret. See
   * docs/LISTING-API.md "Indexes and query plans".
   */
  '0002_directory_scale': {
    // PostgreSQL runs each migration in a transaction already; SQLite's DDL is transactional
    // too, but Kysely does not wrap it: done here, so an interrupted upgrade leaves no half.
    up: (db: Kysely<unknown>) => (db.isTransaction ? directoryScaleUp(db) : db.transaction().execute(directoryScaleUp)),
    async down(db: Kysely<unknown>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      if (!postgres) {
        for (const trigger of ['insert', 'delete', 'update']) {
          await sql`drop trigger if exists ${sql.id(`${SEARCH_TABLE}_${trigger}`)}`.execute(db);
        }
        await sql`drop table if exists ${sql.table(SEARCH_TABLE)}`.execute(db);
      }
      await db.schema.dropIndex(`${SERVERS_TABLE}_search_trgm`).ifExists().execute();
      await db.schema.dropIndex(`${SERVERS_TABLE}_by_users`).ifExists().execute();
      await db.schema.dropIndex(`${SERVERS_TABLE}_by_name`).ifExists().execute();
      await db.schema.alterTable(SERVERS_TABLE).dropColumn('search').execute();
      await db.schema.alterTable(SERVERS_TABLE).dropColumn('name_key').execute();
      await db.schema.alterTable(STATE_TABLE).dropColumn('cursor_secret').execute();
    },
  },

  /**
   * Contract §7 (turn 2): `tls`, the server speaks `wss://` only. An integer 0 or 1 on both
   * stores (SQLite has no boolean; one type keeps the store's code one); every entry listed
   * before it was pinged with `ws://`, so 0.
   */
  '0003_tls': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable(SERVERS_TABLE)
        .addColumn('tls', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable(SERVERS_TABLE).dropColumn('tls').execute();
    },
  },
};

async function directoryScaleUp(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // Names sort by code point on both stores, whatever the database's own collation.
  const keyType = postgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .alterTable(SERVERS_TABLE)
    .addColumn('name_key', keyType, (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable(SERVERS_TABLE)
    .addColumn('search', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await backfillSearchColumns(db, postgres);
  const index = (name: string, columns: string[]) =>
    db.schema.createIndex(`${SERVERS_TABLE}_${name}`).on(SERVERS_TABLE).columns(columns).execute();
  if (postgres) {
    await index('by_name', ['name_key', 'id']);
    await index('by_users', ['connected_users', 'id']);
    // The trigram index of `search` is made at start-up when pg_trgm is installed
    // (store/postgres.ts): the listing never installs an extension itself.
  } else {
    // Covering the filters, so that a walk of an order with a filter reads the index
    // alone and visits the table only for the entries it shows (a fifth of the time of a
    // walk that reads every row). `sort=id` walks the primary key's index: its rows are
    // narrower, and a covering copy measured only ~20 % faster.
    await index('by_name', ['name_key', 'id', 'connected_users', 'max_users', 'search']);
    await index('by_users', ['connected_users', 'id', 'max_users', 'search']);
    await sql`create virtual table ${sql.table(SEARCH_TABLE)} using fts5(search, content='', tokenize='trigram case_sensitive 1')`.execute(
      db,
    );
    await sql`insert into ${sql.table(SEARCH_TABLE)} (rowid, search) select id, search from ${sql.table(SERVERS_TABLE)}`.execute(
      db,
    );
    const servers = sql.table(SERVERS_TABLE);
    const search = sql.table(SEARCH_TABLE);
    await sql`create trigger ${sql.id(`${SEARCH_TABLE}_insert`)} after insert on ${servers} begin
            insert into ${search} (rowid, search) values (new.id, new.search);
          end`.execute(db);
    await sql`create trigger ${sql.id(`${SEARCH_TABLE}_delete`)} after delete on ${servers} begin
            insert into ${search} (${search}, rowid, search) values ('delete', old.id, old.search);
          end`.execute(db);
    await sql`create trigger ${sql.id(`${SEARCH_TABLE}_update`)} after update of search on ${servers} begin
            insert into ${search} (${search}, rowid, search) values ('delete', old.id, old.search);
            insert into ${search} (rowid, search) values (new.id, new.search);
          end`.execute(db);
  }
  await db.schema.alterTable(STATE_TABLE).addColumn('cursor_secret', 'text').execute();
  await sql`update ${sql.table(STATE_TABLE)} set cursor_secret = ${randomBytes(32).toString('base64url')} where id = 1`.execute(
    db,
  );
}

/** Fills `name_key` and `search` of the entries listed before 0002, 500 at a time. */
async function backfillSearchColumns(db: Kysely<unknown>, postgres: boolean): Promise<void> {
  const servers = db as unknown as Kysely<Record<string, { id: number; server_name: string; address: string }>>;
  const rows = await servers.selectFrom(SERVERS_TABLE).select(['id', 'server_name', 'address']).execute();
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows
      .slice(i, i + 500)
      .map((r) =>
        postgres
          ? sql`(${Number(r.id)}::bigint, ${nameKey(r.server_name)}::text, ${searchText(r.server_name, r.address)}::text)`
          : sql`(${Number(r.id)}, ${nameKey(r.server_name)}, ${searchText(r.server_name, r.address)})`,
      );
    const table = sql.table(SERVERS_TABLE);
    if (postgres) {
      await sql`update ${table} set name_key = v.name_key, search = v.search from (values ${sql.join(values)}) as v (id, name_key, search) where ${table}.id = v.id`.execute(
        db,
      );
    } else {
      await sql`update ${table} set name_key = v.column2, search = v.column3 from (values ${sql.join(values)}) as v where ${table}.id = v.column1`.execute(
        db,
      );
    }
  }
}

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** The listing's migrator (tests use it to make a database of an older schema). */
export function listingMigrator(db: Kysely<unknown>, migrationTableSchema?: string): Migrator {
  return new Migrator({
    db,
    provider,
    migrationTableName: 'c2_listing_migration',
    migrationLockTableName: 'c2_listing_migration_lock',
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
}

/** Brings the database up to the latest schema; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<unknown>, migrationTableSchema?: string): Promise<void> {
  const { error, results } = await listingMigrator(db, migrationTableSchema).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(failed ? `database migration ${failed} failed: ${cause}` : `database migration failed: ${cause}`);
  }
}
