import type { ServerStore, StoredMessage } from './store.js';

/**
 * Message history: the newest messages in a fixed ring in memory (what `history` queries
 * read), and every message appended to the store in batches, off the broadcast path.
 */
export class History {
  private readonly ring: Array<StoredMessage | undefined>;
  private next = 0;
  private count = 0;
  private pending: StoredMessage[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ServerStore,
    /** Messages kept in memory: the most a query can ask for. */
    readonly capacity: number,
    /** Messages kept in the store. */
    private readonly keep: number,
    /** A failed write loses that batch from the durable history only; chat goes on. */
    private readonly onError: (err: unknown) => void,
    private readonly flushDelayMs = 50,
    private readonly maxBatch = 500,
  ) {
    this.ring = new Array(capacity);
    for (const m of store.recentMessages(capacity)) this.push(m);
  }

  private push(m: StoredMessage): void {
    this.ring[this.next] = m;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  record(username: string, text: string, time: number): void {
    const m = { username, text, time };
    this.push(m);
    this.pending.push(m);
    if (this.pending.length >= this.maxBatch) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushDelayMs);
      this.timer.unref();
    }
  }

  /** The last `n` messages (at most the capacity), oldest first. */
  last(n: number): StoredMessage[] {
    const take = Math.min(n, this.count);
    const out: StoredMessage[] = new Array(take);
    for (let i = 0; i < take; i++) {
      out[i] = this.ring[(this.next - take + i + this.capacity) % this.capacity] as StoredMessage;
    }
    return out;
  }

  /** Writes what is pending in one transaction. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.store.appendMessages(batch, this.keep);
    } catch (err) {
      this.onError(err);
    }
  }
}
