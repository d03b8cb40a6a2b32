import { describe, expect, it } from 'vitest';
import { History } from '../../src/server/history.js';
import { ServerStore } from '../../src/server/store.js';

describe('History', () => {
  it('returns the last n messages oldest first, bounded by its capacity', () => {
    const store = new ServerStore();
    const history = new History(store, 5, 100, () => {});
    expect(history.last(3)).toEqual([]);
    for (let i = 0; i < 8; i++) history.record('u', `m${i}`, i);
    expect(history.last(3).map((m) => m.text)).toEqual(['m5', 'm6', 'm7']);
    expect(history.last(50).map((m) => m.text)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(history.last(0)).toEqual([]);
    store.close();
  });

  it('writes in batches and keeps only the newest rows in the store', () => {
    const store = new ServerStore();
    const history = new History(store, 10, 20, () => {}, 60_000, 7);
    for (let i = 0; i < 6; i++) history.record('u', `m${i}`, i);
    expect(store.recentMessages(100)).toEqual([]); // still pending: one batch, not six writes
    history.record('u', 'm6', 6); // the 7th fills the batch
    expect(store.recentMessages(100)).toHaveLength(7);
    for (let i = 7; i < 50; i++) history.record('u', `m${i}`, i);
    history.flush();
    const kept = store.recentMessages(100);
    expect(kept).toHaveLength(20);
    expect(kept[0]).toEqual({ username: 'u', text: 'm30', time: 30 });
    expect(kept[19]?.text).toBe('m49');
    // A new History over the same store starts from what was kept.
    expect(new History(store, 3, 20, () => {}).last(3).map((m) => m.text)).toEqual(['m47', 'm48', 'm49']);
    store.close();
  });

  it('reports a failed write and carries on', () => {
    const store = new ServerStore();
    const errors: unknown[] = [];
    const history = new History(store, 5, 100, (e) => errors.push(e));
    store.close();
    history.record('u', 'lost from disk', 1);
    history.flush();
    expect(errors).toHaveLength(1);
    expect(history.last(1).map((m) => m.text)).toEqual(['lost from disk']);
  });
});
