/**
 * The serialised `GET /servers` body, built once per change of the listing rather than
 * once per request.
 *
 * Freshness: every answer is preceded by a read of the store's version that *started after
 * the request arrived*, and the body is rebuilt only when the version moved. The version is
 * bumped by every change in the same transaction, by whichever listing instance made it, so
 * a change committed through any instance sharing the database before a request arrives is
 * in that request's answer: no TTL window. Rebuilds read the version before the data, so a
 * snapshot may be newer than its version but never older (at worst one extra rebuild).
 *
 * Cost: the requests that arrive in one turn of the event loop share one version read.
 * They are queued as they are parsed, and the read is made once for all of them in the
 * same turn's check phase (`setImmediate`), after every one of them was read off its
 * socket; while an asynchronous read (PostgreSQL) is in flight, new requests wait for the
 * next read, which starts when it ends. On the SQLite store the read is synchronous (one
 * prepared statement), so a turn's answers leave together, without a promise per request.
 */
import { Representation } from './representation.js';
import type { ListingStore } from './store/types.js';

/**
 * `{"servers":[…]}` as UTF-8 bytes, ready to send (encoded once, not per response), its
 * ETag, and its compressed forms, each made once on first use (representation.ts).
 */
export class ListingSnapshot extends Representation {
  constructor(
    readonly version: number,
    body: Buffer,
    readonly size: number,
  ) {
    super(body, 'once');
  }
}

/** Called with the current snapshot, or with the store's error. */
export type SnapshotCallback = (error: unknown, snapshot: ListingSnapshot | undefined) => void;

export class ListCache {
  private snapshot: ListingSnapshot | undefined;
  /** Callers waiting for the next version read. */
  private waiting: SnapshotCallback[] = [];
  /** A read (and possibly a rebuild) for an earlier batch is in progress. */
  private busy = false;
  private scheduled = false;
  /** Rebuilds done, for /metrics. */
  rebuilds = 0;
  /** Version reads done (each served a batch of one or more requests), for /metrics. */
  reads = 0;

  constructor(private readonly store: ListingStore) {}

  /** The last snapshot built, without asking the store (for metrics). */
  get last(): ListingSnapshot | undefined {
    return this.snapshot;
  }

  /**
   * Calls `callback` (later, never synchronously) with a snapshot holding every change
   * committed before this call.
   */
  get(callback: SnapshotCallback): void {
    this.waiting.push(callback);
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  /** The same as a promise. */
  current(): Promise<ListingSnapshot> {
    return new Promise((resolve, reject) => {
      this.get((error, snapshot) => (snapshot === undefined ? reject(error) : resolve(snapshot)));
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    this.busy = true;
    this.reads++;
    let version: number | undefined;
    try {
      version = this.store.versionNow?.();
    } catch (error) {
      this.settle(batch, error, undefined);
      return;
    }
    // The common case on SQLite: the snapshot is current, and the batch is answered at once.
    if (version !== undefined && version === this.snapshot?.version) {
      this.settle(batch, undefined, this.snapshot);
      return;
    }
    this.refresh(version).then(
      (snapshot) => this.settle(batch, undefined, snapshot),
      (error: unknown) => this.settle(batch, error, undefined),
    );
  };

  private async refresh(known: number | undefined): Promise<ListingSnapshot> {
    const version = known ?? (await this.store.version());
    if (this.snapshot !== undefined && this.snapshot.version === version) return this.snapshot;
    const built = await this.build(version);
    if (this.snapshot === undefined || built.version >= this.snapshot.version) this.snapshot = built;
    return built;
  }

  /** Answers a batch (callbacks must not throw), then starts the next read if one is due. */
  private settle(batch: SnapshotCallback[], error: unknown, snapshot: ListingSnapshot | undefined): void {
    this.busy = false;
    for (const callback of batch) callback(error, snapshot);
    // Requests that arrived while this batch was read start the next read now: it begins
    // after every one of them arrived.
    if (this.waiting.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private async build(version: number): Promise<ListingSnapshot> {
    const servers = await this.store.list();
    this.rebuilds++;
    return new ListingSnapshot(version, Buffer.from(JSON.stringify({ servers }), 'utf8'), servers.length);
  }
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, as RFC 9110 asks). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  // A client revalidating sends back the one tag it got: equal strings, no parsing.
  if (header === etag) return true;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
