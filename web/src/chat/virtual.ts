/**
 * The arithmetic of the virtualised message pane (message-list.tsx). Pure.
 *
 * Rows have different heights (a message may wrap over many lines), so each row's height
 * is measured once it has been rendered and kept by id; rows never rendered count as
 * `estimate`. `offsets[i]` is the top of row i, `offsets[n]` the total height.
 */

export function computeOffsets(
  ids: readonly number[],
  heights: ReadonlyMap<number, number>,
  estimate: number,
): Float64Array {
  const offsets = new Float64Array(ids.length + 1);
  let y = 0;
  for (let i = 0; i < ids.length; i++) {
    offsets[i] = y;
    y += heights.get(ids[i] as number) ?? estimate;
  }
  offsets[ids.length] = y;
  return offsets;
}

/** The row at height `y`: the largest i with offsets[i] <= y, clamped to the rows (−1 when none). */
export function rowAt(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((offsets[mid] as number) <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The rows to render for a viewport at `scrollTop` of height `viewport`, with `overscan`
 * pixels of extra rows above and below: [start, end).
 */
export function visibleRange(
  offsets: Float64Array,
  scrollTop: number,
  viewport: number,
  overscan: number,
): [number, number] {
  const n = offsets.length - 1;
  if (n <= 0) return [0, 0];
  const start = Math.max(0, rowAt(offsets, scrollTop - overscan));
  const end = Math.min(n, rowAt(offsets, scrollTop + viewport + overscan) + 1);
  return [start, Math.max(start, end)];
}

/** Where a row is found again after the list changed: `hint` first, else a search by id (−1 when gone). */
export function findRow(ids: readonly number[], id: number, hint: number): number {
  if (ids[hint] === id) return hint;
  return ids.indexOf(id);
}
