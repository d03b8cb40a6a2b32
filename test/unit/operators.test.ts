import { describe, expect, it } from 'vitest';
import { OperatorGate } from '../../src/server/operators.js';

describe('OperatorGate', () => {
  it('refuses everyone when no password is configured', () => {
    const gate = new OperatorGate(undefined);
    expect(gate.enabled).toBe(false);
    expect(gate.attempt('1.2.3.4', '')).toEqual({ ok: false, reason: expect.stringMatching(/no operator password/) });
  });

  it('accepts the right password and refuses others', () => {
    const gate = new OperatorGate('s3cret');
    expect(gate.attempt('a', 's3cret')).toEqual({ ok: true });
    expect(gate.attempt('a', 's3cre')).toMatchObject({ ok: false, reason: 'wrong operator password' });
    expect(gate.attempt('a', 's3cret ')).toMatchObject({ ok: false });
    expect(gate.attempt('a', '')).toMatchObject({ ok: false });
  });

  it('throttles an address after 3 wrong passwords, doubling the wait, without touching other addresses', () => {
    let now = 0;
    const gate = new OperatorGate('pw', () => now);
    for (let i = 0; i < 3; i++) expect(gate.attempt('x', 'no')).toMatchObject({ reason: 'wrong operator password' });
    // Blocked for 1 s, even with the right password.
    expect(gate.attempt('x', 'pw')).toMatchObject({ ok: false, reason: expect.stringMatching(/try again in 1 s/) });
    expect(gate.attempt('y', 'pw')).toEqual({ ok: true });
    now = 1001;
    expect(gate.attempt('x', 'no')).toMatchObject({ reason: 'wrong operator password' });
    expect(gate.attempt('x', 'pw')).toMatchObject({ reason: expect.stringMatching(/try again in 2 s/) });
    now = 3002;
    expect(gate.attempt('x', 'pw')).toEqual({ ok: true });
    // Success resets the count.
    expect(gate.attempt('x', 'no')).toMatchObject({ reason: 'wrong operator password' });
    expect(gate.attempt('x', 'no')).toMatchObject({ reason: 'wrong operator password' });
  });
});

describe('OperatorGate, the server-wide bound', () => {
  it('makes every address wait once 30 wrong passwords came from many, doubling the wait, and says so once a window', () => {
    let now = 0;
    const events: unknown[] = [];
    const gate = new OperatorGate('pw', { now: () => now, onServerThrottle: (e) => events.push(e) });
    // 30 addresses, one guess each: under every per-address limit, and under the bound.
    for (let i = 0; i < 30; i++)
      expect(gate.attempt(`10.0.0.${i}`, 'no')).toMatchObject({ reason: 'wrong operator password' });
    expect(events).toEqual([]);
    // The 31st (from a new address) passes the bound: it is checked, then everyone waits 1 s.
    expect(gate.attempt('10.0.1.0', 'no')).toMatchObject({ reason: 'wrong operator password' });
    expect(events).toEqual([{ failures: 31, addresses: 31, waitMs: 1000 }]);
    for (const who of ['10.0.1.1', '10.0.0.0']) {
      expect(gate.attempt(who, 'pw')).toEqual({
        ok: false,
        reason: 'too many wrong passwords on this server: try again in 1 s',
      });
    }
    // Each further wrong one doubles the wait: 2 s, 4 s, 8 s.
    for (const wait of [2, 4, 8]) {
      now += (wait / 2) * 1000;
      expect(gate.attempt(`10.0.2.${wait}`, 'no')).toMatchObject({ reason: 'wrong operator password' });
      expect(gate.attempt('10.0.3.1', 'pw')).toMatchObject({
        reason: `too many wrong passwords on this server: try again in ${wait} s`,
      });
    }
    expect(events).toHaveLength(1); // once per window
    // A new window while the attack goes on: the wait keeps doubling, and it is said again.
    now = 60_000;
    expect(gate.attempt('10.0.4.1', 'no')).toMatchObject({ reason: 'wrong operator password' });
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ failures: 1, addresses: 1, waitMs: 16_000 });
    // A quiet minute after the last wait: the right password works, and the count starts again.
    now = 60_000 + 16_000 + 60_000;
    expect(gate.attempt('10.0.5.1', 'no')).toMatchObject({ reason: 'wrong operator password' });
    expect(gate.attempt('10.0.5.2', 'pw')).toEqual({ ok: true });
  });

  it('caps the wait at 5 minutes', () => {
    let now = 0;
    const gate = new OperatorGate('pw', { now: () => now, serverFreeFailures: 0 });
    // A guess the moment each wait ends: 1, 2, 4 … 256 s, then 300 s.
    let wait = 0;
    for (let i = 0; i < 12; i++) {
      now += wait;
      expect(gate.attempt(`a${i}`, 'no')).toMatchObject({ reason: 'wrong operator password' });
      wait = Math.min(300_000, 1000 * 2 ** i);
    }
    expect(gate.attempt('b', 'pw')).toMatchObject({
      reason: 'too many wrong passwords on this server: try again in 300 s',
    });
  });
});
