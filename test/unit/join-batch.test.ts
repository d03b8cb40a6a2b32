import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../../src/server/connection.js';
import { JoinBatch } from '../../src/server/join-batch.js';

/** A stand-in joiner: the batch only uses connections as map keys. */
const joiner = (): Connection => ({}) as Connection;
const frame = Buffer.from('\x81\x0dc2/CONNECT abc');

/** A batch whose flushes "write" to `members` members, recording how many joins each carried. */
function batchOf(members: () => number) {
  const flushes: number[] = [];
  const batch: JoinBatch = new JoinBatch(() => {
    flushes.push(batch.take()?.count ?? 0);
    return members();
  });
  return { batch, flushes };
}

describe('JoinBatch: when join announcements are written', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('announces a join in a quiet room within a millisecond', () => {
    const { batch, flushes } = batchOf(() => 10_000);
    batch.add(frame, joiner());
    expect(flushes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(flushes).toEqual([1]);
    // Long after that flush, a join is announced at once again, whatever the room's size.
    vi.advanceTimersByTime(10_000);
    batch.add(frame, joiner());
    vi.advanceTimersByTime(1);
    expect(flushes).toEqual([1, 1]);
  });

  it("spaces a storm's flushes by the writes they make (50 ms for 1,000 members, at most 500 ms)", () => {
    let members = 1_000;
    const { batch, flushes } = batchOf(() => members);
    batch.add(frame, joiner());
    vi.advanceTimersByTime(1); // flushed: 1,000 writes
    for (let i = 0; i < 10; i++) batch.add(frame, joiner());
    vi.advanceTimersByTime(49);
    expect(flushes).toEqual([1]);
    vi.advanceTimersByTime(1); // 50 ms after the first flush (1,000 / 20,000 s): the ten joins together
    expect(flushes).toEqual([1, 10]);

    members = 100_000;
    batch.add(frame, joiner());
    vi.advanceTimersByTime(50); // the last flush wrote to 1,000
    expect(flushes).toEqual([1, 10, 1]);
    // That one wrote to 100,000 members: 5 s of spacing by the rate, capped at 500 ms.
    batch.add(frame, joiner());
    vi.advanceTimersByTime(499);
    expect(flushes).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(flushes).toEqual([1, 10, 1, 1]);
  });

  it('writes a batch at once when it reaches 64 KiB', () => {
    const { batch, flushes } = batchOf(() => 1_000);
    const big = Buffer.alloc(16 * 1024);
    for (let i = 0; i < 4; i++) batch.add(big, joiner());
    expect(flushes).toEqual([4]);
  });
});
