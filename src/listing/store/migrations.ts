/**
 * Schema migrations, run at start-up by Kysely's Migrator (which takes a database lock,
 * so several listing instances starting together migrate once). Append new migrations;
 * never edit a released one.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { SERVERS_TABLE, STATE_TABLE } from './schema.js';

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
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Brings the database up to the latest schema; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<unknown>, migrationTableSchema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'c2_listing_migration',
    migrationLockTableName: 'c2_listing_migration_lock',
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(failed ? `database migration ${failed} failed: ${cause}` : `database migration failed: ${cause}`);
  }
}
