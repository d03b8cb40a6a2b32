import type { Logger } from 'pino';
import { backoffDelay, DEFAULT_RECONNECT } from '../../client/backoff.js';
import { formatAddress } from '../../protocol/address.js';
import { callListing, type ListingOutcome, type ListingProps } from './listing-api.js';
import type { ListingKeyStore } from './listing-keys.js';
import { localAddressToward } from './local-address.js';

export interface RegistrarOptions {
  listingUrl: string;
  serverId: number;
  /** host:port the listing should dial; found from the route to the listing when absent. */
  publicAddress?: string;
  /** The chat server's bound host and port. */
  boundHost: string;
  port: number;
  /** A PUT at least this often, even with no change (default 60 s). */
  heartbeatMs: number;
  /** The server speaks `wss://` only (`--tls-cert`): listed with `tls: true`. */
  tls?: boolean;
  /** Where the listing's key is kept (the data directory, or the cluster store). */
  keys: ListingKeyStore;
  log: Logger;
  /** The server's current properties. */
  snapshot(): { serverName: string; maxUsers: number; connectedUsers: number };
  /**
   * Whether this registrar may still make a new entry (a POST): a node of a cluster asks
   * whether it still holds the listing lease (contract §11). Always, when absent.
   */
  mayRegister?: () => Promise<boolean>;
  /** How a reused entry is logged (default: one kept from a previous run). */
  reuseNote?: string;
}

/** At most one count update a second (contract §8). */
export const MIN_PUT_INTERVAL_MS = 1000;
/** A POST waits for the listing to ping us (up to 5 s), so it gets longer. */
const POST_TIMEOUT_MS = 10_000;
const PUT_TIMEOUT_MS = 5000;
export const DELETE_TIMEOUT_MS = 3000;

/** 1 s, 2 s, 4 s … capped at 30 s, each less up to half at random (contract §8). */
const RETRY = { ...DEFAULT_RECONNECT, initialDelayMs: 1000, maxDelayMs: 30_000 };

export type RegistrationState = 'unregistered' | 'registered' | 'stopped';

/**
 * Keeps a chat server listed (contract §8): POST at start (or a PUT with the key kept from
 * a previous run), a coalesced PUT when the user count changes, a heartbeat PUT, a new POST
 * when the listing has lost the entry, backoff with jitter while the listing is down, and a
 * DELETE on stop. One request at a time; one timer.
 */
export class ListingRegistrar {
  state: RegistrationState = 'unregistered';
  private key: string | undefined;
  /** Whether the kept key has been read from `keys` (at the first registration). */
  private loaded = false;
  /** The kept entry was made with `tls: true`. */
  private entryTls = false;
  private address: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private dirty = false;
  private lastPutAt = 0;
  private notBefore = 0;
  /** Failed attempts in a row, for the backoff. */
  private failures = 0;
  private lastProblem = '';
  /** Requests sent, by method (for tests and metrics). */
  readonly requests = { POST: 0, PUT: 0, DELETE: 0 };

  constructor(private readonly o: RegistrarOptions) {}

  start(): void {
    this.pump();
  }

  /** The user count changed: a PUT follows, at most one a second. */
  countChanged(): void {
    this.dirty = true;
    this.pump();
  }

  private pump(): void {
    if (this.state === 'stopped' || this.inFlight) return;
    clearTimeout(this.timer);
    const registered = this.state === 'registered';
    const due = registered
      ? Math.max(this.notBefore, this.lastPutAt + (this.dirty ? MIN_PUT_INTERVAL_MS : this.o.heartbeatMs))
      : this.notBefore;
    this.timer = setTimeout(
      () => {
        if (this.state === 'stopped') return;
        this.inFlight = (registered ? this.update() : this.register())
          .catch((err: unknown) => {
            // Not the listing's answer (the key store failed): backoff all the same.
            this.notBefore = Date.now() + backoffDelay(++this.failures, RETRY, Math.random);
            this.o.log.error({ err }, 'listing registration failed');
          })
          .finally(() => {
            this.inFlight = undefined;
            this.pump();
          });
      },
      Math.max(0, due - Date.now()),
    );
    this.timer.unref();
  }

  private props(): ListingProps {
    // `tls` is sent when it is true, or to switch an entry made with it off: a server that
    // never used TLS sends nothing a listing older than the property would refuse.
    const tls = this.o.tls === true;
    const switchOff = !tls && this.key !== undefined && this.entryTls;
    return {
      ...this.o.snapshot(),
      ...(this.address ? { address: this.address } : {}),
      ...(tls || switchOff ? { tls } : {}),
    };
  }

  private async resolveAddress(): Promise<void> {
    if (this.address) return;
    if (this.o.publicAddress) {
      this.address = this.o.publicAddress;
      return;
    }
    const { boundHost, port } = this.o;
    if (boundHost !== '0.0.0.0' && boundHost !== '::') {
      this.address = formatAddress(boundHost, port);
      return;
    }
    const listing = new URL(this.o.listingUrl);
    const listingPort = Number(listing.port) || (listing.protocol === 'https:' ? 443 : 80);
    const local = await localAddressToward(listing.hostname.replace(/^\[|\]$/g, ''), listingPort);
    if (local) this.address = formatAddress(local, port);
  }

  private async register(): Promise<void> {
    if (!this.loaded) {
      const kept = await this.o.keys.load(this.o.listingUrl);
      this.key = kept?.key;
      this.entryTls = kept?.tls ?? false;
      this.loaded = true;
    }
    await this.resolveAddress();
    const tls = this.o.tls === true;
    if (this.key !== undefined) {
      // A key from a previous run: reuse the entry if the listing still has it.
      this.dirty = false;
      const put = await this.send('PUT', this.props(), this.key);
      if (put.ok) {
        await this.o.keys.setTls(tls);
        this.entryTls = tls;
        return this.registered(this.o.reuseNote ?? 'still listed, reusing the entry from the previous run');
      }
      if (!this.entryGone(put)) return this.failed(put);
      await this.forgetKey();
    }
    if (this.o.mayRegister && !(await this.o.mayRegister())) {
      // Another node holds the lease now: it registers, not this one.
      this.notBefore = Date.now() + MIN_PUT_INTERVAL_MS;
      return;
    }
    this.dirty = false;
    const post = await this.send('POST', this.props());
    if (!post.ok) return this.failed(post);
    this.key = post.text.trim();
    this.entryTls = tls;
    await this.o.keys.save(this.o.listingUrl, { key: this.key, tls });
    this.registered('registered');
  }

  private async update(): Promise<void> {
    this.dirty = false;
    const put = await this.send('PUT', { connectedUsers: this.o.snapshot().connectedUsers }, this.key);
    if (put.ok) {
      this.failures = 0;
      this.notBefore = 0;
      return;
    }
    if (this.entryGone(put)) {
      this.o.log.warn(
        { listing: this.o.listingUrl, error: put.code },
        'the listing no longer lists this server: registering again',
      );
      await this.forgetKey();
      this.state = 'unregistered';
      this.notBefore = 0;
      return;
    }
    this.dirty = true; // the count still has to get there
    this.failed(put);
  }

  /** `not_listed` (lost or evicted) or a key it no longer accepts: the entry must be made again. */
  private entryGone(outcome: ListingOutcome): boolean {
    return !outcome.ok && (outcome.code === 'not_listed' || outcome.status === 401);
  }

  private async forgetKey(): Promise<void> {
    const key = this.key;
    this.key = undefined;
    if (key !== undefined) await this.o.keys.forget(key);
  }

  private registered(how: string): void {
    this.state = 'registered';
    this.lastPutAt = Date.now();
    this.notBefore = 0;
    this.failures = 0;
    this.lastProblem = '';
    this.o.log.info(
      { listing: this.o.listingUrl, id: this.o.serverId, address: this.address },
      `listing: ${how} at ${this.o.listingUrl} as server ${this.o.serverId} (${this.o.tls ? 'wss://' : ''}${this.address ?? 'origin address'})`,
    );
  }

  private failed(outcome: Exclude<ListingOutcome, { ok: true }>): void {
    const wait = outcome.retryAfterMs ?? backoffDelay(++this.failures, RETRY, Math.random);
    this.notBefore = Date.now() + wait;
    const seconds = Math.round(wait / 100) / 10;
    const problem = describe(outcome, this.o, this.address);
    // The same problem again is logged quietly: one clear line, not one per retry.
    const level = problem === this.lastProblem ? 'debug' : outcome.code === 'already_listed' ? 'error' : 'warn';
    this.lastProblem = problem;
    this.o.log[level](
      { listing: this.o.listingUrl, status: outcome.status, error: outcome.code },
      `${problem} (retrying in ${seconds} s)`,
    );
  }

  private async send(
    method: 'POST' | 'PUT' | 'DELETE',
    body: ListingProps | undefined,
    key?: string,
    timeoutMs?: number,
  ) {
    this.requests[method]++;
    if (method === 'PUT') this.lastPutAt = Date.now();
    return callListing(this.o.listingUrl, method, this.o.serverId, {
      ...(key !== undefined ? { key } : {}),
      ...(body !== undefined ? { body } : {}),
      timeoutMs: timeoutMs ?? (method === 'POST' ? POST_TIMEOUT_MS : PUT_TIMEOUT_MS),
      signal: this.abort.signal,
    });
  }

  /**
   * Stops updating and unregisters (DELETE), bounded in time: a dead listing cannot hang a
   * shutdown. With `unregister` false the entry and its kept key stay, for another node of
   * the cluster to carry on with.
   */
  async stop(timeoutMs = DELETE_TIMEOUT_MS, unregister = true): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRegistered = this.state === 'registered';
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.abort.abort();
    await this.inFlight;
    if (!unregister || !wasRegistered || this.key === undefined) return;
    this.requests.DELETE++;
    const res = await callListing(this.o.listingUrl, 'DELETE', this.o.serverId, { key: this.key, timeoutMs });
    if (res.ok || res.code === 'not_listed') {
      await this.forgetKey();
      this.o.log.info({ listing: this.o.listingUrl }, 'listing: unregistered');
    } else {
      this.o.log.warn(
        { listing: this.o.listingUrl, error: res.code },
        `listing: could not unregister (${res.message}); the entry will be reused on the next start, or evicted`,
      );
    }
  }
}

function describe(
  outcome: Exclude<ListingOutcome, { ok: true }>,
  o: RegistrarOptions,
  address: string | undefined,
): string {
  const at = address ?? 'its origin address';
  switch (outcome.code) {
    case 'unreachable':
      return `listing: cannot reach ${o.listingUrl}: ${outcome.message}`;
    case 'ping_failed':
      if (o.tls) {
        return `listing: the listing could not reach this server over wss:// at ${at} (${outcome.message}). Start the server with --public-address HOST:PORT, an address the listing can reach, and a certificate the listing trusts for that host (a listing for tests or a private network may run with --allow-self-signed)`;
      }
      return `listing: the listing could not reach this server at ${at} (${outcome.message}). Start the server with --public-address HOST:PORT, an address the listing can reach`;
    case 'wrong_server_id':
      return `listing: the listing could not reach this server at ${at} (${outcome.message}). Start the server with --public-address HOST:PORT, an address the listing can reach`;
    case 'already_listed':
      return `listing: server id ${o.serverId} is already listed by another server (${outcome.message}). This server keeps serving chat unlisted; start it with another --id to be listed`;
    case 'address_not_yours':
      return `listing: the listing refused the address ${at} as not this host's (${outcome.message}). Use --public-address with this host's public IP`;
    default:
      return `listing: ${outcome.status ? `HTTP ${outcome.status} ` : ''}${outcome.code}: ${outcome.message}`;
  }
}
