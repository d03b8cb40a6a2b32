/**
 * The store over Kysely, shared by SQLite and PostgreSQL. The dialects differ only in
 * how due checks are claimed (PostgreSQL adds `FOR UPDATE SKIP LOCKED`, so concurrent
 * checkers take disjoint rows; SQLite serialises writers anyway).
 *
 * Every change to the public listing bumps the state row's version in the same
 * transaction, always after the data row, so readers that read the version first and the
 * data second never cache stale data under a current version.
 */
import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import { nameKey, searchText } from '../search.js';
import { type ListingDatabase, SERVERS_TABLE, STATE_TABLE } from './schema.js';
import {
  type DueCheck,
  type FailureOutcome,
  type ListingStore,
  type NewServer,
  type PageRequest,
  type PublicServer,
  type ServerPatch,
  type ServerRecord,
  StoreUnavailableError,
} from './types.js';

type Db = Kysely<ListingDatabase>;

/**
 * Synchronous reads on SQLite (better-sqlite3), for what every request does: skip the
 * promise per query and reuse prepared statements, where Kysely's driver prepares each
 * query again.
 */
export interface SyncReads {
  /** The version (one statement prepared once). */
  version(): number;
  /** The rows of a compiled query as arrays of columns, through a statement prepared once per SQL text. */
  rows(query: CompiledQuery): unknown[][];
  /**
   * The ids of the entries the search index says contain `q` (a folded text of 3 characters
   * or more), at most `cap` of them.
   */
  searchIds(q: string, cap: number): number[];
}

/**
 * A `q` matching at most this many entries is answered through the search index (SQLite:
 * FTS5 trigrams): the ids it finds are read once, and those entries alone are filtered and
 * sorted (≤ 1,000: well under a millisecond). A `q` matching more is answered by walking the
 * order's index and testing each entry, which stops at the page's last match.
 */
const SELECTIVE_SEARCH = 1000;

const PUBLIC_COLUMNS = ['id', 'server_name', 'address', 'connected_users', 'max_users', 'tls'] as const;

type PublicRow = Pick<ListingDatabase[typeof SERVERS_TABLE], (typeof PUBLIC_COLUMNS)[number]>;

function toPublic(row: PublicRow): PublicServer {
  return {
    id: Number(row.id),
    displayName: row.server_name,
    address: row.address,
    connectedUsers: Number(row.connected_users),
    maxUsers: Number(row.max_users),
    tls: Number(row.tls) === 1,
  };
}

/** The columns of PUBLIC_COLUMNS as an array (better-sqlite3's raw rows), as a server. */
function fromColumns(row: unknown[]): PublicServer {
  const [id, displayName, address, connectedUsers, maxUsers, tls] = row as [
    number,
    string,
    string,
    number,
    number,
    number,
  ];
  return {
    id: Number(id),
    displayName,
    address,
    connectedUsers: Number(connectedUsers),
    maxUsers: Number(maxUsers),
    tls: Number(tls) === 1,
  };
}

/** What decides a page's SQL text. */
interface PageShape {
  sort: PageRequest['sort'];
  after: boolean;
  notFull: boolean;
  notEmpty: boolean;
  /** No q; q through the trigram index (SQLite); q tested along the walk. */
  q: 'none' | 'index' | 'scan';
}

/** The values a page's SQL takes. */
interface PageValues {
  q: string;
  pattern: string;
  /** The ids the search index found, as a JSON array (SQLite's json_each reads it). */
  ids: string;
  key: string | number;
  id: number;
  limit: number;
}

type PageSlot = { slot: keyof PageValues } | { value: unknown };

/** Stand-ins compiled in place of a request's values, to find where each one goes. */
const SLOT_TOKENS: PageValues = {
  q: '\u0000c2:q',
  pattern: '\u0000c2:pattern',
  ids: '\u0000c2:ids',
  key: '\u0000c2:key',
  id: '\u0000c2:id' as unknown as number,
  limit: '\u0000c2:limit' as unknown as number,
};
const SLOT_OF_TOKEN = new Map<unknown, keyof PageValues>(
  Object.entries(SLOT_TOKENS).map(([slot, token]) => [token, slot as keyof PageValues]),
);

/** `%q%` for LIKE, with LIKE's own characters escaped (backslash is PostgreSQL's default escape). */
function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, '\\$&')}%`;
}

/** An FTS5 phrase: the text in double quotes, quotes doubled. */
export function ftsPhrase(q: string): string {
  return `"${q.replaceAll('"', '""')}"`;
}

/** Any failure to reach the store, as the one error the routes turn into 503. */
function unavailable(err: unknown): StoreUnavailableError {
  return err instanceof StoreUnavailableError ? err : new StoreUnavailableError(err);
}

export class KyselyStore implements ListingStore {
  private closing: Promise<void> | undefined;

  private readonly readVersion: (() => number) | undefined;
  private readonly pageShapes = new Map<string, { sql: string; slots: PageSlot[] }>();

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    readonly description: string,
    private readonly db: Db,
    /**
     * Synchronous reads (SQLite). The version is read on every GET /servers and a page is a
     * query per request, so it is worth skipping Kysely's driver (a promise and a prepare
     * per query).
     */
    private readonly sync?: SyncReads,
  ) {
    const readVersion = sync === undefined ? undefined : () => sync.version();
    this.readVersion = readVersion;
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

  insertMany(servers: readonly NewServer[], now: number, nextCheckAt: number): Promise<number> {
    return this.guard(async () => {
      let inserted = 0;
      for (let i = 0; i < servers.length; i += 500) {
        const batch = servers.slice(i, i + 500);
        inserted += await this.db.transaction().execute(async (trx) => {
          const result = await trx
            .insertInto(SERVERS_TABLE)
            .values(batch.map((server) => ({ id: server.id, ...freshColumns(server, now, nextCheckAt) })))
            .onConflict((oc) => oc.column('id').doNothing())
            .executeTakeFirst();
          const n = Number(result.numInsertedOrUpdatedRows ?? 0n);
          if (n > 0) await this.bump(trx);
          return n;
        });
      }
      return inserted;
    });
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
        ...toPublic(row),
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
      const rows = await this.db.selectFrom(SERVERS_TABLE).select(PUBLIC_COLUMNS).orderBy('id').execute();
      return rows.map(toPublic);
    });
  }

  page(request: PageRequest): Promise<PublicServer[]> {
    return this.guard(async () => {
      const query = this.compiledPage(request);
      if (this.sync !== undefined) return this.sync.rows(query).map(fromColumns);
      const { rows } = await this.db.executeQuery<PublicRow>(query);
      return rows.map(toPublic);
    });
  }

  /**
   * The page's SQL, made by Kysely once per shape of request (order, cursor or not, which
   * filters, how `q` is searched: at most 96 shapes) and kept, with where each value goes;
   * a request fills in its values (compiling every time cost about as much as the query).
   */
  private compiledPage(request: PageRequest): CompiledQuery {
    const { q, after } = request;
    // A selective q (the common case: looking for one server) starts from the matches the
    // FTS5 trigram index finds (SQLite; FTS5 needs 3 characters or more), read once.
    const found =
      q !== null && this.sync !== undefined && [...q].length >= 3
        ? this.sync.searchIds(q, SELECTIVE_SEARCH + 1)
        : undefined;
    const fromIndex = found !== undefined && found.length <= SELECTIVE_SEARCH;
    const shape: PageShape = {
      sort: request.sort,
      after: after !== null,
      notFull: request.notFull,
      notEmpty: request.notEmpty,
      q: q === null ? 'none' : fromIndex ? 'index' : 'scan',
    };
    const key = `${shape.sort}|${shape.after}|${shape.notFull}|${shape.notEmpty}|${shape.q}`;
    let made = this.pageShapes.get(key);
    if (made === undefined) {
      const compiled = this.pageQuery(shape, SLOT_TOKENS).compile();
      const slots = compiled.parameters.map((value): PageSlot => {
        const slot = SLOT_OF_TOKEN.get(value);
        return slot === undefined ? { value } : { slot };
      });
      made = { sql: compiled.sql, slots };
      this.pageShapes.set(key, made);
    }
    const values: PageValues = {
      q: q ?? '',
      pattern: q === null ? '' : containsPattern(q),
      ids: fromIndex ? JSON.stringify(found) : '[]',
      key: after === null ? 0 : request.sort === 'name' ? String(after.key) : Number(after.key),
      id: after?.id ?? 0,
      limit: request.limit,
    };
    return CompiledQuery.raw(
      made.sql,
      made.slots.map((s) => ('slot' in s ? values[s.slot] : s.value)),
    );
  }

  /**
   * The page as one query: the filters, the keyset condition (entries after the cursor's
   * (key, id) in the order) and the order itself, which an index provides (migration 0002),
   * so the database walks the index from the cursor and stops after `limit` matches.
   */
  private pageQuery(shape: PageShape, v: PageValues) {
    let query = this.db.selectFrom(SERVERS_TABLE).select(PUBLIC_COLUMNS);
    if (shape.notFull) query = query.where((eb) => eb('connected_users', '<', eb.ref('max_users')));
    if (shape.notEmpty) query = query.where('connected_users', '>', 0);
    if (shape.q !== 'none') {
      if (this.kind === 'postgres') {
        // With pg_trgm's index (store/postgres.ts) the planner can start from the matches.
        query = query.where('search', 'like', v.pattern);
      } else {
        query = query.where(sql<boolean>`instr(search, ${v.q}) > 0`);
        if (shape.q === 'index') query = query.where('id', 'in', sql<number>`(select value from json_each(${v.ids}))`);
      }
    }
    const keyset = (op: '>' | '<', column: 'name_key' | 'connected_users') =>
      query.where((eb) => eb(eb.refTuple(column, 'id'), op, eb.tuple(v.key as never, v.id)));
    switch (shape.sort) {
      case 'name':
        if (shape.after) query = keyset('>', 'name_key');
        return query.orderBy('name_key').orderBy('id').limit(v.limit);
      case 'users':
        if (shape.after) query = keyset('>', 'connected_users');
        return query.orderBy('connected_users').orderBy('id').limit(v.limit);
      case '-users':
        // Most users first; ties by id, descending, so that one index serves both orders.
        if (shape.after) query = keyset('<', 'connected_users');
        return query.orderBy('connected_users', 'desc').orderBy('id', 'desc').limit(v.limit);
      default:
        if (shape.after) query = query.where('id', '>', v.id);
        return query.orderBy('id').limit(v.limit);
    }
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
        let folded = {};
        if (patch.displayName !== undefined || patch.address !== undefined) {
          // The search text folds the name and the address together: read the one not given.
          const current = await trx
            .selectFrom(SERVERS_TABLE)
            .select(['server_name', 'address'])
            .where('id', '=', id)
            .where('key_hash', '=', keyHash)
            .executeTakeFirst();
          if (current === undefined) return false;
          const name = patch.displayName ?? current.server_name;
          folded = { name_key: nameKey(name), search: searchText(name, patch.address ?? current.address) };
        }
        const result = await trx
          .updateTable(SERVERS_TABLE)
          .set({
            ...(patch.displayName === undefined ? {} : { server_name: patch.displayName }),
            ...(patch.address === undefined ? {} : { address: patch.address }),
            ...folded,
            ...(patch.connectedUsers === undefined ? {} : { connected_users: patch.connectedUsers }),
            ...(patch.maxUsers === undefined ? {} : { max_users: patch.maxUsers }),
            ...(patch.tls === undefined ? {} : { tls: patch.tls ? 1 : 0 }),
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
        .returning(['id', 'address', 'tls', 'key_hash'])
        .execute();
      return rows.map((row) => ({
        id: Number(row.id),
        address: row.address,
        tls: Number(row.tls) === 1,
        keyHash: row.key_hash,
      }));
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

  cursorSecret(): Promise<Buffer> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom(STATE_TABLE)
        .select('cursor_secret')
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      if (!row.cursor_secret) throw new Error('the listing state row has no cursor secret');
      return Buffer.from(row.cursor_secret, 'base64url');
    });
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
    name_key: nameKey(server.displayName),
    search: searchText(server.displayName, server.address),
    connected_users: server.connectedUsers,
    max_users: server.maxUsers,
    tls: server.tls ? 1 : 0,
    key_hash: server.keyHash,
    registered_from: server.registeredFrom,
    created_at: now,
    updated_at: now,
    last_seen_at: now,
    failures: 0,
    next_check_at: nextCheckAt,
  };
}
