/** The liveness checker's bounded concurrency and its shutdown, with an in-memory store. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AddressPolicy } from '../../src/listing/address/policy.js';
import { LivenessChecker } from '../../src/listing/liveness.js';
import type { DueCheck, FailureOutcome, ListingStore } from '../../src/listing/store/types.js';
import type { PingTarget } from '../../src/listing/verify.js';
import { eventually } from '../helpers/eventually.js';

/** Just enough of a store for the checker: entries with a next-check time. */
function memoryStore(count: number) {
  const entries = new Map(
    Array.from({ length: count }, (_, i) => [
      i,
      { id: i, address: `127.0.0.1:${1000 + i}`, keyHash: 'h', next: 0, failures: 0 },
    ]),
  );
  const results = { success: 0, failure: 0 };
  const store: Partial<ListingStore> = {
    async claimDue(now, leaseUntil, limit) {
      const due = [...entries.values()].filter((e) => e.next <= now).slice(0, limit);
      for (const e of due) e.next = leaseUntil;
      return due.map(({ id, address, keyHash }) => ({ id, address, tls: false, keyHash }));
    },
    async recordSuccess(check: DueCheck, _now: number, next: number) {
      results.success++;
      const e = entries.get(check.id);
      if (e) e.next = next;
    },
    async recordFailure(check: DueCheck, next: number): Promise<FailureOutcome> {
      results.failure++;
      const e = entries.get(check.id);
      if (e) e.next = next;
      return 'counted';
    },
  };
  return { store: store as ListingStore, results, entries };
}

function concurrencyProbe(delayMs: number) {
  const probe = { active: 0, max: 0, calls: 0 };
  const verify = async (_target: PingTarget, _id: number, signal?: AbortSignal) => {
    probe.calls++;
    probe.active++;
    probe.max = Math.max(probe.max, probe.active);
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    probe.active--;
  };
  return { probe, verify };
}

const policy = new AddressPolicy({ allowPrivateAddresses: true, anyAddress: false });
const log = pino({ level: 'silent' });

describe('LivenessChecker', () => {
  it('runOnce checks every due entry, never more than `concurrency` at once', async () => {
    const { store, results } = memoryStore(50);
    const { probe, verify } = concurrencyProbe(5);
    const checker = new LivenessChecker({
      store,
      policy,
      verify,
      intervalMs: 60_000,
      maxFailures: 3,
      concurrency: 4,
      leaseMs: 10_000,
      log,
    });
    expect(await checker.runOnce()).toBe(50);
    expect(probe.calls).toBe(50);
    expect(probe.max).toBe(4);
    expect(results.success).toBe(50);
    expect(await checker.runOnce()).toBe(0);
  });

  it('the background loop keeps at most `concurrency` pings in flight and stops promptly', async () => {
    const { store, results } = memoryStore(40);
    const { probe, verify } = concurrencyProbe(20);
    const checker = new LivenessChecker({
      store,
      policy,
      verify,
      intervalMs: 60_000,
      maxFailures: 3,
      concurrency: 6,
      leaseMs: 10_000,
      log,
    });
    checker.start();
    await eventually(() => results.success === 40, 'every entry checked', 5000);
    expect(probe.max).toBeLessThanOrEqual(6);
    expect(probe.max).toBeGreaterThan(1);
    await checker.stop();
    expect(checker.inFlight).toBe(0);
  });

  it('stop() cuts pings in flight short without counting them as failures', async () => {
    const { store, results } = memoryStore(3);
    const { verify } = concurrencyProbe(60_000);
    const checker = new LivenessChecker({
      store,
      policy,
      verify,
      intervalMs: 60_000,
      maxFailures: 1,
      concurrency: 3,
      leaseMs: 10_000,
      log,
    });
    checker.start();
    await eventually(() => checker.inFlight === 3, 'pings in flight', 5000);
    await checker.stop();
    expect(results).toEqual({ success: 0, failure: 0 });
  });
});
