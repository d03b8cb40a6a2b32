/** Sorting and filtering the server directory. Pure. */
import type { ListedServer } from '../../../src/client/index.js';

export type PingState =
  | { status: 'pending' }
  | { status: 'ok'; rttMs: number; serverId: number; at: number; refreshing: boolean }
  | { status: 'failed'; error: string; at: number; refreshing: boolean };

export type SortKey = 'name' | 'users' | 'ping';
export type SortDirection = 'ascending' | 'descending';

export interface SortOrder {
  key: SortKey;
  direction: SortDirection;
}

export interface Row {
  server: ListedServer;
  ping: PingState | undefined;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function rttOf(row: Row): number | null {
  return row.ping?.status === 'ok' ? row.ping.rttMs : null;
}

/** The natural first direction of a column: names A→Z, busiest first, fastest first. */
export function defaultDirection(key: SortKey): SortDirection {
  return key === 'users' ? 'descending' : 'ascending';
}

/**
 * Sorted rows (a new array). Servers without a ping result sort after those with one, in
 * either direction; ties go by name, then id.
 */
export function sortRows(rows: readonly Row[], order: SortOrder): Row[] {
  const sign = order.direction === 'ascending' ? 1 : -1;
  const byName = (a: Row, b: Row) =>
    collator.compare(a.server.displayName, b.server.displayName) || a.server.id - b.server.id;
  const byUsers = (a: Row, b: Row) => sign * (a.server.connectedUsers - b.server.connectedUsers) || byName(a, b);
  const byPing = (a: Row, b: Row) => {
    const ra = rttOf(a);
    const rb = rttOf(b);
    if (ra === null || rb === null) return ra === rb ? byName(a, b) : ra === null ? 1 : -1;
    return sign * (ra - rb) || byName(a, b);
  };
  const compare =
    order.key === 'users' ? byUsers : order.key === 'ping' ? byPing : (a: Row, b: Row) => sign * byName(a, b);
  return [...rows].sort(compare);
}

/** Rows whose name or address contains every word of `query` (case- and accent-insensitive). */
export function filterRows(rows: readonly Row[], query: string, hideFull = false): Row[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  return rows.filter((row) => {
    if (hideFull && row.server.connectedUsers >= row.server.maxUsers) return false;
    if (words.length === 0) return true;
    const haystack = fold(`${row.server.displayName} ${row.server.address}`);
    return words.every((w) => haystack.includes(w));
  });
}

function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

export function isFull(server: ListedServer): boolean {
  return server.connectedUsers >= server.maxUsers;
}
