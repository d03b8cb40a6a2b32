import { describe, expect, it } from 'vitest';
import { computeOffsets, findRow, rowAt, visibleRange } from '../../web/src/chat/virtual.js';

describe('virtual list layout', () => {
  const ids = [10, 11, 12, 13, 14];
  const heights = new Map([
    [11, 100],
    [13, 5],
  ]);
  const offsets = computeOffsets(ids, heights, 20);

  it('puts measured heights and the estimate end to end', () => {
    expect([...offsets]).toEqual([0, 20, 120, 140, 145, 165]);
    expect([...computeOffsets([], heights, 20)]).toEqual([0]);
  });

  it('finds the row at a height', () => {
    expect(rowAt(offsets, -5)).toBe(0);
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 19.9)).toBe(0);
    expect(rowAt(offsets, 20)).toBe(1);
    expect(rowAt(offsets, 119)).toBe(1);
    expect(rowAt(offsets, 142)).toBe(3);
    expect(rowAt(offsets, 10_000)).toBe(4);
    expect(rowAt(computeOffsets([], heights, 20), 0)).toBe(-1);
  });

  it('renders the rows in view plus the overscan', () => {
    expect(visibleRange(offsets, 0, 30, 0)).toEqual([0, 2]);
    expect(visibleRange(offsets, 125, 10, 0)).toEqual([2, 3]);
    expect(visibleRange(offsets, 125, 10, 10)).toEqual([1, 5]);
    expect(visibleRange(offsets, 125, 10, 5)).toEqual([2, 4]);
    expect(visibleRange(offsets, 0, 1000, 0)).toEqual([0, 5]);
    expect(visibleRange(computeOffsets([], heights, 20), 0, 100, 100)).toEqual([0, 0]);
  });

  it('keeps the rendered window small however long the list', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => i);
    const big = computeOffsets(many, new Map(), 30);
    const [start, end] = visibleRange(big, 300_000, 600, 800);
    expect(end - start).toBeLessThan(80);
    expect(start).toBeGreaterThan(9_000);
  });

  it('finds a row again by id after the list changed', () => {
    expect(findRow(ids, 12, 2)).toBe(2);
    expect(findRow([12, 13, 14], 12, 2)).toBe(0);
    expect(findRow([13, 14], 12, 2)).toBe(-1);
  });
});
