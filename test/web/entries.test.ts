import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryLog, type NewEntry } from '../../web/src/chat/entries.js';

const msg = (text: string, username = 'alice'): NewEntry => ({
  kind: 'message',
  time: 0,
  username,
  text,
  own: false,
  source: 'live',
});
const texts = (log: EntryLog) => log.snapshot().map((e) => (e.kind === 'message' ? e.text : `[${e.text}]`));

describe('EntryLog', () => {
  it('gives entries increasing ids and keeps their order', () => {
    const log = new EntryLog();
    const [a, b] = log.push(msg('a'), msg('b'));
    const [c] = log.push(msg('c'));
    expect([a?.id, b?.id, c?.id]).toEqual([1, 2, 3]);
    expect(texts(log)).toEqual(['a', 'b', 'c']);
  });

  it('keeps at most cap + slack entries, trimming back to the cap from the front', () => {
    const log = new EntryLog(100, 10);
    for (let i = 0; i < 110; i++) log.push(msg(String(i)));
    expect(log.length).toBe(110);
    expect(log.dropped).toBe(0);
    log.push(msg('110'));
    expect(log.length).toBe(100);
    expect(log.dropped).toBe(11);
    expect(texts(log)[0]).toBe('11');
    expect(texts(log).at(-1)).toBe('110');
  });

  it('holds 10,000 messages and more, bounded, in one pass per slack', () => {
    const log = new EntryLog(20_000, 1_000);
    for (let i = 0; i < 50_000; i++) log.push(msg(String(i)));
    expect(log.length).toBeLessThanOrEqual(21_000);
    expect(log.length).toBeGreaterThanOrEqual(20_000);
    expect(log.dropped + log.length).toBe(50_000);
    expect(texts(log).at(-1)).toBe('49999');
  });

  it('never holds more than cap + slack, and always the newest entries (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.integer({ min: 1, max: 30 })),
        (cap, slack, batches) => {
          const log = new EntryLog(cap, slack);
          let n = 0;
          for (const size of batches) {
            log.push(...Array.from({ length: size }, () => msg(String(n++))));
            expect(log.length).toBeLessThanOrEqual(cap + slack);
            expect(log.length).toBe(Math.min(n, log.length));
            expect(texts(log).at(-1)).toBe(String(n - 1));
            expect(log.dropped + log.length).toBe(n);
          }
        },
      ),
    );
  });

  it('hands out one immutable snapshot per change', () => {
    const log = new EntryLog();
    log.push(msg('a'));
    const first = log.snapshot();
    expect(log.snapshot()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    log.push(msg('b'));
    const second = log.snapshot();
    expect(second).not.toBe(first);
    expect(first.length).toBe(1);
    expect(second.length).toBe(2);
  });

  it('inserts before a floor id, removing what it is told to', () => {
    const log = new EntryLog();
    log.push(msg('old 1'), msg('old 2'));
    const floor = log.nextEntryId;
    const [live1] = log.push(msg('live 1'));
    log.push({ kind: 'notice', time: 0, tone: 'status', text: 'joined' });
    expect(log.before(floor).map((e) => (e.kind === 'message' ? e.text : ''))).toEqual(['old 1', 'old 2']);
    log.insertBefore(floor, [msg('missed 1'), msg('missed 2')], new Set([live1?.id ?? -1]));
    expect(texts(log)).toEqual(['old 1', 'old 2', 'missed 1', 'missed 2', '[joined]']);
    // No entry at or past the floor: at the end.
    log.insertBefore(log.nextEntryId + 5, [msg('end')]);
    expect(texts(log).at(-1)).toBe('end');
  });

  it('clears, counting what was dropped', () => {
    const log = new EntryLog();
    log.push(msg('a'), msg('b'));
    log.clear();
    expect(log.snapshot()).toEqual([]);
    expect(log.dropped).toBe(2);
    expect(log.push(msg('c'))[0]?.id).toBe(3);
  });
});
