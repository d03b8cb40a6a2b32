/**
 * The liveness checker (contract §7): every listed server is pinged every
 * `checkIntervalMs`; after `maxFailures` failed pings in a row it is removed. A
 * successful PUT counts as alive too (the store pushes the next check back).
 *
 * The work is shared through the database: a checker claims due entries by moving their
 * next check to a lease (`claimDue`), so with several instances on one PostgreSQL
 * database each server is pinged by one of them per interval, not by all. An instance
 * that dies mid-check leaves a lease that simply expires. Concurrency is bounded: at
 * most `concurrency` pings are in flight per instance.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { parseAddress } from './address/parse.js';
import type { AddressPolicy } from './address/policy.js';
import { ApiError } from './errors.js';
import type { DueCheck, ListingStore } from './store/types.js';
import type { Verifier } from './verify.js';

export type CheckOutcome = 'alive' | 'failed' | 'evicted' | 'gone';

export interface LivenessOptions {
  store: ListingStore;
  policy: AddressPolicy;
  verify: Verifier;
  intervalMs: number;
  maxFailures: number;
  /** Most pings in flight at once (per instance). */
  concurrency: number;
  /** How long a claimed check stays leased: longer than one ping can take. */
  leaseMs: number;
  log: Logger;
  now?: () => number;
  onOutcome?: (outcome: CheckOutcome) => void;
}

export class LivenessChecker {
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private active = 0;
  private claiming = false;
  private stopped = false;
  /** Whether the last claim failed (its warning is logged once per outage, not every tick). */
  private claimFailing = false;
  private idle: Array<() => void> = [];

  constructor(private readonly options: LivenessOptions) {
    this.now = options.now ?? Date.now;
    // Every ping in flight listens to the one abort signal.
    setMaxListeners(options.concurrency + 8, this.abort.signal);
  }

  /** Starts checking in the background. */
  start(): void {
    const tickMs = Math.max(20, Math.min(1000, this.options.intervalMs));
    this.timer = setInterval(() => void this.pump(), tickMs);
    this.timer.unref();
    void this.pump();
  }

  /** Pings currently in flight. */
  get inFlight(): number {
    return this.active;
  }

  /** Claims due checks while there is room, and starts them. */
  private async pump(): Promise<void> {
    if (this.stopped || this.claiming) return;
    const free = this.options.concurrency - this.active;
    if (free <= 0) return;
    this.claiming = true;
    let claimed: DueCheck[] = [];
    try {
      const now = this.now();
      claimed = await this.options.store.claimDue(now, now + this.options.leaseMs, free);
      if (this.claimFailing) this.options.log.info('liveness: checking again');
      this.claimFailing = false;
    } catch (err) {
      if (!this.claimFailing) {
        this.options.log.warn({ err: (err as Error).message }, 'liveness: cannot claim checks; retrying every tick');
      }
      this.claimFailing = true;
    } finally {
      this.claiming = false;
    }
    for (const check of claimed) {
      this.active++;
      void this.checkOne(check).finally(() => {
        this.active--;
        if (this.active === 0) for (const wake of this.idle.splice(0)) wake();
        void this.pump();
      });
    }
  }

  /**
   * Checks every entry due now, `concurrency` at a time, and resolves when done; returns
   * how many were checked. (The background loop does the same continuously.)
   */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.now();
      const claimed = await this.options.store.claimDue(now, now + this.options.leaseMs, this.options.concurrency);
      if (claimed.length === 0) return total;
      total += claimed.length;
      await Promise.all(claimed.map((check) => this.checkOne(check)));
    }
  }

  private async checkOne(check: DueCheck): Promise<CheckOutcome | undefined> {
    const { store, policy, verify, intervalMs, maxFailures, log } = this.options;
    let failure: string | undefined;
    try {
      const hp = parseAddress(check.address);
      if (hp === null) throw new Error(`the stored address "${check.address}" is malformed`);
      const target = await policy.check(hp);
      await verify({ ...target, tls: check.tls }, check.id, this.abort.signal);
    } catch (err) {
      // The log gets what really happened (the caller of a route only a plain reason).
      failure = err instanceof ApiError ? (err.detail ?? err.message) : (err as Error).message;
    }
    // Shutting down: the check was cut short, not failed; its lease expires and it is redone.
    if (this.abort.signal.aborted) return undefined;
    try {
      let outcome: CheckOutcome;
      if (failure === undefined) {
        await store.recordSuccess(check, this.now(), this.now() + intervalMs);
        outcome = 'alive';
      } else {
        const result = await store.recordFailure(check, this.now() + intervalMs, maxFailures);
        outcome = result === 'counted' ? 'failed' : result;
        if (outcome === 'evicted') {
          log.info({ id: check.id, address: check.address, reason: failure }, `evicted server ${check.id}: ${failure}`);
        } else if (outcome === 'failed') {
          log.debug({ id: check.id, reason: failure }, 'liveness ping failed');
        }
      }
      this.options.onOutcome?.(outcome);
      return outcome;
    } catch (err) {
      log.warn({ err: (err as Error).message, id: check.id }, 'liveness: cannot record a check');
      return undefined;
    }
  }

  /** Stops claiming, cuts in-flight pings short and waits for them to wind down. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.abort.abort();
    if (this.active > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}
