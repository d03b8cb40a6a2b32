import { DEFAULT_CHAT_PORT } from '../server/options.js';
import type { Resolver } from './address/policy.js';
import { DEFAULT_DB_FILE } from './store/open.js';

/** Options of a listing server; the command line (contract §9) sets the first group. */
export interface ListingOptions {
  host?: string;
  /** TCP port; default 8080, 0 for an ephemeral port. */
  port?: number;
  /** A SQLite file (default ./c2-listing.db) or a postgres:// URL. */
  db?: string;
  allowPrivateAddresses?: boolean;
  anyAddress?: boolean;
  trustProxy?: boolean;
  checkIntervalMs?: number;
  maxFailures?: number;
  tls?: { cert: string | Buffer; key: string | Buffer };

  /** Time bound of one verification ping (default 5000 ms, contract §7). */
  pingTimeoutMs?: number;
  /** Largest frame accepted in a ping reply (default 4096 bytes). */
  pingMaxBytes?: number;
  /** Liveness pings in flight at once per instance (default 32). */
  checkConcurrency?: number;
  /** Whether to run the background liveness checker (default true). */
  liveness?: boolean;
  /** POSTs per client IP per window (default 10 a minute). */
  registerRateLimit?: { max: number; windowMs: number };
  /** Failed authentications (401) on PUT and DELETE per client IP per window (default 20 a minute). */
  authFailureLimit?: { max: number; windowMs: number };
  /** Largest request body (default 16 KiB). */
  bodyLimitBytes?: number;
  /** Port of the default address (default 5000). */
  defaultChatPort?: number;
  /** Host name resolution (default: the system resolver). */
  resolve?: Resolver;
  /** The clock (default Date.now). */
  now?: () => number;
  /** Directory of the built web client served at `/`. */
  webRoot?: string;
  /**
   * Bytes of filtered and paged `GET /servers` answers kept per version of the directory
   * (default 16 MiB; 0 keeps none: every such request is a query).
   */
  pageCacheBytes?: number;
}

export type ResolvedListingOptions = Required<Omit<ListingOptions, 'tls' | 'resolve' | 'now' | 'webRoot'>> &
  Pick<ListingOptions, 'tls' | 'resolve' | 'webRoot'> & { now: () => number };

export const DEFAULT_LISTING_PORT = 8080;
export const DEFAULT_CHECK_INTERVAL_MS = 60_000;
export const DEFAULT_MAX_FAILURES = 3;
export const DEFAULT_PAGE_CACHE_BYTES = 16 * 1024 * 1024;

export function resolveListingOptions(options: ListingOptions): ResolvedListingOptions {
  return {
    host: options.host ?? '0.0.0.0',
    port: options.port ?? DEFAULT_LISTING_PORT,
    db: options.db ?? DEFAULT_DB_FILE,
    allowPrivateAddresses: options.allowPrivateAddresses ?? false,
    anyAddress: options.anyAddress ?? false,
    trustProxy: options.trustProxy ?? false,
    checkIntervalMs: options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    maxFailures: options.maxFailures ?? DEFAULT_MAX_FAILURES,
    tls: options.tls,
    pingTimeoutMs: options.pingTimeoutMs ?? 5000,
    pingMaxBytes: options.pingMaxBytes ?? 4096,
    checkConcurrency: options.checkConcurrency ?? 32,
    liveness: options.liveness ?? true,
    registerRateLimit: options.registerRateLimit ?? { max: 10, windowMs: 60_000 },
    authFailureLimit: options.authFailureLimit ?? { max: 20, windowMs: 60_000 },
    bodyLimitBytes: options.bodyLimitBytes ?? 16 * 1024,
    defaultChatPort: options.defaultChatPort ?? DEFAULT_CHAT_PORT,
    resolve: options.resolve,
    now: options.now ?? Date.now,
    webRoot: options.webRoot,
    pageCacheBytes: options.pageCacheBytes ?? DEFAULT_PAGE_CACHE_BYTES,
  };
}
