import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newHistoryStart, type Said, stripLiveTail } from '../../web/src/chat/history-merge.js';

const said = (...texts: string[]): Said[] => texts.map((t) => ({ username: t.split(':')[0] ?? '', text: t }));

describe('stripLiveTail', () => {
  it('drops the messages that also arrived live, which end the answer', () => {
    expect(stripLiveTail(said('a:1', 'b:2', 'a:3'), said('b:2', 'a:3'))).toEqual(said('a:1'));
    expect(stripLiveTail(said('a:1'), [])).toEqual(said('a:1'));
    expect(stripLiveTail(said('a:1', 'b:2'), said('a:1', 'b:2'))).toEqual([]);
    // More live than the answer holds: the answer is all live.
    expect(stripLiveTail(said('b:2', 'a:3'), said('a:1', 'b:2', 'a:3'))).toEqual([]);
  });

  it('keeps the answer whole when it does not end with them', () => {
    expect(stripLiveTail(said('a:1', 'b:2'), said('c:9'))).toEqual(said('a:1', 'b:2'));
  });
});

describe('newHistoryStart', () => {
  it('starts after the last message already shown', () => {
    expect(newHistoryStart(said('a:1', 'b:2'), said('a:1', 'b:2', 'c:3', 'd:4'))).toEqual({ start: 2, gap: false });
    expect(newHistoryStart(said('x:0', 'a:1', 'b:2'), said('a:1', 'b:2', 'c:3'))).toEqual({ start: 2, gap: false });
    expect(newHistoryStart(said('a:1', 'b:2'), said('b:2', 'c:3'))).toEqual({ start: 1, gap: false });
    expect(newHistoryStart(said('a:1', 'b:2'), said('a:1', 'b:2'))).toEqual({ start: 2, gap: false });
  });

  it('takes everything on a first join', () => {
    expect(newHistoryStart([], said('a:1', 'b:2'))).toEqual({ start: 0, gap: false });
    expect(newHistoryStart(said('a:1'), [])).toEqual({ start: 0, gap: false });
  });

  it('is not fooled by a repeated message', () => {
    // "hi" was the last seen; "hi" was said again after the disconnect.
    const known = said('a:x', 'b:hi');
    const history = said('a:x', 'b:hi', 'c:y', 'b:hi');
    expect(newHistoryStart(known, history)).toEqual({ start: 2, gap: false });
  });

  it('reports a gap when nothing matches', () => {
    expect(newHistoryStart(said('a:1', 'b:2'), said('c:3', 'd:4'))).toEqual({ start: 0, gap: true });
  });

  it('shows every message once across a reconnect (property)', () => {
    // A conversation of n messages with unique texts; the client saw the first `seen`,
    // the server's answer is a window of the last `size` messages.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        (n, seenRaw, size) => {
          const all = Array.from({ length: n }, (_, i) => ({ username: `u${i % 3}`, text: `m${i}` }));
          const seen = Math.min(seenRaw, n);
          const known = all.slice(0, seen);
          const history = all.slice(Math.max(0, n - size));
          const { start, gap } = newHistoryStart(known, history);
          const shown = [...known, ...history.slice(start)];
          const windowStart = Math.max(0, n - size);
          if (seen === 0 || history.length === 0) {
            expect({ start, gap }).toEqual({ start: 0, gap: false });
          } else if (seen > windowStart) {
            // The answer overlaps what was seen: every message once, nothing lost.
            expect(shown).toEqual(all);
            expect(gap).toBe(false);
          } else {
            // Nothing in common: possibly missed messages, said so; never a duplicate.
            expect(gap).toBe(true);
            expect(shown).toEqual([...known, ...history]);
            expect(new Set(shown.map((m) => m.text)).size).toBe(shown.length);
          }
        },
      ),
    );
  });
});
