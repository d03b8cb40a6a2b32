/** A token bucket: `rate` tokens a second, holding at most `burst` (flood control, the frame budget). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number = performance.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one; returns whether it could. */
  take(now: number = performance.now()): boolean {
    const elapsed = now - this.last;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Gives back a token taken for something that was then refused (never above the burst). */
  refund(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  /**
   * Takes one token even when there is none, going into debt; returns the milliseconds
   * until the balance is back to zero (0 when it did not go negative).
   */
  spend(now: number = performance.now()): number {
    if (this.take(now)) return 0;
    this.tokens -= 1;
    return this.wait(now);
  }

  /** Milliseconds until the balance is back to zero, from `now` (0 when it is not in debt). */
  wait(now: number = performance.now()): number {
    const balance = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    return balance >= 0 ? 0 : (-balance * 1000) / this.rate;
  }
}
