/**
 * Pages and filtered answers of `GET /servers` kept per version of the directory (contract
 * §12), as the whole list is (list-cache.ts): the same request asked again before anything
 * changed — every browser showing the first page of the directory, every few seconds — is
 * answered from memory, compressed forms included, after the one version read its turn of
 * the event loop shares with the others.
 *
 * Freshness is the whole list's: an answer is served only to a request whose version read
 * (made after the request arrived) found the version it was made at; it was made from data
 * read after that version, so it holds every change committed before the request. A change
 * anywhere in the directory makes every kept answer stale.
 *
 * Bounded: answers are kept least recently used first out, up to `maxBytes` of bodies
 * (compressed forms, made when asked for, come on top: about a fifth more); an answer over
 * an eighth of that is not kept. `maxBytes` 0 keeps nothing (every request is a query).
 */
import type { VersionReads } from './list-cache.js';
import type { Representation } from './representation.js';

interface Entry {
  version: number;
  representation: Representation;
}

export type AnswerCallback = (error: unknown, answer: Representation | undefined) => void;

export class PageCache {
  private readonly entries = new Map<string, Entry>();
  /** Answers being made, so that requests for one missing answer share one query. */
  private readonly making = new Map<string, { version: number; waiting: AnswerCallback[] }>();
  private bytes = 0;
  /** Requests answered from the cache, and by a query, for /metrics. */
  hits = 0;
  misses = 0;

  constructor(
    private readonly versions: VersionReads,
    private readonly maxBytes: number,
  ) {}

  /**
   * Calls `callback` with the answer `key` names as of a version read after this call: the
   * kept one if it was made at that version, else the one `make` makes (and keeps).
   */
  get(key: string, make: () => Promise<Representation>, callback: AnswerCallback): void {
    if (this.maxBytes <= 0) {
      this.misses++;
      make().then(
        (answer) => callback(undefined, answer),
        (error: unknown) => callback(error, undefined),
      );
      return;
    }
    this.versions.read((error, version) => {
      if (version === undefined) {
        callback(error, undefined);
        return;
      }
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.version === version) {
        this.hits++;
        // Most recently used: to the end of the map's order.
        this.entries.delete(key);
        this.entries.set(key, entry);
        callback(undefined, entry.representation);
        return;
      }
      const pending = this.making.get(key);
      if (pending !== undefined && pending.version === version) {
        this.hits++;
        pending.waiting.push(callback);
        return;
      }
      this.misses++;
      const made = { version, waiting: [callback] };
      this.making.set(key, made);
      make().then(
        (answer) => {
          if (this.making.get(key) === made) this.making.delete(key);
          this.keep(key, version, answer);
          for (const waiting of made.waiting) waiting(undefined, answer);
        },
        (failure: unknown) => {
          if (this.making.get(key) === made) this.making.delete(key);
          for (const waiting of made.waiting) waiting(failure, undefined);
        },
      );
    });
  }

  /** Answers kept, and the bytes of their bodies (for tests and /metrics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private keep(key: string, version: number, representation: Representation): void {
    const size = representation.body.length;
    const old = this.entries.get(key);
    // An answer made for an older version, finishing after a newer one: keep the newer.
    if (old !== undefined && old.version > version) return;
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.representation.body.length;
    }
    if (size > this.maxBytes / 8) return;
    this.entries.set(key, { version, representation });
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.representation.body.length;
    }
  }
}
