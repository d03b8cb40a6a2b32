/**
 * The server directory's query, its orders and the arithmetic of its virtualised rows.
 * Pure. Searching, filtering and sorting are the listing's (contract §12), so that a
 * directory of 100,000 servers is never downloaded whole.
 */
import type { ListedServer, ListingSort } from '../../../src/client/index.js';

export type PingState =
  | { status: 'pending' }
  | { status: 'ok'; rttMs: number; serverId: number; at: number; refreshing: boolean }
  | { status: 'failed'; error: string; at: number; refreshing: boolean };

/** What the directory shows: the listing's query parameters, as the controls hold them. */
export interface DirectoryQuery {
  /** The search box as typed (the listing ignores leading and trailing white space). */
  q: string;
  notFull: boolean;
  notEmpty: boolean;
  sort: ListingSort;
}

export const DEFAULT_QUERY: Readonly<DirectoryQuery> = Object.freeze({
  q: '',
  notFull: false,
  notEmpty: false,
  sort: 'name',
});

/** The orders offered, in the sort menu's order. */
export const SORT_CHOICES: readonly { sort: ListingSort; label: string }[] = [
  { sort: 'name', label: 'Name (A–Z)' },
  { sort: '-users', label: 'Users (most first)' },
  { sort: 'users', label: 'Users (fewest first)' },
  { sort: 'id', label: 'Server id' },
];

/** The order a column header's button selects: Name → A–Z; Users → most first, then fewest first. */
export function sortForColumn(column: 'name' | 'users', current: ListingSort): ListingSort {
  if (column === 'name') return 'name';
  return current === '-users' ? 'users' : '-users';
}

/** How a column's header states the order (`aria-sort`). */
export function ariaSort(column: 'name' | 'users', sort: ListingSort): 'ascending' | 'descending' | 'none' {
  if (column === 'name') return sort === 'name' ? 'ascending' : 'none';
  return sort === 'users' ? 'ascending' : sort === '-users' ? 'descending' : 'none';
}

/** Whether two queries select the same servers in the same order (after trimming the search text). */
export function sameQuery(a: DirectoryQuery, b: DirectoryQuery): boolean {
  return a.q.trim() === b.q.trim() && a.notFull === b.notFull && a.notEmpty === b.notEmpty && a.sort === b.sort;
}

/**
 * The rows to render for a list of `count` rows of `rowHeight` pixels scrolled to
 * `scrollTop` in a viewport of `viewport` pixels, with `overscan` rows more above and
 * below: [start, end).
 */
export function rowWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  count: number,
  overscan: number,
): [number, number] {
  if (count <= 0 || rowHeight <= 0) return [0, 0];
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewport)) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, Math.max(start, last + overscan));
  return [start, end];
}

/** The rows actually in view (no overscan): [start, end). */
export function rowsInView(scrollTop: number, viewport: number, rowHeight: number, count: number): [number, number] {
  return rowWindow(scrollTop, viewport, rowHeight, count, 0);
}

export function isFull(server: ListedServer): boolean {
  return server.connectedUsers >= server.maxUsers;
}
