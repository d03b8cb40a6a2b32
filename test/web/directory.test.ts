import { describe, expect, it } from 'vitest';
import type { ListedServer } from '../../src/client/index.js';
import {
  ariaSort,
  DEFAULT_QUERY,
  isFull,
  rowsInView,
  rowWindow,
  SORT_CHOICES,
  sameQuery,
  sortForColumn,
} from '../../web/src/browser/directory.js';

const server = (id: number, connectedUsers: number, maxUsers = 50): ListedServer => ({
  id,
  displayName: `s${id}`,
  address: `10.0.0.${id}:5000`,
  connectedUsers,
  maxUsers,
  tls: false,
});

describe('the directory query', () => {
  it("starts by name, unfiltered; the orders offered are the listing's", () => {
    expect(DEFAULT_QUERY).toEqual({ q: '', notFull: false, notEmpty: false, sort: 'name' });
    expect(SORT_CHOICES.map((c) => c.sort).sort()).toEqual(['-users', 'id', 'name', 'users']);
  });

  it('column headers: Name sorts A–Z; Users most first, then fewest first', () => {
    expect(sortForColumn('name', '-users')).toBe('name');
    expect(sortForColumn('users', 'name')).toBe('-users');
    expect(sortForColumn('users', '-users')).toBe('users');
    expect(sortForColumn('users', 'users')).toBe('-users');
    expect(ariaSort('name', 'name')).toBe('ascending');
    expect(ariaSort('name', 'users')).toBe('none');
    expect(ariaSort('users', '-users')).toBe('descending');
    expect(ariaSort('users', 'users')).toBe('ascending');
    expect(ariaSort('users', 'id')).toBe('none');
  });

  it('queries differing only in white space around the search text are the same', () => {
    expect(sameQuery({ ...DEFAULT_QUERY, q: ' x ' }, { ...DEFAULT_QUERY, q: 'x' })).toBe(true);
    expect(sameQuery({ ...DEFAULT_QUERY, q: 'x' }, { ...DEFAULT_QUERY, q: 'y' })).toBe(false);
    expect(sameQuery(DEFAULT_QUERY, { ...DEFAULT_QUERY, notFull: true })).toBe(false);
    expect(sameQuery(DEFAULT_QUERY, { ...DEFAULT_QUERY, sort: 'id' })).toBe(false);
  });

  it('a server is full when its users reach its maximum', () => {
    expect(isFull(server(1, 50))).toBe(true);
    expect(isFull(server(1, 49))).toBe(false);
  });
});

describe('the rows to render', () => {
  it('the rows in view plus the overscan, clamped to the list', () => {
    // 40-pixel rows, a 400-pixel view.
    expect(rowWindow(0, 400, 40, 100_000, 5)).toEqual([0, 15]);
    expect(rowWindow(4000, 400, 40, 100_000, 5)).toEqual([95, 115]);
    expect(rowWindow(4020, 400, 40, 100_000, 5)).toEqual([95, 116]);
    expect(rowWindow(3_999_600, 400, 40, 100_000, 5)).toEqual([99_985, 100_000]);
    // Past the end (the list shrank under the view): nothing rather than rows that do not exist.
    expect(rowWindow(10_000, 400, 40, 10, 5)).toEqual([10, 10]);
    expect(rowWindow(0, 400, 40, 0, 5)).toEqual([0, 0]);
    expect(rowWindow(-50, 400, 40, 3, 5)).toEqual([0, 3]);
  });

  it('however long the list, the window stays the same size', () => {
    for (const count of [1_000, 100_000, 1_000_000]) {
      const [start, end] = rowWindow(count * 20, 800, 40, count, 8);
      expect(end - start).toBe(36);
    }
  });

  it('in view means without the overscan', () => {
    expect(rowsInView(0, 400, 40, 100)).toEqual([0, 10]);
    expect(rowsInView(60, 400, 40, 100)).toEqual([1, 12]);
  });
});
