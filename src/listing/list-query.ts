/**
 * The query parameters of `GET /servers` (contract §12), parsed and checked. Pure.
 *
 * Every parameter is optional; an unknown one, one given twice, or a bad value is a
 * `400 invalid_query` naming it. Without parameters (or with only `sort=id`) the answer is
 * the seed's whole list, served from the cache (`list-cache.ts`); anything else is a query
 * of the store (`store/types.ts` `ListingStore.page`).
 */
import { codePointLength, containsControl } from '../protocol/rules.js';
import { ApiError } from './errors.js';
import { fold } from './search.js';

export const SORTS = ['id', 'name', 'users', '-users'] as const;
export type SortOrder = (typeof SORTS)[number];

export const MAX_LIMIT = 1000;
export const MAX_Q_LENGTH = 100;
export const MAX_CURSOR_LENGTH = 512;
export const PARAMETERS = ['q', 'notFull', 'notEmpty', 'sort', 'limit', 'cursor'] as const;

/** What selects the entries, apart from where a page starts and how many it holds. */
export interface ListFilters {
  /** `q` folded (search.ts), or null when absent or only white space. */
  q: string | null;
  notFull: boolean;
  notEmpty: boolean;
}

export interface ListQuery extends ListFilters {
  sort: SortOrder;
  /** Page size, or null for every matching entry (then the answer has no `next`). */
  limit: number | null;
  /** The `next` of the previous page, as sent (checked by cursor.ts). */
  cursor: string | null;
}

/** The answer to a request without parameters. */
export const WHOLE_LIST: Readonly<ListQuery> = Object.freeze({
  q: null,
  notFull: false,
  notEmpty: false,
  sort: 'id',
  limit: null,
  cursor: null,
});

/** Whether `query` asks for the seed's answer: every server, by id, in one body. */
export function isWholeList(query: ListQuery): boolean {
  return query.limit === null && query.q === null && !query.notFull && !query.notEmpty && query.sort === 'id';
}

function invalid(message: string): ApiError {
  return new ApiError('invalid_query', message);
}

function flag(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalid(`"${name}" must be true or false`);
}

/**
 * The parsed query string (values are strings, or arrays when a name is repeated) as a
 * ListQuery; throws ApiError `invalid_query` / `invalid_cursor`.
 */
export function parseListQuery(raw: Record<string, unknown> | null | undefined): ListQuery {
  if (raw === null || raw === undefined) return WHOLE_LIST;
  const names = Object.keys(raw);
  if (names.length === 0) return WHOLE_LIST;
  const query: ListQuery = { ...WHOLE_LIST };
  for (const name of names) {
    const value = raw[name];
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw invalid(
        `unknown parameter "${printableName(name)}"; the parameters are q, notFull, notEmpty, sort, limit and cursor`,
      );
    }
    if (typeof value !== 'string') throw invalid(`"${name}" is given more than once`);
    switch (name) {
      case 'q':
        query.q = parseQ(value);
        break;
      case 'notFull':
        query.notFull = flag(name, value);
        break;
      case 'notEmpty':
        query.notEmpty = flag(name, value);
        break;
      case 'sort':
        if (!(SORTS as readonly string[]).includes(value)) throw invalid('"sort" must be name, users, -users or id');
        query.sort = value as SortOrder;
        break;
      case 'limit':
        query.limit = parseLimit(value);
        break;
      case 'cursor':
        if (value.length === 0 || value.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_.-]+$/.test(value)) {
          throw new ApiError('invalid_cursor', '"cursor" is not a cursor this listing made: pass "next" unchanged');
        }
        query.cursor = value;
        break;
    }
  }
  if (query.cursor !== null && query.limit === null) {
    throw invalid('"cursor" needs "limit": send the same parameters as for the previous page, with its "next"');
  }
  return query;
}

function parseQ(value: string): string | null {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (codePointLength(trimmed) > MAX_Q_LENGTH) throw invalid(`"q" must be at most ${MAX_Q_LENGTH} characters`);
  if (containsControl(trimmed)) throw invalid('"q" may not contain control characters');
  return fold(trimmed);
}

function parseLimit(value: string): number {
  const n = /^[1-9][0-9]{0,3}$/.test(value) ? Number(value) : 0;
  if (n < 1 || n > MAX_LIMIT) throw invalid(`"limit" must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

/** A parameter name as it may be quoted back: short, without control characters. */
function printableName(name: string): string {
  const clean = name.replace(/[\p{Cc}\p{Cf}]/gu, '?');
  return codePointLength(clean) > 40 ? `${[...clean].slice(0, 40).join('')}…` : clean;
}

/** The filters as one canonical string: a cursor is bound to it (cursor.ts). */
export function filtersKey(filters: ListFilters): string {
  return JSON.stringify([filters.q, filters.notFull, filters.notEmpty]);
}
