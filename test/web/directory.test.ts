import { describe, expect, it } from 'vitest';
import type { ListedServer } from '../../src/client/index.js';
import { defaultDirection, filterRows, type Row, sortRows } from '../../web/src/browser/directory.js';

const server = (id: number, displayName: string, connectedUsers: number, maxUsers = 50): ListedServer => ({
  id,
  displayName,
  address: `10.0.0.${id}:5000`,
  connectedUsers,
  maxUsers,
});
const ok = (rttMs: number) => ({ status: 'ok' as const, rttMs, serverId: 0, at: 0, refreshing: false });
const rows: Row[] = [
  { server: server(1, 'beta', 3), ping: ok(40) },
  { server: server(2, 'Alpha', 10, 10), ping: ok(5) },
  { server: server(3, 'Gamma', 0), ping: { status: 'failed', error: 'cannot connect', at: 0, refreshing: false } },
  { server: server(4, 'Écluse', 3), ping: undefined },
  { server: server(5, 'delta', 7), ping: ok(12) },
];
const names = (r: Row[]) => r.map((x) => x.server.displayName);

describe('sorting the directory', () => {
  it('by name, case- and accent-insensitively', () => {
    expect(names(sortRows(rows, { key: 'name', direction: 'ascending' }))).toEqual([
      'Alpha',
      'beta',
      'delta',
      'Écluse',
      'Gamma',
    ]);
    expect(names(sortRows(rows, { key: 'name', direction: 'descending' }))).toEqual([
      'Gamma',
      'Écluse',
      'delta',
      'beta',
      'Alpha',
    ]);
  });

  it('by users, ties by name', () => {
    expect(names(sortRows(rows, { key: 'users', direction: 'descending' }))).toEqual([
      'Alpha',
      'delta',
      'beta',
      'Écluse',
      'Gamma',
    ]);
  });

  it('by ping, servers without a result last in either direction', () => {
    expect(names(sortRows(rows, { key: 'ping', direction: 'ascending' }))).toEqual([
      'Alpha',
      'delta',
      'beta',
      'Écluse',
      'Gamma',
    ]);
    expect(names(sortRows(rows, { key: 'ping', direction: 'descending' }))).toEqual([
      'beta',
      'delta',
      'Alpha',
      'Écluse',
      'Gamma',
    ]);
  });

  it('starts each column in its natural direction, and never mutates its input', () => {
    expect(defaultDirection('users')).toBe('descending');
    expect(defaultDirection('name')).toBe('ascending');
    expect(defaultDirection('ping')).toBe('ascending');
    const copy = [...rows];
    sortRows(rows, { key: 'name', direction: 'ascending' });
    expect(rows).toEqual(copy);
  });
});

describe('filtering the directory', () => {
  it('matches every word in the name or the address, ignoring case and accents', () => {
    expect(names(filterRows(rows, ''))).toHaveLength(5);
    expect(names(filterRows(rows, 'ALPHA'))).toEqual(['Alpha']);
    expect(names(filterRows(rows, 'ecluse'))).toEqual(['Écluse']);
    expect(names(filterRows(rows, '10.0.0.3'))).toEqual(['Gamma']);
    expect(names(filterRows(rows, 'a 5000'))).toEqual(['beta', 'Alpha', 'Gamma', 'delta']);
    expect(names(filterRows(rows, 'nothing'))).toEqual([]);
  });

  it('hides full servers when asked', () => {
    expect(names(filterRows(rows, '', true))).toEqual(['beta', 'Gamma', 'Écluse', 'delta']);
  });
});
