import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/server/history.js';
import { ServerStore } from '../../src/server/store.js';

const stores: ServerStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function memoryStore(): ServerStore {
  const store = new ServerStore();
  stores.push(store);
  return store;
}

/** A log whose groups are committed only when the test says so. */
function log(store: ServerStore, keep = 100, capacity?: number): MessageLog<string> {
  return new MessageLog<string>(store, keep, () => {}, capacity);
}

const texts = (messages: Array<{ text: string }>) => messages.map((m) => m.text);

describe('MessageLog', () => {
  it('numbers messages 1, 2, 3… and makes them visible only once committed', () => {
    const l = log(memoryStore());
    expect(l.lastSeq).toBe(0);
    l.append('u', 'a', 1, 'alice');
    l.append('u', 'b', 2, 'bob');
    expect(l.hasPending).toBe(true);
    expect(l.last(10)).toEqual([]);
    const commit = l.commit();
    expect(commit.ok).toBe(true);
    expect(commit.batch.map((p) => [p.message.seq, p.sender])).toEqual([
      [1, 'alice'],
      [2, 'bob'],
    ]);
    expect(l.lastSeq).toBe(2);
    expect(l.last(10)).toEqual([
      { seq: 1, username: 'u', text: 'a', time: 1 },
      { seq: 2, username: 'u', text: 'b', time: 2 },
    ]);
  });

  it('writes a whole group in one commit, and trims the store to the history size', () => {
    const store = memoryStore();
    const l = log(store, 20, 10);
    for (let i = 0; i < 50; i++) {
      l.append('u', `m${i}`, i, null);
      if (i % 7 === 6) l.commit();
    }
    expect(store.lastSeq()).toBe(49); // 7 groups of 7 written; the 50th still pending
    expect(store.recentMessages(100)).toHaveLength(20);
    l.commit();
    const kept = store.recentMessages(100);
    expect(kept).toHaveLength(20);
    expect(kept[0]).toEqual({ seq: 31, username: 'u', text: 'm30', time: 30 });
    expect(texts(l.last(3))).toEqual(['m47', 'm48', 'm49']);
    expect(l.last(100)).toHaveLength(10); // the ring holds its capacity
  });

  it('continues the sequence and keeps the epoch across a restart, even with the history trimmed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2-log-'));
    dirs.push(dir);
    const first = new ServerStore(dir);
    const l1 = new MessageLog<null>(first, 3, () => {});
    for (let i = 0; i < 5; i++) l1.append('u', `m${i}`, i, null);
    l1.commit();
    const epoch = l1.epoch;
    expect(epoch).toMatch(/^[0-9a-f]{16}$/);
    first.close();
    const second = new ServerStore(dir);
    stores.push(second);
    const l2 = new MessageLog<null>(second, 3, () => {});
    expect(l2.epoch).toBe(epoch);
    expect(l2.lastSeq).toBe(5);
    expect(l2.last(10).map((m) => m.seq)).toEqual([3, 4, 5]);
    l2.append('u', 'next', 9, null);
    l2.commit();
    expect(l2.lastSeq).toBe(6);
    // A new store is a new epoch.
    expect(new MessageLog<null>(memoryStore(), 3, () => {}).epoch).not.toBe(epoch);
  });

  it('answers after(seq) from the ring, then from the store, and says when seq + 1 is gone', () => {
    const store = memoryStore();
    const l = log(store, 50, 10);
    for (let i = 1; i <= 60; i++) l.append('u', `m${i}`, i, null);
    l.commit();
    // In the ring (seqs 51–60).
    expect(l.after(55, 3)).toEqual({ retained: true, messages: l.last(5).slice(0, 3) });
    expect(l.after(60, 10)).toEqual({ retained: true, messages: [] });
    // In the store only (seqs 11–60 kept).
    const fromStore = l.after(20, 5);
    expect(fromStore.retained).toBe(true);
    expect(fromStore.messages.map((m) => m.seq)).toEqual([21, 22, 23, 24, 25]);
    expect(l.after(10, 5).retained).toBe(true);
    // Seq 10 itself was trimmed: after(9) cannot be complete.
    expect(l.after(9, 5).retained).toBe(false);
    expect(l.after(0, 5).retained).toBe(false);
  });

  it('takes the seqs of a group back when its write fails, and nothing of it is kept', () => {
    const store = memoryStore();
    const l = log(store);
    l.append('u', 'kept', 1, null);
    l.commit();
    store.close();
    l.append('u', 'lost', 2, 'alice');
    const commit = l.commit();
    expect(commit.ok).toBe(false);
    expect(commit.batch.map((p) => p.sender)).toEqual(['alice']);
    expect(l.lastSeq).toBe(1);
    expect(texts(l.last(5))).toEqual(['kept']);
  });

  it('asks for a commit at the end of the turn, once per group', async () => {
    let calls = 0;
    const l = new MessageLog<null>(memoryStore(), 10, () => {
      calls++;
      l.commit();
    });
    l.append('u', 'a', 1, null);
    l.append('u', 'b', 2, null);
    expect(calls).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
    expect(l.lastSeq).toBe(2);
  });
});
