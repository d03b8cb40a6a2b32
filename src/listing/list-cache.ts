/**
 * The serialised `GET /servers` body, built once per change of the listing rather than
 * once per request.
 *
 * Freshness: every request reads the store's version (one primary-key lookup) and
 * rebuilds only when it moved. The version is bumped by every change in the same
 * transaction, by whichever listing instance made it, so a change made through another
 * instance sharing the PostgreSQL database is seen by the very next request here, with
 * no TTL window. Rebuilds read the version before the data, so a snapshot may be newer
 * than its version but never older (at worst one extra rebuild).
 */
import { createHash } from 'node:crypto';
import type { ListingStore, PublicServer } from './store/types.js';

export interface ListingSnapshot {
  version: number;
  /** `{"servers":[…]}` as UTF-8 bytes, ready to send (encoded once, not per response). */
  body: Buffer;
  /** A strong ETag derived from the body, so every instance gives equal bodies equal tags. */
  etag: string;
  byId: ReadonlyMap<number, PublicServer>;
  size: number;
}

export class ListCache {
  private snapshot: ListingSnapshot | undefined;
  private rebuilding: { version: number; promise: Promise<ListingSnapshot> } | undefined;
  /** Rebuilds done, for /metrics. */
  rebuilds = 0;

  constructor(private readonly store: ListingStore) {}

  /** The last snapshot built, without asking the store (for metrics). */
  get last(): ListingSnapshot | undefined {
    return this.snapshot;
  }

  async current(): Promise<ListingSnapshot> {
    const version = await this.store.version();
    if (this.snapshot !== undefined && this.snapshot.version === version) return this.snapshot;
    if (this.rebuilding !== undefined && this.rebuilding.version >= version) return this.rebuilding.promise;
    const promise = this.build(version);
    const entry = { version, promise };
    this.rebuilding = entry;
    try {
      const built = await promise;
      if (this.snapshot === undefined || built.version >= this.snapshot.version) this.snapshot = built;
      return built;
    } finally {
      if (this.rebuilding === entry) this.rebuilding = undefined;
    }
  }

  private async build(version: number): Promise<ListingSnapshot> {
    const servers = await this.store.list();
    const body = Buffer.from(JSON.stringify({ servers }), 'utf8');
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    this.rebuilds++;
    return { version, body, etag, byId: new Map(servers.map((s) => [s.id, s])), size: servers.length };
  }
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, as RFC 9110 asks). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
