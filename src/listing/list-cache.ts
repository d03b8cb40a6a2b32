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

/** Called with the store's version, read after the request was made, or with the store's error. */
export type VersionCallback = (error: unknown, version: number | undefined) => void;

/**
 * One read of the store's version for all the requests that arrive in one turn of the event
 * loop (see above). Shared by the whole list (ListCache) and the page cache (page-cache.ts).
 */
export class VersionReads {
  private waiting: VersionCallback[] = [];
  /** An asynchronous read (PostgreSQL) for an earlier batch is in flight. */
  private busy = false;
  private scheduled = false;
  /** Version reads done (each served a batch of one or more requests), for /metrics. */
  reads = 0;

  constructor(private readonly store: ListingStore) {}

  /** Calls `callback` (later, never synchronously) with a version read that started after this call. */
  read(callback: VersionCallback): void {
    this.waiting.push(callback);
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    this.reads++;
    let version: number | undefined;
    try {
      version = this.store.versionNow?.();
    } catch (error) {
      answer(batch, error, undefined);
      return;
    }
    // The common case on SQLite: read at once, the batch answered in this turn.
    if (version !== undefined) {
      answer(batch, undefined, version);
      return;
    }
    this.busy = true;
    this.store.version().then(
      (read) => this.settle(batch, undefined, read),
      (error: unknown) => this.settle(batch, error, undefined),
    );
  };

  /** Answers a batch, then starts the next read if requests arrived while this one was out. */
  private settle(batch: VersionCallback[], error: unknown, version: number | undefined): void {
    this.busy = false;
    answer(batch, error, version);
    // Requests that arrived while this batch was read start the next read now: it begins
    // after every one of them arrived.
    if (this.waiting.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}

/** Calls each callback (callbacks must not throw). */
function answer(batch: VersionCallback[], error: unknown, version: number | undefined): void {
  for (const callback of batch) callback(error, version);
}

export class ListCache {
  private snapshot: ListingSnapshot | undefined;
  /** Requests whose version is newer than the snapshot, waiting for a rebuild. */
  private stale: { version: number; callback: SnapshotCallback }[] = [];
  private rebuilding = false;
  /** Rebuilds done, for /metrics. */
  rebuilds = 0;

  constructor(
    private readonly store: ListingStore,
    readonly versions: VersionReads = new VersionReads(store),
  ) {}

  /** Version reads done, for /metrics. */
  get reads(): number {
    return this.versions.reads;
  }

  /** The last snapshot built, without asking the store (for metrics). */
  get last(): ListingSnapshot | undefined {
    return this.snapshot;
  }

  /**
   * Calls `callback` (later, never synchronously) with a snapshot holding every change
   * committed before this call.
   */
  get(callback: SnapshotCallback): void {
    this.versions.read((error, version) => {
      if (version === undefined) callback(error, undefined);
      else if (this.snapshot?.version === version) callback(undefined, this.snapshot);
      else this.rebuildFor(version, callback);
    });
  }

  /** The same as a promise. */
  current(): Promise<ListingSnapshot> {
    return new Promise((resolve, reject) => {
      this.get((error, snapshot) => (snapshot === undefined ? reject(error) : resolve(snapshot)));
    });
  }

  /**
   * Rebuilds for the requests whose version the snapshot does not have, one rebuild at a
   * time. A rebuild reads the data after the version reads of every request it serves (they
   * were queued before it started), so its snapshot holds every change they must see;
   * requests queued meanwhile are served by it if their version is the one it was built at,
   * else by the next rebuild.
   */
  private rebuildFor(version: number, callback: SnapshotCallback): void {
    this.stale.push({ version, callback });
    if (this.rebuilding) return;
    this.rebuilding = true;
    void this.rebuild();
  }

  private async rebuild(): Promise<void> {
    for (;;) {
      const batch = this.stale.filter((w) => w.version !== this.snapshot?.version);
      for (const w of this.stale) if (w.version === this.snapshot?.version) w.callback(undefined, this.snapshot);
      this.stale = [];
      if (batch.length === 0) break;
      try {
        this.snapshot = await this.build(Math.max(...batch.map((w) => w.version)));
        for (const { callback } of batch) callback(undefined, this.snapshot);
      } catch (error) {
        for (const { callback } of batch) callback(error, undefined);
      }
    }
    this.rebuilding = false;
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
