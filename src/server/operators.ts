import { createHash, timingSafeEqual } from 'node:crypto';

interface Failures {
  count: number;
  /** performance.now() before which no attempt is accepted. */
  blockedUntil: number;
}

const FREE_ATTEMPTS = 3;
const MAX_DELAY_MS = 5 * 60_000;
const MAX_TRACKED = 10_000;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export type OpResult = { ok: true } | { ok: false; reason: string };

/**
 * Operator logins: a constant-time password check (both sides hashed to equal length, then
 * timingSafeEqual) and throttling of wrong passwords per remote address, so reconnecting
 * does not reset it. After 3 wrong attempts each further one waits twice as long as the last
 * (1 s, 2 s, 4 s … up to 5 min). The map of addresses is bounded.
 */
export class OperatorGate {
  private readonly expected: Buffer | undefined;
  private readonly failures = new Map<string, Failures>();

  constructor(
    password: string | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.expected = password ? digest(password) : undefined;
  }

  get enabled(): boolean {
    return this.expected !== undefined;
  }

  attempt(address: string, password: string): OpResult {
    if (!this.expected)
      return { ok: false, reason: 'this server has no operator password: nobody can become an operator' };
    const now = this.now();
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
    return { ok: false, reason: 'wrong operator password' };
  }
}
