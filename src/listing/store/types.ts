/**
 * The listing's store: what the HTTP routes and the liveness checker need from a
 * database. Every operation that could race with another listing instance is a single
 * conditional statement (or one transaction), so correctness rests on the database,
 * never on one process's memory.
 *
 * Times are milliseconds since the epoch, given by the caller (the store has no clock).
 */
import type { CursorPosition } from '../cursor.js';
import type { ListFilters, SortOrder } from '../list-query.js';

/** The public part of an entry: what `GET /servers` shows. */
export interface PublicServer {
  id: number;
  displayName: string;
  address: string;
  connectedUsers: number;
  maxUsers: number;
  /** The server speaks `wss://` only (contract §7, turn 2). */
  tls: boolean;
}

export interface ServerRecord extends PublicServer {
  keyHash: string;
  registeredFrom: string;
  createdAt: number;
  updatedAt: number;
  lastSeenAt: number;
  failures: number;
  nextCheckAt: number;
}

export interface NewServer extends PublicServer {
  keyHash: string;
  registeredFrom: string;
}

export type ServerPatch = Partial<
  Pick<PublicServer, 'displayName' | 'address' | 'connectedUsers' | 'maxUsers' | 'tls'>
>;

/** A liveness check claimed by one checker. `keyHash` pins the entry it was claimed for. */
export interface DueCheck {
  id: number;
  address: string;
  /** Ping with `wss://`. */
  tls: boolean;
  keyHash: string;
}

export type FailureOutcome = 'counted' | 'evicted' | 'gone';

/** One page of a walk of the directory (contract §12), as the store is asked for it. */
export interface PageRequest extends ListFilters {
  sort: SortOrder;
  /** The last entry of the previous page (entries strictly after it), or null for the first page. */
  after: CursorPosition | null;
  /** At most this many entries. */
  limit: number;
}

export interface ListingStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Human-readable location, without credentials. */
  readonly description: string;

  /** Inserts a new entry; false when the id is already listed (the primary key decides). */
  insert(server: NewServer, now: number, nextCheckAt: number): Promise<boolean>;
  /**
   * Inserts many entries (an import, a test or benchmark directory) in transactions of a
   * few hundred, skipping ids already listed; resolves with how many were inserted.
   */
  insertMany(servers: readonly NewServer[], now: number, nextCheckAt: number): Promise<number>;
  /**
   * Replaces the entry `server.id` (new properties and key, failures reset) only if it
   * still has `expectedAddress`; false otherwise.
   */
  replace(server: NewServer, expectedAddress: string, now: number, nextCheckAt: number): Promise<boolean>;
  get(id: number): Promise<ServerRecord | undefined>;
  /** Every entry's public part, by id. */
  list(): Promise<PublicServer[]>;
  /**
   * The entries matching the request's filters, in its order, after its position: through
   * an index of the order, so a page costs about the same at any depth (docs/LISTING-API.md
   * "Indexes and query plans").
   */
  page(request: PageRequest): Promise<PublicServer[]>;
  count(): Promise<number>;
  /**
   * Sets the given properties of the entry whose key hash is `keyHash`, and counts it as
   * alive (failures reset, next check pushed to `nextCheckAt`); false when no such entry.
   */
  update(id: number, keyHash: string, patch: ServerPatch, now: number, nextCheckAt: number): Promise<boolean>;
  /** Deletes the entry with that key hash; false when no such entry. */
  remove(id: number, keyHash: string): Promise<boolean>;
  /** A number that changes whenever the public listing changes (for cache validation). */
  version(): Promise<number>;
  /**
   * The same, read synchronously, where the store can (SQLite: one prepared statement);
   * absent otherwise. Throws StoreUnavailableError when the store cannot be read.
   */
  versionNow?(): number;

  /**
   * Claims up to `limit` entries due for a check (`next_check_at <= now`), moving their
   * next check to `leaseUntil` so no other checker claims them meanwhile.
   */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<DueCheck[]>;
  /** A check succeeded: failures reset, next check at `nextCheckAt`. */
  recordSuccess(check: DueCheck, now: number, nextCheckAt: number): Promise<void>;
  /** A check failed: one more failure; the entry is deleted once it reaches `maxFailures`. */
  recordFailure(check: DueCheck, nextCheckAt: number, maxFailures: number): Promise<FailureOutcome>;

  /** The key page cursors are signed with, shared by every instance on this database. */
  cursorSecret(): Promise<Buffer>;

  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a store when the database fails; the API answers 503 `store_unavailable`. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(cause: unknown) {
    super(`the listing's database is unavailable: ${describeError(cause)}`, { cause });
  }
}

/** A readable one-line reason for a database error (pg's AggregateErrors have no message). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.message === '') {
    return err.errors.map((e) => (e as Error).message).join('; ');
  }
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}
