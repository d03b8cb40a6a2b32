/**
 * Where a connection is in the server's message sequence (contract §10), and the resume
 * after a reconnect: pure code, fed by `Session` with what arrives in the order it arrives.
 *
 * The counting rule: a joined connection receives every `c2/MSG` of the sequence from its
 * join on, in seq order, none skipped. The answers of `server_info` and `history_after`
 * carry `lastSeq`, the seq of the last `c2/MSG` written to this connection before the answer;
 * since responses keep their order with the broadcasts around them (§4), the k messages that
 * arrived between the join and the first such answer are `lastSeq − k + 1 … lastSeq`, the
 * join happened at `lastSeq − k` (the *join point*), and every later message is the next seq.
 *
 * A resume therefore needs the answer only for the gap `(from, joinPoint]`: everything after
 * the join point arrives live. The messages of the gap are emitted first (`replayed: true`),
 * then one `resumed` event, then the live ones held meanwhile; copies that are in both (a
 * page holds messages up to its own `lastSeq`) are dropped by seq.
 */
import { isAnnouncement } from './entries.js';
import { C2Error } from './errors.js';
import type { ChatMessage, HistoryAfterAnswer, HistoryEntry, ResumedEvent } from './types.js';

/** A position in a server's sequence: the epoch, and the seq of the last message had. */
export interface SeqPosition {
  epoch: string;
  seq: number;
}

/** A `c2/MSG` as it arrived, before its seq is known. */
export type Arrival = Omit<ChatMessage, 'seq' | 'replayed'>;

export type ResumeOutput =
  | { kind: 'message'; message: ChatMessage }
  | { kind: 'resumed'; event: ResumedEvent }
  /** Ask `history_after; <epoch>; <after>` for the next page. */
  | { kind: 'ask'; epoch: string; after: number };

/** Messages held at most while the position is unknown or a gap is being filled. */
export const MAX_HELD = 10_000;

const EPOCH = /^[0-9A-Za-z_-]{1,64}$/;

type Mode = 'waiting' | 'filling' | 'live' | 'none';

export interface ResumeStart {
  /** Where the previous connection ended; null for a first connect (start from server_info). */
  from: SeqPosition | null;
  /** True for an automatic reconnect: a `resumed` event is emitted once placed. */
  reconnect: boolean;
  /** When the previous connection was lost (ms since the epoch). */
  lostAt: number;
}

export class SequenceTracker {
  private mode: Mode = 'waiting';
  private epoch = '';
  /** The seq of the last message emitted (or, before any, of the start position). */
  private delivered = 0;
  /** The seq the next live message gets, once placed. */
  private nextLive = 0;
  private joinPoint = 0;
  /** Live messages whose seq is not known yet. */
  private unplaced: Arrival[] = [];
  /** Live messages with their seq, waiting for the gap before them to be filled. */
  private held: ChatMessage[] = [];
  private restored = 0;
  private firstRestoredTime: number | null = null;

  constructor(private readonly start: ResumeStart) {}

  /** Whether the position is known and the gap (if any) filled: live messages pass straight through. */
  get ready(): boolean {
    return this.mode === 'live' || this.mode === 'none';
  }

  /** What to ask first: `history_after` from the previous position, or `server_info`. */
  get firstQuestion(): { kind: 'after'; epoch: string; after: number } | { kind: 'info' } {
    const from = this.start.from;
    return from === null ? { kind: 'info' } : { kind: 'after', epoch: from.epoch, after: from.seq };
  }

  /** The position to resume from after this connection: the last message emitted. */
  get position(): SeqPosition | null {
    if (this.mode === 'none') return null;
    if (this.mode === 'waiting') return this.start.from;
    return { epoch: this.epoch, seq: this.delivered };
  }

  /** A `c2/MSG` arrived. */
  live(m: Arrival): ResumeOutput[] {
    switch (this.mode) {
      case 'none':
        return [{ kind: 'message', message: { ...m, seq: null, replayed: false } }];
      case 'waiting':
        this.hold(this.unplaced, m);
        return [];
      case 'filling':
        this.hold(this.held, { ...m, seq: this.nextLive++, replayed: false });
        return [];
      case 'live': {
        const seq = this.nextLive++;
        this.delivered = seq;
        return [{ kind: 'message', message: { ...m, seq, replayed: false } }];
      }
    }
  }

  /**
   * The answer of `server_info` (or null when it failed): places the connection. Used on a
   * first connect, and on a reconnect whose `history_after` was refused (then nothing is
   * restored, and the `resumed` event says so).
   */
  info(answer: { epoch?: unknown; lastSeq?: unknown } | null, now: number): ResumeOutput[] {
    if (this.mode !== 'waiting') throw protocol('server_info placed a connection that was already placed');
    const epoch = answer?.epoch;
    const lastSeq = answer?.lastSeq;
    if (typeof epoch !== 'string' || !EPOCH.test(epoch) || !isSeq(lastSeq)) {
      // A server without a sequence: messages pass through without a seq, nothing resumes.
      this.mode = 'none';
      const out: ResumeOutput[] = this.start.reconnect ? [this.resumedEvent(false, now)] : [];
      for (const m of this.unplaced.splice(0))
        out.push({ kind: 'message', message: { ...m, seq: null, replayed: false } });
      return out;
    }
    this.place(epoch, lastSeq);
    this.delivered = this.joinPoint;
    return this.finish(this.start.from === null || this.start.from.epoch !== epoch ? false : this.sameSpot(), now);
  }

  /** An answer of `history_after`. */
  after(answer: HistoryAfterAnswer, me: string, now: number, serverName = ''): ResumeOutput[] {
    const from = this.start.from;
    if (from === null || (this.mode !== 'waiting' && this.mode !== 'filling')) {
      throw protocol('a history_after answer that nothing asked for');
    }
    checkAnswer(answer);
    const out: ResumeOutput[] = [];
    let recovered: boolean;
    if (this.mode === 'waiting') {
      this.place(answer.epoch, answer.lastSeq);
      const sameEpoch = answer.epoch === from.epoch;
      recovered = sameEpoch && answer.recovered;
      // Same epoch: what we had ends at from.seq. A new epoch: nothing of it was had.
      this.delivered = sameEpoch ? Math.min(from.seq, this.joinPoint) : 0;
      if (sameEpoch && from.seq > this.joinPoint)
        throw protocol('the server is behind the position we had in its sequence');
    } else {
      if (answer.epoch !== this.epoch) throw protocol('the epoch changed on a live connection');
      if (answer.lastSeq !== this.nextLive - 1) {
        throw protocol(`history_after answered lastSeq ${answer.lastSeq} where the count says ${this.nextLive - 1}`);
      }
      recovered = answer.recovered;
    }
    for (const h of answer.messages) {
      // Only the gap comes from the answer; later messages arrived live (their copies here are duplicates).
      if (h.seq <= this.delivered || h.seq > this.joinPoint) continue;
      if (recovered && h.seq !== this.delivered + 1) {
        throw protocol(`history_after skipped from seq ${this.delivered} to ${h.seq}`);
      }
      this.delivered = h.seq;
      this.restored++;
      this.firstRestoredTime ??= h.time;
      out.push({
        kind: 'message',
        message: {
          username: h.username,
          text: h.text,
          own: h.username === me,
          server: h.username !== me && isAnnouncement(h.username, serverName),
          time: h.time,
          seq: h.seq,
          replayed: true,
        },
      });
    }
    if (recovered && this.delivered < this.joinPoint) {
      if (answer.more) {
        out.push({ kind: 'ask', epoch: this.epoch, after: this.delivered });
        this.mode = 'filling';
        return out;
      }
      recovered = false; // the server said it had everything, and it had not
    }
    // Whatever of the gap is still missing is gone for good.
    this.delivered = this.joinPoint;
    out.push(...this.finish(recovered, now));
    return out;
  }

  private place(epoch: string, lastSeq: number): void {
    const joinPoint = lastSeq - this.unplaced.length;
    if (joinPoint < 0) {
      throw protocol(`lastSeq ${lastSeq} counts fewer messages than the ${this.unplaced.length} received`);
    }
    this.epoch = epoch;
    this.joinPoint = joinPoint;
    this.nextLive = joinPoint + 1;
    for (const m of this.unplaced.splice(0)) this.held.push({ ...m, seq: this.nextLive++, replayed: false });
    this.mode = 'filling';
  }

  /** A reconnect whose server_info shows nothing was sent while away. */
  private sameSpot(): boolean {
    return this.start.from !== null && this.start.from.seq === this.joinPoint;
  }

  /** The gap is closed: `resumed` (on a reconnect), then the held live messages. */
  private finish(recovered: boolean, now: number): ResumeOutput[] {
    const out: ResumeOutput[] = [];
    if (this.start.reconnect) out.push(this.resumedEvent(recovered, now));
    this.mode = 'live';
    for (const message of this.held.splice(0)) {
      this.delivered = message.seq as number;
      out.push({ kind: 'message', message });
    }
    return out;
  }

  private resumedEvent(recovered: boolean, now: number): ResumeOutput {
    const event: ResumedEvent = recovered
      ? { recovered, restored: this.restored }
      : {
          recovered,
          restored: this.restored,
          missedFrom: this.start.lostAt,
          missedTo: Math.max(this.start.lostAt, this.firstRestoredTime ?? now),
        };
    return { kind: 'resumed', event };
  }

  private hold<T>(list: T[], item: T): void {
    if (this.unplaced.length + this.held.length >= MAX_HELD) {
      throw protocol(`more than ${MAX_HELD} messages arrived before the server answered where they belong`);
    }
    list.push(item);
  }
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkAnswer(a: HistoryAfterAnswer): void {
  const ok =
    typeof a === 'object' &&
    a !== null &&
    typeof a.epoch === 'string' &&
    EPOCH.test(a.epoch) &&
    isSeq(a.lastSeq) &&
    typeof a.recovered === 'boolean' &&
    typeof a.more === 'boolean' &&
    Array.isArray(a.messages) &&
    a.messages.every(
      (m, i) =>
        typeof m === 'object' &&
        m !== null &&
        isSeq(m.seq) &&
        m.seq <= a.lastSeq &&
        typeof m.username === 'string' &&
        typeof m.text === 'string' &&
        typeof m.time === 'number' &&
        (i === 0 || m.seq > (a.messages[i - 1] as HistoryEntry).seq),
    );
  if (!ok) throw protocol('the server answered history_after with something other than its documented JSON');
}

function protocol(message: string): C2Error {
  return new C2Error('protocol', message);
}
