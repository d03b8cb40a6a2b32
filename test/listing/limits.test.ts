/** The listing's limits per caller (src/listing/limits.ts), with a clock of our own. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/listing/errors.js';
import { callerKey, DialBudget, FixedWindowLimiter } from '../../src/listing/limits.js';

function refusal(fn: () => unknown): { code: string; status: number; retryAfter: string | undefined } | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { code: err.code, status: err.statusCode, retryAfter: err.headers['retry-after'] };
  }
}

describe('callerKey', () => {
  it('an IPv4 caller is its address; an IPv6 caller is its /64', () => {
    expect(callerKey('203.0.113.7')).toBe('203.0.113.7');
    expect(callerKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(callerKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(callerKey('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(callerKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(callerKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('FixedWindowLimiter', () => {
  it('counts per key in fixed windows; 0 means no limit', () => {
    const clock = { t: 1_000_000 };
    const limiter = new FixedWindowLimiter({ max: 2, windowMs: 60_000 }, () => clock.t);
    limiter.hit('a');
    expect(limiter.retryAfter('a')).toBe(0);
    limiter.hit('a');
    expect(limiter.retryAfter('a')).toBe(60);
    expect(limiter.retryAfter('b')).toBe(0);
    clock.t += 30_500;
    expect(limiter.retryAfter('a')).toBe(30);
    clock.t += 29_500;
    expect(limiter.retryAfter('a')).toBe(0);
    const none = new FixedWindowLimiter({ max: 0, windowMs: 60_000 }, () => clock.t);
    for (let i = 0; i < 1000; i++) none.hit('a');
    expect(none.retryAfter('a')).toBe(0);
  });
});

describe('DialBudget', () => {
  const limits = { perCaller: { max: 3, windowMs: 60_000 }, inFlightPerCaller: 2, inFlight: 3, busyRetryS: 10 };

  it('so many a window per caller; a refused request is not counted', () => {
    const clock = { t: 0 };
    const budget = new DialBudget(limits, () => clock.t);
    for (let i = 0; i < 3; i++) budget.take('198.51.100.1').release();
    expect(refusal(() => budget.take('198.51.100.1'))).toEqual({ code: 'rate_limited', status: 429, retryAfter: '60' });
    expect(refusal(() => budget.take('198.51.100.2').release())).toBe('ok');
    clock.t += 60_000;
    expect(refusal(() => budget.take('198.51.100.1').release())).toBe('ok');
  });

  it('so many in flight per caller and in all, until released', () => {
    const budget = new DialBudget({ ...limits, perCaller: { max: 0, windowMs: 60_000 } });
    const a1 = budget.take('198.51.100.1');
    const a2 = budget.take('198.51.100.1');
    expect(refusal(() => budget.take('198.51.100.1'))).toEqual({ code: 'rate_limited', status: 429, retryAfter: '10' });
    const b1 = budget.take('198.51.100.2');
    expect(budget.inFlight).toBe(3);
    expect(refusal(() => budget.take('198.51.100.3'))).toEqual({ code: 'busy', status: 503, retryAfter: '10' });
    a1.release();
    a1.release(); // twice is once
    expect(budget.inFlight).toBe(2);
    const c1 = budget.take('198.51.100.3');
    expect(refusal(() => budget.take('198.51.100.3'))).toEqual({ code: 'busy', status: 503, retryAfter: '10' });
    for (const grant of [a2, b1, c1]) grant.release();
    expect(budget.inFlight).toBe(0);
    // Unlimited per minute: no X-RateLimit headers.
    expect(budget.take('198.51.100.1').headers).toEqual({});
  });

  it('an IPv6 caller cannot escape its budget by changing addresses within its /64', () => {
    const budget = new DialBudget(limits);
    for (let i = 1; i <= 3; i++) budget.take(`2001:db8:1:2::${i}`).release();
    expect(refusal(() => budget.take('2001:db8:1:2:ffff::9'))).toMatchObject({ code: 'rate_limited' });
    expect(refusal(() => budget.take('2001:db8:1:3::1').release())).toBe('ok');
  });

  it('the grant carries the window’s X-RateLimit headers', () => {
    const budget = new DialBudget(limits, () => 0);
    const grant = budget.take('198.51.100.1');
    expect(grant.headers).toEqual({
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '2',
      'x-ratelimit-reset': '60',
    });
    grant.release();
  });
});
