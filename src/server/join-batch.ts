import type { Connection } from './connection.js';

/** A batch is written once it holds this much, so it never nears the slow-consumer limit. */
const MAX_BATCH_BYTES = 64 * 1024;

/**
 * In a join storm, the batch is written no sooner after the last flush than both of these
 * allow (and never later than MAX_WAIT_MS). A flush costs one write per member whatever it
 * carries, and every member has to read it: flushes are spaced so that a storm's
 * announcements cost at most about JOIN_WRITES_PER_SECOND writes a second (50 ms between
 * flushes with 1,000 members, 500 ms with 10,000), and, when writes are slower than that
 * assumes, at most about a quarter of the server's time (SPACING times as long as the last
 * flush took).
 */
const JOIN_WRITES_PER_SECOND = 20_000;
const SPACING = 3;

/** The longest a join announcement waits for its flush. */
const MAX_WAIT_MS = 500;

/**
 * Join announcements (`c2/CONNECT <name>` to everyone else), batched. When many users join
 * at once, announcing each join on its own costs one write per member per join: n² writes for
 * n joins. Queued instead, the joins leave as one buffer, one write per member, and the
 * flushes of a storm are spaced (see JOIN_WRITES_PER_SECOND): the more members, the more
 * joins a flush carries. A join in a quiet room, once that spacing has passed since the last
 * flush, is announced within a millisecond.
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
  /** When the last flush ended (performance.now()), and how long the next one waits after it, in ms. */
  private lastFlushEnd = Number.NEGATIVE_INFINITY;
  private spacingMs = 0;

  /** `write` writes the batch to the members (the hub owns them) and returns how many writes it made. */
  constructor(private readonly write: () => number) {}

  /** Writes the batch now, timing it. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.frames.length === 0) return;
    const started = performance.now();
    const writes = this.write();
    this.lastFlushEnd = performance.now();
    this.spacingMs = Math.min(
      MAX_WAIT_MS,
      Math.max(SPACING * (this.lastFlushEnd - started), (writes * 1000) / JOIN_WRITES_PER_SECOND),
    );
  }

  /** Queues the frame announcing `joiner`, who will get only what is queued after it. */
  add(frame: Buffer, joiner: Connection): void {
    this.frames.push(frame);
    this.bytes += frame.length;
    this.starts.set(joiner, this.bytes);
    if (this.bytes >= MAX_BATCH_BYTES) {
      this.flush();
    } else if (this.timer === undefined) {
      const due = this.lastFlushEnd + this.spacingMs;
      this.timer = setTimeout(() => this.flush(), Math.max(1, due - performance.now()));
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
