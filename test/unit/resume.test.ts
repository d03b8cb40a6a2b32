/**
 * The resume state machine (src/client/resume.ts) against a model of a server that keeps
 * the contract's counting rule: every broadcast after the join reaches the connection, in
 * seq order, interleaved in any way with the answers to its questions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ResumeOutput, type SeqPosition, SequenceTracker } from '../../src/client/resume.js';
import type { ChatMessage, HistoryAfterAnswer, HistoryEntry, ResumedEvent } from '../../src/client/types.js';

interface World {
  epoch: string;
  /** Messages of the sequence so far: seq = index + 1. */
  seq: number;
  /** Messages the server still holds (its history size). */
  keep: number;
  /** Page size of history_after. */
  page: number;
}

const entry = (seq: number): HistoryEntry => ({ seq, username: `u${seq % 3}`, text: `m${seq}`, time: 1000 + seq });

function answerAfter(w: World, epoch: string, after: number): HistoryAfterAnswer {
  const oldest = Math.max(1, w.seq - w.keep + 1);
  if (epoch !== w.epoch || (after + 1 < oldest && after < w.seq)) {
    const from = Math.max(oldest, w.seq - w.page + 1);
    const messages = [];
    for (let s = from; s <= w.seq; s++) messages.push(entry(s));
    return { epoch: w.epoch, lastSeq: w.seq, recovered: false, more: false, messages };
  }
  const messages = [];
  for (let s = after + 1; s <= Math.min(w.seq, after + w.page); s++) messages.push(entry(s));
  const last = messages.at(-1)?.seq ?? after;
  return { epoch: w.epoch, lastSeq: w.seq, recovered: true, more: last < w.seq, messages };
}

type Step = 'broadcast' | 'answer';

/** Runs a connection: the join at `w.seq`, then `steps` in wire order, then the remaining answers. */
function run(w: World, start: { from: SeqPosition | null; reconnect: boolean }, steps: Step[]) {
  const t = new SequenceTracker({ ...start, lostAt: 500 });
  const joinPoint = w.seq;
  const out: ResumeOutput[] = [];
  const questions: Array<{ kind: 'info' } | { kind: 'after'; epoch: string; after: number }> = [t.firstQuestion];
  const take = (o: ResumeOutput[]) => {
    for (const x of o) {
      out.push(x);
      if (x.kind === 'ask') questions.push({ kind: 'after', epoch: x.epoch, after: x.after });
    }
  };
  const answer = () => {
    const q = questions.shift();
    if (q === undefined) return;
    if (q.kind === 'info') take(t.info({ epoch: w.epoch, lastSeq: w.seq }, 9999));
    else take(t.after(answerAfter(w, q.epoch, q.after), 'u0', 9999));
  };
  const broadcast = () => {
    w.seq++;
    const e = entry(w.seq);
    take(t.live({ username: e.username, text: e.text, own: false, server: false, time: 2000 + w.seq }));
  };
  for (const s of steps) (s === 'broadcast' ? broadcast : answer)();
  while (questions.length > 0) answer();
  broadcast();
  const messages = out.filter((o) => o.kind === 'message').map((o) => o.message);
  const resumed = out.filter((o) => o.kind === 'resumed').map((o) => o.event);
  const resumedAt = out.findIndex((o) => o.kind === 'resumed');
  return { t, joinPoint, out, messages, resumed, resumedAt };
}

const steps = fc.array(fc.constantFrom<Step>('broadcast', 'answer'), { maxLength: 60 });

describe('SequenceTracker', () => {
  it('first connect: counts back from lastSeq, then every message is the next seq (property)', () => {
    fc.assert(
      fc.property(fc.nat(50), steps, (before, s) => {
        const w: World = { epoch: 'e1', seq: before, keep: 10_000, page: 500 };
        const { messages, resumed, t } = run(w, { from: null, reconnect: false }, s);
        expect(messages.map((m) => m.seq)).toEqual(range(before + 1, w.seq));
        expect(messages.every((m) => !m.replayed && m.text === `m${m.seq}`)).toBe(true);
        expect(resumed).toEqual([]);
        expect(t.position).toEqual({ epoch: 'e1', seq: w.seq });
      }),
    );
  });

  it('reconnect: pages join into the exact sequence, live duplicates dropped, missed ones first (property)', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.nat(60), fc.integer({ min: 1, max: 7 }), steps, (had, away, page, s) => {
        const w: World = { epoch: 'e1', seq: had + away, keep: 10_000, page };
        const { messages, resumed, resumedAt, out, joinPoint, t } = run(
          w,
          { from: { epoch: 'e1', seq: had }, reconnect: true },
          s,
        );
        expect(messages.map((m) => m.seq)).toEqual(range(had + 1, w.seq));
        expect(messages.every((m) => m.text === `m${m.seq}` && m.replayed === (m.seq as number) <= joinPoint)).toBe(
          true,
        );
        expect(resumed).toEqual([{ recovered: true, restored: away }]);
        // The resumed event comes after the replayed messages and before any live one.
        const before = out.slice(0, resumedAt).filter((o) => o.kind === 'message');
        expect(before.every((o) => o.kind === 'message' && o.message.replayed)).toBe(true);
        expect(before.length).toBe(away);
        expect(t.position).toEqual({ epoch: 'e1', seq: w.seq });
      }),
    );
  });

  it('history size passed: recovered false, the most recent kept shown once, then live (property)', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.integer({ min: 12, max: 60 }), steps, (had, away, s) => {
        const w: World = { epoch: 'e1', seq: had + away, keep: 10, page: 500 };
        const { messages, resumed, joinPoint } = run(w, { from: { epoch: 'e1', seq: had }, reconnect: true }, s);
        const seqs = messages.map((m) => m.seq as number);
        // What the server still kept when it answered, then everything after, once each.
        const first = seqs[0] as number;
        expect(first).toBeGreaterThan(had + 1);
        expect(first).toBeLessThanOrEqual(joinPoint + 1);
        expect(seqs).toEqual(range(first, w.seq));
        const restored = joinPoint - first + 1;
        expect(messages.filter((m) => m.replayed).map((m) => m.seq)).toEqual(range(first, joinPoint));
        expect(resumed).toEqual([
          { recovered: false, restored, missedFrom: 500, missedTo: restored > 0 ? entry(first).time : 9999 },
        ]);
      }),
    );
  });

  it('epoch change: recovered false; the new epoch counted from its own lastSeq (property)', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(30), steps, (had, now, s) => {
        const w: World = { epoch: 'e2', seq: now, keep: 10_000, page: 500 };
        const { messages, resumed, joinPoint, t } = run(w, { from: { epoch: 'e1', seq: had }, reconnect: true }, s);
        expect(messages.map((m) => m.seq)).toEqual(range(1, w.seq));
        expect(messages.filter((m) => m.replayed).length).toBe(joinPoint);
        expect(resumed).toHaveLength(1);
        expect(resumed[0]).toMatchObject({ recovered: false, restored: joinPoint, missedFrom: 500 });
        expect(t.position).toEqual({ epoch: 'e2', seq: w.seq });
      }),
    );
  });

  it('a reconnect with nothing missed says so', () => {
    const w: World = { epoch: 'e1', seq: 5, keep: 100, page: 500 };
    const { resumed, messages } = run(w, { from: { epoch: 'e1', seq: 5 }, reconnect: true }, []);
    expect(resumed).toEqual<ResumedEvent[]>([{ recovered: true, restored: 0 }]);
    expect(messages.map((m) => m.seq)).toEqual([6]);
  });

  it('a server without a sequence: messages pass without seq; a reconnect says nothing was restored', () => {
    const t = new SequenceTracker({ from: null, reconnect: true, lostAt: 10 });
    expect(t.live({ username: 'a', text: 'x', own: false, server: false, time: 1 })).toEqual([]);
    const out = t.info({}, 99);
    expect(out).toEqual([
      { kind: 'resumed', event: { recovered: false, restored: 0, missedFrom: 10, missedTo: 99 } },
      {
        kind: 'message',
        message: { username: 'a', text: 'x', own: false, server: false, time: 1, seq: null, replayed: false },
      },
    ]);
    expect(t.position).toBeNull();
  });

  it('refuses answers that break the counting rule', () => {
    const t = new SequenceTracker({ from: null, reconnect: false, lostAt: 0 });
    t.live({ username: 'a', text: 'x', own: false, server: false, time: 1 });
    t.live({ username: 'a', text: 'y', own: false, server: false, time: 1 });
    expect(() => t.info({ epoch: 'e', lastSeq: 1 }, 0)).toThrow(/counts fewer messages/);

    const gap = new SequenceTracker({ from: { epoch: 'e', seq: 3 }, reconnect: true, lostAt: 0 });
    const skipped: HistoryAfterAnswer = {
      epoch: 'e',
      lastSeq: 6,
      recovered: true,
      more: false,
      messages: [entry(4), entry(6)],
    };
    expect(() => gap.after(skipped, 'me', 0)).toThrow(/skipped from seq 4 to 6/);

    const paged = new SequenceTracker({ from: { epoch: 'e', seq: 0 }, reconnect: true, lostAt: 0 });
    const first = paged.after({ epoch: 'e', lastSeq: 4, recovered: true, more: true, messages: [entry(1)] }, 'me', 0);
    expect(first.at(-1)).toEqual({ kind: 'ask', epoch: 'e', after: 1 });
    // Nothing arrived live since, so the next answer must say 4 again.
    expect(() =>
      paged.after({ epoch: 'e', lastSeq: 5, recovered: true, more: false, messages: [entry(2)] }, 'me', 0),
    ).toThrow(/lastSeq 5 where the count says 4/);

    const bad = new SequenceTracker({ from: { epoch: 'e', seq: 0 }, reconnect: true, lostAt: 0 });
    expect(() => bad.after({ epoch: 'e', lastSeq: 1 } as HistoryAfterAnswer, 'me', 0)).toThrow(/documented JSON/);
  });

  it('marks replayed messages of our own name as own', () => {
    const t = new SequenceTracker({ from: { epoch: 'e', seq: 0 }, reconnect: true, lostAt: 0 });
    const out = t.after({ epoch: 'e', lastSeq: 1, recovered: true, more: false, messages: [entry(1)] }, 'u1', 0);
    expect((out[0] as { message: ChatMessage }).message).toMatchObject({ own: true, replayed: true, seq: 1 });
  });
});

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}
