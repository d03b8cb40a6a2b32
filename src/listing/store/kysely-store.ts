/**
 * The store over Kysely, shared by SQLite and PostgreSQL. The dialects differ only in
 * how due checks are claimed (PostgreSQL adds `FOR UPDATE SKIP LOCKED`, so concurrent
 * checkers take disjoint rows; SQLite serialises writers anyway).
 *
 * Every change to the public listing bumps the state row's version in the same
 * transaction, always after the data row, so readers that read the version first and the
 * data second never cache stale data under a current version.
 */
import type { Kysely, Transaction } from 'kysely';
import { type ListingDatabase, SERVERS_TABLE, STATE_TABLE } from './schema.js';
import {
  type DueCheck,
  type FailureOutcome,
  type ListingStore,
  type NewServer,
  type PublicServer,
  type ServerPatch,
  type ServerRecord,
  StoreUnavailableError,
} from './types.js';

type Db = Kysely<ListingDatabase>;

/** Any failure to reach the store, as the one error the routes turn into 503. */
function unavailable(err: unknown): StoreUnavailableError {
  return err instanceof StoreUnavailableError ? err : new StoreUnavailableError(err);
}

export class KyselyStore implements ListingStore {
  private closing: Promise<void> | undefined;

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    readonly description: string,
    private readonly db: Db,
    /**
     * A synchronous read of the version (SQLite: one statement prepared once). The version
     * is read on every GET /servers, so it is worth skipping Kysely's per-call compilation.
     */
    private readonly readVersion?: () => number,
  ) {
    if (readVersion !== undefined) {
      this.versionNow = () => {
        try {
          return readVersion();
        } catch (err) {
          throw unavailable(err);
        }
      };
    }
  }

  /** Present when the version can be read synchronously (SQLite); see ListingStore. */
  readonly versionNow?: () => number;

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw unavailable(err);
    }
  }

  private async bump(trx: Transaction<ListingDatabase>): Promise<void> {
    await trx
      .updateTable(STATE_TABLE)
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', 1)
      .execute();
  }

  insert(server: NewServer, now: number, nextCheckAt: number): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const result = await trx
          .insertInto(SERVERS_TABLE)
          .values({ id: server.id, ...freshColumns(server, now, nextCheckAt) })
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        const inserted = Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
        if (inserted) await this.bump(trx);
        return inserted;
      }),
    );
  }

  replace(server: NewServer, expectedAddress: string, now: number, nextCheckAt: number): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable(SERVERS_TABLE)
          .set(freshColumns(server, now, nextCheckAt))
          .where('id', '=', server.id)
          .where('address', '=', expectedAddress)
          .executeTakeFirst();
        const replaced = Number(result.numUpdatedRows) > 0;
        if (replaced) await this.bump(trx);
        return replaced;
      }),
    );
  }

  get(id: number): Promise<ServerRecord | undefined> {
    return this.guard(async () => {
      const row = await this.db.selectFrom(SERVERS_TABLE).selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      return {
        id: Number(row.id),
        displayName: row.server_name,
        address: row.address,
        connectedUsers: Number(row.connected_users),
        maxUsers: Number(row.max_users),
        keyHash: row.key_hash,
        registeredFrom: row.registered_from,
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
        lastSeenAt: Number(row.last_seen_at),
        failures: Number(row.failures),
        nextCheckAt: Number(row.next_check_at),
      };
    });
  }

  list(): Promise<PublicServer[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom(SERVERS_TABLE)
        .select(['id', 'server_name', 'address', 'connected_users', 'max_users'])
        .orderBy('id')
        .execute();
      return rows.map((row) => ({
        id: Number(row.id),
        displayName: row.server_name,
        address: row.address,
        connectedUsers: Number(row.connected_users),
        maxUsers: Number(row.max_users),
      }));
    });
  }

  count(): Promise<number> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom(SERVERS_TABLE)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  update(id: number, keyHash: string, patch: ServerPatch, now: number, nextCheckAt: number): Promise<boolean> {
    const publicChange = Object.keys(patch).length > 0;
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable(SERVERS_TABLE)
          .set({
            ...(patch.displayName === undefined ? {} : { server_name: patch.displayName }),
            ...(patch.address === undefined ? {} : { address: patch.address }),
            ...(patch.connectedUsers === undefined ? {} : { connected_users: patch.connectedUsers }),
            ...(patch.maxUsers === undefined ? {} : { max_users: patch.maxUsers }),
            ...(publicChange ? { updated_at: now } : {}),
            last_seen_at: now,
            failures: 0,
            next_check_at: nextCheckAt,
          })
          .where('id', '=', id)
          .where('key_hash', '=', keyHash)
          .executeTakeFirst();
        const updated = Number(result.numUpdatedRows) > 0;
        if (updated && publicChange) await this.bump(trx);
        return updated;
      }),
    );
  }

  remove(id: number, keyHash: string): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const result = await trx
          .deleteFrom(SERVERS_TABLE)
          .where('id', '=', id)
          .where('key_hash', '=', keyHash)
          .executeTakeFirst();
        const removed = Number(result.numDeletedRows) > 0;
        if (removed) await this.bump(trx);
        return removed;
      }),
    );
  }

  version(): Promise<number> {
    return this.guard(async () => {
      if (this.readVersion) return this.readVersion();
      const row = await this.db.selectFrom(STATE_TABLE).select('version').where('id', '=', 1).executeTakeFirstOrThrow();
      return Number(row.version);
    });
  }

  claimDue(now: number, leaseUntil: number, limit: number): Promise<DueCheck[]> {
    return this.guard(async () => {
      let due = this.db
        .selectFrom(SERVERS_TABLE)
        .select('id')
        .where('next_check_at', '<=', now)
        .orderBy('next_check_at')
        .limit(limit);
      if (this.kind === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await this.db
        .updateTable(SERVERS_TABLE)
        .set({ next_check_at: leaseUntil })
        // Re-checked on the row itself, so a row another checker just claimed is skipped.
        .where('next_check_at', '<=', now)
        .where('id', 'in', due)
        .returning(['id', 'address', 'key_hash'])
        .execute();
      return rows.map((row) => ({ id: Number(row.id), address: row.address, keyHash: row.key_hash }));
    });
  }

  recordSuccess(check: DueCheck, now: number, nextCheckAt: number): Promise<void> {
    return this.guard(async () => {
      await this.db
        .updateTable(SERVERS_TABLE)
        .set({ failures: 0, last_seen_at: now, next_check_at: nextCheckAt })
        .where('id', '=', check.id)
        .where('key_hash', '=', check.keyHash)
        .execute();
    });
  }

  recordFailure(check: DueCheck, nextCheckAt: number, maxFailures: number): Promise<FailureOutcome> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable(SERVERS_TABLE)
          .set((eb) => ({ failures: eb('failures', '+', 1), next_check_at: nextCheckAt }))
          .where('id', '=', check.id)
          .where('key_hash', '=', check.keyHash)
          .returning('failures')
          .executeTakeFirst();
        if (!row) return 'gone';
        if (Number(row.failures) < maxFailures) return 'counted';
        await trx.deleteFrom(SERVERS_TABLE).where('id', '=', check.id).where('key_hash', '=', check.keyHash).execute();
        await this.bump(trx);
        return 'evicted';
      }),
    );
  }

  ping(): Promise<void> {
    return this.guard(async () => {
      await this.version();
    });
  }

  async close(): Promise<void> {
    this.closing ??= this.db.destroy();
    return this.closing;
  }
}

/** The columns of a newly registered (or re-registered) entry, with its liveness state reset. */
function freshColumns(server: NewServer, now: number, nextCheckAt: number) {
  return {
    server_name: server.displayName,
    address: server.address,
    connected_users: server.connectedUsers,
    max_users: server.maxUsers,
    key_hash: server.keyHash,
    registered_from: server.registeredFrom,
    created_at: now,
    updated_at: now,
    last_seen_at: now,
    failures: 0,
    next_check_at: nextCheckAt,
  };
}
