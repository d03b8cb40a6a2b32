import type { ServerStore, StoredMessage } from './store.js';

/** A message of the sequence together with whoever asked for it (null: the server itself). */
export interface PendingMessage<S> {
  message: StoredMessage;
  sender: S | null;
}

/** What a commit gave: the messages now durable, in seq order, or why none of them is. */
export type Commit<S> =
  | { ok: true; batch: PendingMessage<S>[] }
  | { ok: false; batch: PendingMessage<S>[]; error: unknown };

/** Messages kept in memory for `history` and `history_after` (older ones are read from the store). */
export const RING_CAPACITY = 2_000;

/** A group is committed at once when it holds this many messages. */
const MAX_GROUP = 500;

/** The newest messages of the sequence, in memory, oldest first (a fixed-size ring). */
export class MessageRing {
  private readonly ring: Array<StoredMessage | undefined>;
  private ringNext = 0;
  private ringCount = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array(capacity);
  }

  get size(): number {
    return this.ringCount;
  }

  /** The oldest seq held, or undefined when empty. */
  get oldestSeq(): number | undefined {
    return this.ringCount > 0 ? this.at(0).seq : undefined;
  }

  push(m: StoredMessage): void {
    this.ring[this.ringNext] = m;
    this.ringNext = (this.ringNext + 1) % this.capacity;
    if (this.ringCount < this.capacity) this.ringCount++;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.ringNext = 0;
    this.ringCount = 0;
  }

  /** The ring's i-th oldest message. */
  private at(i: number): StoredMessage {
    return this.ring[(this.ringNext - this.ringCount + i + this.capacity) % this.capacity] as StoredMessage;
  }

  /** The last `n` messages, oldest first (at most the ring's capacity). */
  last(n: number): StoredMessage[] {
    const take = Math.min(n, this.ringCount);
    const out: StoredMessage[] = new Array(take);
    for (let i = 0; i < take; i++) out[i] = this.at(this.ringCount - take + i);
    return out;
  }

  /** Up to `n` messages with seq > `seq`, when the ring holds seq + 1 (else null). */
  after(seq: number, n: number): StoredMessage[] | null {
    const oldest = this.oldestSeq;
    if (oldest === undefined || seq + 1 < oldest) return null;
    const first = seq + 1 - oldest;
    const take = Math.max(0, Math.min(n, this.ringCount - first));
    const out: StoredMessage[] = new Array(take);
    for (let i = 0; i < take; i++) out[i] = this.at(first + i);
    return out;
  }
}

/**
 * The message sequence (contract §10) and its history, with **group commit**: a message
 * takes the next seq at once, joins the group of its turn of the event loop, and the whole
 * group is written to the store in one SQLite transaction before anyone is sent any of it
 * (ChatHub.flushMessages). A message somebody received is therefore on disk, a burst costs
 * one commit, and a seq that was broadcast is never lost or reused; a group whose write
 * fails is never sent and its seqs are taken back.
 *
 * The newest messages are also kept in a ring in memory, which answers `history` and most of
 * `history_after` (a reconnect storm costs no reads of the store).
 */
export class MessageLog<S> {
  /** The sequence's epoch: made with the store, kept across restarts. */
  readonly epoch: string;
  private committedSeq: number;
  private nextSeq: number;
  private pending: PendingMessage<S>[] = [];
  private readonly ring: MessageRing;
  private scheduled = false;

  constructor(
    private readonly store: ServerStore,
    /** Messages kept in the store. */
    private readonly keep: number,
    /** Called (through setImmediate) when a turn has left a group to commit. */
    private readonly onGroup: () => void,
    readonly capacity: number = Math.min(RING_CAPACITY, keep),
  ) {
    this.epoch = store.epoch();
    this.committedSeq = store.lastSeq();
    this.nextSeq = this.committedSeq + 1;
    this.ring = new MessageRing(this.capacity);
    for (const m of store.recentMessages(this.capacity)) this.ring.push(m);
  }

  /** The seq of the last durable message (what every connected user has been sent). */
  get lastSeq(): number {
    return this.committedSeq;
  }

  /** Whether messages are waiting to be committed. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Adds a message to this turn's group; it is sent once committed. */
  append(username: string, text: string, time: number, sender: S | null): void {
    this.pending.push({ message: { seq: this.nextSeq++, username, text, time }, sender });
    if (this.pending.length >= MAX_GROUP) this.onGroup();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.fire);
    }
  }

  private readonly fire = (): void => {
    this.scheduled = false;
    if (this.pending.length > 0) this.onGroup();
  };

  /** Writes the group in one transaction. On failure nothing of it is kept and its seqs are free again. */
  commit(): Commit<S> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return { ok: true, batch };
    try {
      this.store.appendMessages(
        batch.map((p) => p.message),
        this.keep,
      );
    } catch (error) {
      this.nextSeq = this.committedSeq + 1;
      return { ok: false, batch, error };
    }
    for (const p of batch) this.ring.push(p.message);
    this.committedSeq = (batch[batch.length - 1] as PendingMessage<S>).message.seq;
    return { ok: true, batch };
  }

  /** The last `n` durable messages, oldest first (at most the ring's capacity). */
  last(n: number): StoredMessage[] {
    return this.ring.last(n);
  }

  /**
   * Up to `n` durable messages with seq > `seq`, oldest first, from memory when the ring
   * holds seq + 1, else from the store. `retained` is false when neither holds seq + 1 any
   * more (the history size was passed): the messages after `seq` are then incomplete.
   */
  after(seq: number, n: number): { retained: boolean; messages: StoredMessage[] } {
    if (seq >= this.committedSeq) return { retained: true, messages: [] };
    const inRing = this.ring.after(seq, n);
    if (inRing !== null) return { retained: true, messages: inRing };
    const messages = this.store.messagesAfter(seq, n);
    return { retained: messages[0]?.seq === seq + 1, messages };
  }
}
