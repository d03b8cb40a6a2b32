import { createHash, timingSafeEqual } from 'node:crypto';

interface Failures {
  count: number;
  /** performance.now() before which no attempt is accepted. */
  blockedUntil: number;
}

const FREE_ATTEMPTS = 3;
const MAX_DELAY_MS = 5 * 60_000;
const MAX_TRACKED = 10_000;

/** Wrong passwords a minute from all addresses together before every attempt waits. */
export const SERVER_FREE_FAILURES = 30;
const SERVER_WINDOW_MS = 60_000;

/** What the server-wide bound reports when it is passed: once per window. */
export interface OpThrottleEvent {
  /** Wrong passwords in the current window, from all addresses. */
  failures: number;
  /** Distinct addresses among them (counted up to 10,000). */
  addresses: number;
  /** How long every attempt now waits. */
  waitMs: number;
}

export interface OperatorGateOptions {
  now?: () => number;
  /** Called once per window in which the server-wide bound is passed (to log it). */
  onServerThrottle?: (event: OpThrottleEvent) => void;
  /** Wrong passwords a window from all addresses before the server-wide waits (default 30). */
  serverFreeFailures?: number;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export type OpResult = { ok: true } | { ok: false; reason: string };

/**
 * Operator logins: a constant-time password check (both sides hashed to equal length, then
 * timingSafeEqual) and throttling of wrong passwords per remote address, so reconnecting
 * does not reset it. After 3 wrong attempts each further one waits twice as long as the last
 * (1 s, 2 s, 4 s … up to 5 min). The map of addresses is bounded.
 *
 * On top of that, a server-wide bound, for guessing from many addresses: past 30 wrong
 * passwords in a minute from all addresses together, every attempt from anywhere waits, and
 * each further wrong one doubles the wait (1 s, 2 s … up to 5 min); the waits stop growing
 * once a whole minute has passed after one without a wrong password. While the server waits,
 * the right password is refused too (or guessing would go on), so an attack can keep an
 * operator from `op` for its duration: the console still works.
 */
export class OperatorGate {
  private readonly expected: Buffer | undefined;
  private readonly failures = new Map<string, Failures>();
  private readonly now: () => number;
  private readonly onServerThrottle: ((event: OpThrottleEvent) => void) | undefined;
  private readonly serverFree: number;
  /** The server-wide count: this window's wrong passwords and their addresses. */
  private readonly server = {
    windowStart: Number.NEGATIVE_INFINITY,
    count: 0,
    addresses: new Set<string>(),
    logged: false,
    /** Wrong passwords past the bound since the waits began (0: not waiting). */
    over: 0,
    blockedUntil: Number.NEGATIVE_INFINITY,
  };

  constructor(password: string | undefined, options: OperatorGateOptions | (() => number) = {}) {
    const o = typeof options === 'function' ? { now: options } : options;
    this.expected = password ? digest(password) : undefined;
    this.now = o.now ?? (() => performance.now());
    this.onServerThrottle = o.onServerThrottle;
    this.serverFree = o.serverFreeFailures ?? SERVER_FREE_FAILURES;
  }

  get enabled(): boolean {
    return this.expected !== undefined;
  }

  attempt(address: string, password: string): OpResult {
    if (!this.expected)
      return { ok: false, reason: 'this server has no operator password: nobody can become an operator' };
    const now = this.now();
    if (now < this.server.blockedUntil) {
      const seconds = Math.ceil((this.server.blockedUntil - now) / 1000);
      return { ok: false, reason: `too many wrong passwords on this server: try again in ${seconds} s` };
    }
    const record = this.failures.get(address);
    if (record && now < record.blockedUntil) {
      const seconds = Math.ceil((record.blockedUntil - now) / 1000);
      return { ok: false, reason: `too many wrong passwords: try again in ${seconds} s` };
    }
    if (timingSafeEqual(digest(password), this.expected)) {
      this.failures.delete(address);
      return { ok: true };
    }
    const count = (record?.count ?? 0) + 1;
    const delay = count < FREE_ATTEMPTS ? 0 : Math.min(MAX_DELAY_MS, 1000 * 2 ** (count - FREE_ATTEMPTS));
    if (!record && this.failures.size >= MAX_TRACKED) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(address, { count, blockedUntil: now + delay });
    this.serverFailure(address, now);
    return { ok: false, reason: 'wrong operator password' };
  }

  private serverFailure(address: string, now: number): void {
    const s = this.server;
    if (now - s.windowStart >= SERVER_WINDOW_MS) {
      s.windowStart = now;
      s.count = 0;
      s.addresses.clear();
      s.logged = false;
    }
    // A quiet minute after the last wait ended: the waits start again from 1 s.
    if (s.over > 0 && now - s.blockedUntil >= SERVER_WINDOW_MS) s.over = 0;
    s.count++;
    if (s.addresses.size < MAX_TRACKED) s.addresses.add(address);
    if (s.count <= this.serverFree && s.over === 0) return;
    s.over++;
    const waitMs = Math.min(MAX_DELAY_MS, 1000 * 2 ** (s.over - 1));
    s.blockedUntil = now + waitMs;
    if (!s.logged) {
      s.logged = true;
      this.onServerThrottle?.({ failures: s.count, addresses: s.addresses.size, waitMs });
    }
  }
}
