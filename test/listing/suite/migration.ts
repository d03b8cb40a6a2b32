/** Schema migrations: a directory made by an older release keeps its entries, with the new columns' defaults. */
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { listingMigrator } from '../../../src/listing/store/migrations.js';
import { openStore } from '../../../src/listing/store/open.js';
import { SERVERS_TABLE } from '../../../src/listing/store/schema.js';
import type { Backend } from '../helpers/backends.js';

/** A database at `target`, the schema of an older release, on `db` (a file or a postgres:// URL). */
async function migrateTo(backend: Backend, db: string, target: string): Promise<Kysely<unknown>> {
  if (backend.name === 'sqlite') {
    const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(db) }) });
    const { error } = await listingMigrator(kysely).migrateTo(target);
    if (error) throw error;
    return kysely;
  }
  const kysely = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db, max: 1 }) }),
  });
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(kysely);
  const { error } = await listingMigrator(kysely, rows[0]?.schema).migrateTo(target);
  if (error) throw error;
  return kysely;
}

export function migrationSuite(backend: Backend) {
  describe('migrations', () => {
    it('0003_tls: entries listed before it are tls: false, and the column takes new values', async () => {
      const testDb = await backend.create();
      try {
        const old = await migrateTo(backend, testDb.db, '0002_directory_scale');
        await sql`insert into ${sql.table(SERVERS_TABLE)}
          (id, server_name, address, connected_users, max_users, key_hash, registered_from,
           created_at, updated_at, last_seen_at, next_check_at, name_key, search)
          values (42, 'Old', '198.51.100.7:5000', 1, 10, 'h', '198.51.100.7', 0, 0, 0, 0, 'old', 'old')`.execute(old);
        await old.destroy();

        const store = await openStore(testDb.db, pino({ level: 'silent' }));
        try {
          expect(await store.get(42)).toMatchObject({ displayName: 'Old', tls: false });
          expect(await store.list()).toEqual([
            { id: 42, displayName: 'Old', address: '198.51.100.7:5000', connectedUsers: 1, maxUsers: 10, tls: false },
          ]);
          expect(await store.update(42, 'h', { tls: true }, 1, 2)).toBe(true);
          expect(
            await store.page({ q: null, notFull: false, notEmpty: false, sort: 'id', after: null, limit: 5 }),
          ).toEqual([
            { id: 42, displayName: 'Old', address: '198.51.100.7:5000', connectedUsers: 1, maxUsers: 10, tls: true },
          ]);
          expect(await store.claimDue(10, 20, 5)).toEqual([
            { id: 42, address: '198.51.100.7:5000', tls: true, keyHash: 'h' },
          ]);
        } finally {
          await store.close();
        }
      } finally {
        await testDb.drop();
      }
    });
  });
}
