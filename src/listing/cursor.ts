/**
 * Page cursors (contract §12): opaque to clients, tamper-evident, stateless.
 *
 * A cursor names the last entry of a page by its sort key and id (keyset pagination: the
 * next page is the entries after that position in the order, found through an index, so a
 * page costs the same at any depth and no entry moves between pages because others were
 * added or removed before it). It also carries the sort order, a fingerprint of the filters
 * (`q`, `notFull`, `notEmpty`) and when it was made, and is signed with HMAC-SHA-256 under a
 * secret kept in the listing's database (made by the migration that added cursors), so
 * every listing instance sharing that database accepts the cursors of the others, and no
 * other directory's.
 *
 * Refused with `400 invalid_cursor`: anything altered or made by another directory (the MAC),
 * a cursor used with another sort or other filters than its walk's, and one older than
 * 24 hours (CURSOR_MAX_AGE_MS). A forged position would only show a page that exists anyway, but
 * refusing it means a client bug (a cursor reused with other parameters, a cursor from
 * another listing) is an error rather than a silently wrong page.
 *
 * Format: base64url(JSON [1, sort, filters, issued hour, key, id]) "." base64url(MAC, 16 bytes).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';
import { filtersKey, type ListQuery, SORTS, type SortOrder } from './list-query.js';
import { nameKey } from './search.js';
import type { PublicServer } from './store/types.js';

/** Where a walk stands: the sort key and id of the last entry shown. */
export interface CursorPosition {
  /** The folded name (`sort=name`), the user count (`users`, `-users`), or the id (`id`). */
  key: string | number;
  id: number;
}

/** A cursor is refused once this long has passed since the hour it was made in (so it lasts 24 to 25 hours). */
export const CURSOR_MAX_AGE_MS = 25 * 60 * 60 * 1000;
/**
 * A cursor records the hour it was made in, not the second: a page read again within the
 * hour has the same `next`, so the same bytes and ETag (a revalidation answers 304).
 */
const HOUR_MS = 60 * 60 * 1000;
const VERSION = 1;
const MAC_BYTES = 16;

function refused(message: string): ApiError {
  return new ApiError('invalid_cursor', message);
}

/** The position of `server` in the order `sort`. */
export function positionOf(sort: SortOrder, server: PublicServer): CursorPosition {
  switch (sort) {
    case 'name':
      return { key: nameKey(server.displayName), id: server.id };
    case 'users':
    case '-users':
      return { key: server.connectedUsers, id: server.id };
    default:
      return { key: server.id, id: server.id };
  }
}

/** Fingerprints of the filters seen lately (a few distinct queries make most requests). */
const fingerprints = new Map<string, string>();

function fingerprint(query: ListQuery): string {
  const key = filtersKey(query);
  let print = fingerprints.get(key);
  if (print === undefined) {
    print = createHash('sha256').update(key).digest('base64url').slice(0, 11);
    if (fingerprints.size >= 1024) fingerprints.clear();
    fingerprints.set(key, print);
  }
  return print;
}

export class CursorCodec {
  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number,
  ) {
    if (secret.length < 16) throw new Error('the cursor secret must hold at least 128 bits');
  }

  /** The cursor of the page after `last`, for the walk `query`. */
  encode(query: ListQuery, last: PublicServer): string {
    const { key, id } = positionOf(query.sort, last);
    const issued = Math.floor(this.now() / HOUR_MS);
    const payload = Buffer.from(JSON.stringify([VERSION, query.sort, fingerprint(query), issued, key, id])).toString(
      'base64url',
    );
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The position `query.cursor` names; throws `invalid_cursor` when it is not valid for `query`. */
  decode(query: ListQuery & { cursor: string }): CursorPosition {
    const token = query.cursor;
    const dot = token.indexOf('.');
    const payload = dot < 0 ? '' : token.slice(0, dot);
    const given = Buffer.from(dot < 0 ? '' : token.slice(dot + 1), 'base64url');
    const expected = this.mac(payload);
    if (payload === '' || given.length !== MAC_BYTES || !timingSafeEqual(given, expected)) {
      throw refused(
        '"cursor" is not a cursor this directory made (altered, or from another listing): pass "next" unchanged',
      );
    }
    let fields: unknown;
    try {
      fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      fields = null;
    }
    // Signed by us, so well-formed unless the format changed: checked all the same.
    if (!Array.isArray(fields) || fields.length !== 6 || fields[0] !== VERSION) {
      throw refused('"cursor" is in a format this listing does not read: start again from the first page');
    }
    const [, sort, filters, issued, key, id] = fields as [number, unknown, unknown, unknown, unknown, unknown];
    if (sort !== query.sort) {
      const was = (SORTS as readonly unknown[]).includes(sort) ? `sort=${String(sort)}` : 'another sort';
      throw refused(`"cursor" continues a walk with ${was}, not sort=${query.sort}: send the same parameters`);
    }
    if (filters !== fingerprint(query)) {
      throw refused('"cursor" continues a walk with another q, notFull or notEmpty: send the same parameters');
    }
    if (typeof issued !== 'number' || this.now() - issued * HOUR_MS > CURSOR_MAX_AGE_MS) {
      throw refused('"cursor" has expired (cursors last 24 hours): start again from the first page');
    }
    const keyOk =
      query.sort === 'name'
        ? typeof key === 'string'
        : typeof key === 'number' && Number.isSafeInteger(key) && key >= 0;
    if (!keyOk || typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw refused('"cursor" does not name a position: start again from the first page');
    }
    return { key: key as string | number, id };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret)
      .update('c2-listing-cursor\n')
      .update(payload)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
