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
