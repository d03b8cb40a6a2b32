import type { Logger } from 'pino';
import type { ListingLease } from '../engine/listing-lease.js';
import { callListing } from './listing-api.js';
import { DELETE_TIMEOUT_MS, ListingRegistrar, MIN_PUT_INTERVAL_MS, type RegistrarOptions } from './registrar.js';

export interface ClusterListingOptions {
  lease: ListingLease;
  /** The registrar's options but for what the lease provides (the key store, the count, the POST guard). */
  registrar: Omit<RegistrarOptions, 'keys' | 'snapshot' | 'mayRegister' | 'reuseNote' | 'log'>;
  serverName: string;
  maxUsers: number;
  /** Connected users of the whole cluster. */
  userCount(): Promise<number>;
  /** The lease is renewed, or tried for, this often. */
  renewMs: number;
  log: Logger;
}

/**
 * One listing entry for a whole cluster (contract §11, "Listed once"). Every node runs one;
 * the node holding the listing lease runs a registrar (§8) with the key kept in the cluster
 * store and the whole cluster's user count (read every second while it holds the lease).
 * The others try for the lease as it is renewed; when its holder dies it expires, and the
 * next holder reuses the kept key: a PUT, not a second POST. A holder shut down cleanly gives
 * the lease up without a DELETE while other nodes live; the last node to go unregisters.
 */
export class ClusterListing {
  /** The running registrar while this node holds the lease. */
  registrar: ListingRegistrar | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private countTimer: NodeJS.Timeout | undefined;
  private connectedUsers = 0;
  private renewedAt = 0;
  private closed = false;
  private tending: Promise<void> | undefined;
  private counting = false;

  constructor(private readonly o: ClusterListingOptions) {}

  start(): void {
    const tend = () => {
      this.tending ??= this.tend().finally(() => {
        this.tending = undefined;
      });
    };
    tend();
    this.leaseTimer = setInterval(tend, this.o.renewMs);
    this.leaseTimer.unref();
    this.countTimer = setInterval(() => this.countChanged(), MIN_PUT_INTERVAL_MS);
    this.countTimer.unref();
  }

  /** A user joined or left somewhere (or a second has passed): the holder reads the cluster's count. */
  countChanged(): void {
    if (!this.registrar || this.counting) return;
    this.counting = true;
    this.o
      .userCount()
      .then((n) => {
        const count = Math.min(n, this.o.maxUsers);
        if (count === this.connectedUsers) return;
        this.connectedUsers = count;
        this.registrar?.countChanged();
      })
      .catch(() => {}) // the cluster store is away: the count stays as last read
      .finally(() => {
        this.counting = false;
      });
  }

  private async tend(): Promise<void> {
    if (this.closed) return;
    const { lease, log } = this.o;
    try {
      if (this.registrar) {
        if (await lease.renew()) {
          this.renewedAt = Date.now();
          return;
        }
        log.warn('listing: another node holds the listing lease now: it keeps the entry current');
        await this.abandon();
        return;
      }
      if (!(await lease.take())) return;
      this.renewedAt = Date.now();
      this.connectedUsers = Math.min(
        await this.o.userCount().catch(async (err: unknown) => {
          await lease.drop().catch(() => {});
          throw err;
        }),
        this.o.maxUsers,
      );
      if (this.closed) {
        await lease.drop();
        return;
      }
      log.info('listing: this node holds the listing lease: it keeps the cluster listed');
      this.registrar = this.newRegistrar();
      this.registrar.start();
    } catch (err) {
      // Redis away: a holder cut off longer than the lease may have been replaced; it stops.
      log.debug({ err: (err as Error).message }, 'listing lease');
      if (this.registrar && Date.now() - this.renewedAt > lease.ttlMs) {
        log.warn('listing: the listing lease could not be renewed: another node may hold it now');
        await this.abandon();
      }
    }
  }

  private newRegistrar(): ListingRegistrar {
    const { lease } = this.o;
    return new ListingRegistrar({
      ...this.o.registrar,
      keys: lease.listingKeys,
      log: this.o.log,
      snapshot: () => ({
        serverName: this.o.serverName,
        maxUsers: this.o.maxUsers,
        connectedUsers: this.connectedUsers,
      }),
      mayRegister: () => lease.renew().catch(() => false),
      reuseNote: 'listed, carrying on with the cluster entry',
    });
  }

  /** Stops keeping the entry (no DELETE): the lease was lost, or is handed over. */
  private async abandon(): Promise<void> {
    const r = this.registrar;
    this.registrar = undefined;
    await r?.stop(DELETE_TIMEOUT_MS, false);
  }

  /**
   * A clean shutdown of this node: while other nodes live the lease is handed over (given up,
   * the entry kept); the last node of the cluster unregisters (DELETE with the kept key).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.leaseTimer);
    clearInterval(this.countTimer);
    await this.tending;
    const { lease, log } = this.o;
    // Redis away: nothing is known of the others, and the entry is left for them.
    const others = await lease.otherNodes().catch(() => 1);
    if (others > 0) {
      const held = this.registrar !== undefined;
      await this.abandon();
      if (held) {
        await lease.drop().catch(() => {});
        log.info({ nodes: others }, 'listing: handing the listing lease over to another node (the entry stays)');
      }
      return;
    }
    await this.unregisterAsLast().catch((err: unknown) =>
      log.warn({ err: (err as Error).message }, 'listing: could not unregister'),
    );
  }

  /**
   * The last node removes the entry with the kept key: as the holder, or after taking the
   * lease (the holder died before this node took over, or its registrar had not yet reached
   * the listing).
   */
  private async unregisterAsLast(): Promise<void> {
    const { lease, log, registrar } = this.o;
    const held = this.registrar !== undefined;
    await this.abandon();
    if (!held && !(await lease.take())) return; // a holder lives on after all
    const kept = await lease.listingKeys.load(registrar.listingUrl);
    if (kept) {
      const res = await callListing(registrar.listingUrl, 'DELETE', registrar.serverId, {
        key: kept.key,
        timeoutMs: DELETE_TIMEOUT_MS,
      });
      if (res.ok || res.code === 'not_listed') {
        await lease.listingKeys.forget(kept.key);
        log.info({ listing: registrar.listingUrl }, 'listing: unregistered');
      } else {
        log.warn({ listing: registrar.listingUrl, error: res.code }, `listing: could not unregister (${res.message})`);
      }
    }
    await lease.drop();
  }
}
