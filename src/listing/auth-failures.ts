/**
 * Failed authentications (401 on PUT and DELETE) per client IP, in fixed windows. Past
 * `max` failures in a window, every PUT or DELETE from that IP is answered 429 until the
 * window ends, before any key is looked at. A key is 256 random bits, so this is not what
 * keeps keys safe; it bounds the work (a store lookup, a hash) and the log noise that one
 * client can cause by guessing. Kept per listing instance, like the POST limit; the map of
 * addresses is bounded.
 */
export interface FailureLimit {
  max: number;
  windowMs: number;
}

interface Window {
  failures: number;
  endsAt: number;
}

const MAX_TRACKED = 10_000;

export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: FailureLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `ip` may try again (rounded up), or 0 when it is not blocked. */
  retryAfter(ip: string): number {
    const window = this.current(ip);
    if (window === undefined || window.failures < this.limit.max) return 0;
    return Math.max(1, Math.ceil((window.endsAt - this.now()) / 1000));
  }

  fail(ip: string): void {
    const window = this.current(ip);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED) this.evictExpiredOrOldest();
    this.windows.set(ip, { failures: 1, endsAt: this.now() + this.limit.windowMs });
  }

  private current(ip: string): Window | undefined {
    const window = this.windows.get(ip);
    if (window === undefined) return undefined;
    if (window.endsAt > this.now()) return window;
    this.windows.delete(ip);
    return undefined;
  }

  private evictExpiredOrOldest(): void {
    const now = this.now();
    for (const [ip, window] of this.windows) if (window.endsAt <= now) this.windows.delete(ip);
    if (this.windows.size >= MAX_TRACKED) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }
}
