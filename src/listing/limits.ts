/**
 * The listing's limits per caller, kept per listing instance, in bounded maps:
 *
 * - {@link FixedWindowLimiter}: events per caller in fixed windows (failed
 *   authentications; the dial budget's window);
 * - {@link DialBudget}: what makes the listing dial (a `POST`, a `PUT` with a new address):
 *   so many a minute per caller, so many in flight per caller, so many in flight in all.
 *
 * A caller is its IP address; an IPv6 caller is its /64 (one subscriber's network), since
 * anyone with one IPv6 address has 2^64 more for free.
 */
import { addressKey } from '../protocol/ip.js';
import { ApiError } from './errors.js';

/** The key a caller's limits are counted under: an IPv4 address, or an IPv6 /64 (shared with the chat server). */
export const callerKey: (ip: string) => string = addressKey;

export interface WindowLimit {
  /** Events per window; 0 means no limit. */
  max: number;
  windowMs: number;
}

interface Window {
  count: number;
  endsAt: number;
}

const MAX_TRACKED = 10_000;

/**
 * Events per key in fixed windows. Past `max` events in a window, `retryAfter` is the
 * number of seconds until the window ends. The map of keys is bounded (expired windows go
 * first, then the oldest).
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly limit: WindowLimit,
    private readonly now: () => number = Date.now,
  ) {}

  get unlimited(): boolean {
    return this.limit.max <= 0;
  }

  /** Seconds until `key` may act again (rounded up), or 0 when it is under the limit. */
  retryAfter(key: string): number {
    if (this.unlimited) return 0;
    const window = this.current(key);
    if (window === undefined || window.count < this.limit.max) return 0;
    return this.secondsLeft(window);
  }

  /** Events left to `key` in its window, and the seconds until the window ends. */
  state(key: string): { remaining: number; resetS: number } {
    const window = this.current(key);
    if (window === undefined) return { remaining: this.limit.max, resetS: Math.ceil(this.limit.windowMs / 1000) };
    return { remaining: Math.max(0, this.limit.max - window.count), resetS: this.secondsLeft(window) };
  }

  /** Counts one event of `key`. */
  hit(key: string): void {
    if (this.unlimited) return;
    const window = this.current(key);
    if (window !== undefined) {
      window.count++;
      return;
    }
    if (this.windows.size >= MAX_TRACKED) this.evictExpiredOrOldest();
    this.windows.set(key, { count: 1, endsAt: this.now() + this.limit.windowMs });
  }

  private secondsLeft(window: Window): number {
    return Math.max(1, Math.ceil((window.endsAt - this.now()) / 1000));
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window === undefined) return undefined;
    if (window.endsAt > this.now()) return window;
    this.windows.delete(key);
    return undefined;
  }

  private evictExpiredOrOldest(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    if (this.windows.size >= MAX_TRACKED) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }
}

export interface DialLimits {
  /** Requests that dial, per caller and window (`--register-limit`, a minute). */
  perCaller: WindowLimit;
  /** Such requests in flight at once per caller. */
  inFlightPerCaller: number;
  /** Such requests in flight at once, from all callers. */
  inFlight: number;
  /** The `Retry-After` (seconds) of a refusal for requests in flight: about one ping's time. */
  busyRetryS: number;
}

/** One request's claim on the budget; `release` when its dialling is over. */
export interface DialGrant {
  /** The window's `X-RateLimit-*` headers for this caller (none when unlimited). */
  headers: Record<string, string>;
  release(): void;
}

/**
 * The dial budget. `take` is called once a request that would dial has passed every check
 * that needs no network, before any name is resolved or anything dialled; the grant is
 * released when the request is done with the network. A refused request is not counted.
 */
export class DialBudget {
  private readonly windows: FixedWindowLimiter;
  private readonly byCaller = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly limits: DialLimits,
    now: () => number = Date.now,
  ) {
    this.windows = new FixedWindowLimiter(limits.perCaller, now);
  }

  /** Requests holding a grant now. */
  get inFlight(): number {
    return this.total;
  }

  /** Claims one dial for the caller at `ip`; throws `429 rate_limited` or `503 busy`. */
  take(ip: string): DialGrant {
    const key = callerKey(ip);
    const retryAfter = this.windows.retryAfter(key);
    if (retryAfter > 0) {
      throw new ApiError('rate_limited', `too many registrations from ${key}; retry in ${retryAfter} s`, {
        retryAfter,
        headers: this.headers(key),
      });
    }
    const mine = this.byCaller.get(key) ?? 0;
    if (mine >= this.limits.inFlightPerCaller) {
      throw new ApiError(
        'rate_limited',
        `${mine} registrations from ${key} are being verified already; retry in ${this.limits.busyRetryS} s`,
        { retryAfter: this.limits.busyRetryS },
      );
    }
    if (this.total >= this.limits.inFlight) {
      throw new ApiError(
        'busy',
        `the listing is verifying too many servers at once; retry in ${this.limits.busyRetryS} s`,
        { retryAfter: this.limits.busyRetryS },
      );
    }
    this.windows.hit(key);
    this.byCaller.set(key, mine + 1);
    this.total++;
    let released = false;
    return {
      headers: this.headers(key),
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.byCaller.get(key) ?? 1) - 1;
        if (left > 0) this.byCaller.set(key, left);
        else this.byCaller.delete(key);
      },
    };
  }

  /** The `X-RateLimit-*` headers for a caller (none when unlimited). */
  private headers(key: string): Record<string, string> {
    if (this.windows.unlimited) return {};
    const { remaining, resetS } = this.windows.state(key);
    return {
      'x-ratelimit-limit': String(this.limits.perCaller.max),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(resetS),
    };
  }
}
