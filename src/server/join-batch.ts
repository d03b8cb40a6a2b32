import type { Connection } from './connection.js';

/** A batch is written once it holds this much, so it never nears the slow-consumer limit. */
const MAX_BATCH_BYTES = 64 * 1024;

/**
 * Join announcements (`c2/CONNECT <name>` to everyone else), batched. When many users join
 * at once, announcing each join on its own costs one write per member per join: n² writes for
 * n joins. Queued instead, the joins leave as one buffer, one write per member. The batch is
 * written after a delay as long as the last flush took (1 to 100 ms): the more a flush costs,
 * the more joins it carries, so a join storm spends at most about half its time announcing.
 *
 * Order is kept because the hub flushes the batch before anything else is written to a
 * member who has frames in it (a reply, a broadcast) — see ChatHub.sendTo and broadcast. A
 * user who joins within a batch receives only the announcements queued after its own: the
 * batch keeps, for each of its joiners, where its part starts.
 */
export class JoinBatch {
  private frames: Buffer[] = [];
  private bytes = 0;
  /** Where each joiner of this batch starts reading it (after its own announcement). */
  private starts = new Map<Connection, number>();
  private timer: NodeJS.Timeout | undefined;
  /** How long the last flush took, in ms. */
  private lastFlushMs = 0;

  constructor(private readonly write: () => void) {}

  /** Writes the batch now (through the hub, which owns the members), timing it. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.frames.length === 0) return;
    const started = performance.now();
    this.write();
    this.lastFlushMs = performance.now() - started;
  }

  /** Queues the frame announcing `joiner`, who will get only what is queued after it. */
  add(frame: Buffer, joiner: Connection): void {
    this.frames.push(frame);
    this.bytes += frame.length;
    this.starts.set(joiner, this.bytes);
    if (this.bytes >= MAX_BATCH_BYTES) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), Math.min(100, Math.max(1, this.lastFlushMs)));
    }
  }

  /**
   * `joiner` joined unannounced (above the announce limit): like an announced joiner, it gets
   * only what is queued after now, not the joins before its own.
   */
  skip(joiner: Connection): void {
    if (this.bytes > 0) this.starts.set(joiner, this.bytes);
  }

  /** Whether `conn` has announcements waiting in this batch. */
  pendingFor(conn: Connection): boolean {
    return this.bytes > 0 && this.bytes > (this.starts.get(conn) ?? 0);
  }

  /**
   * Empties the batch: the concatenated frames, their count, and each member's part of them
   * (null for a member with nothing in it). Null when the batch is empty.
   */
  take(): { count: number; partFor(conn: Connection): Buffer | null } | null {
    if (this.frames.length === 0) return null;
    const all = this.frames.length === 1 ? (this.frames[0] as Buffer) : Buffer.concat(this.frames, this.bytes);
    const starts = this.starts;
    const count = this.frames.length;
    this.frames = [];
    this.bytes = 0;
    this.starts = new Map();
    return {
      count,
      partFor(conn) {
        const start = starts.get(conn) ?? 0;
        if (start >= all.length) return null;
        return start === 0 ? all : all.subarray(start);
      },
    };
  }
}
