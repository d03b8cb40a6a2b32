import { DEFAULT_CHAT_PORT, DEFAULT_LISTING_PORT } from '../protocol/address.js';
import type { Resolver } from './address/policy.js';
import { canonicalOrigin } from './cors.js';
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
  /**
   * Accept any certificate when pinging a `tls` entry over `wss://` (self-signed, untrusted,
   * another name): for tests and private setups; unsafe for a public listing (default false).
   */
  allowSelfSigned?: boolean;

  /** Time bound of one verification ping (default 5000 ms, contract §7). */
  pingTimeoutMs?: number;
  /** Largest frame accepted in a ping reply (default 4096 bytes). */
  pingMaxBytes?: number;
  /** Liveness pings in flight at once per instance (default 32). */
  checkConcurrency?: number;
  /** Whether to run the background liveness checker (default true). */
  liveness?: boolean;
  /**
   * Requests that make the listing dial (POST, PUT with a new address) per caller (an IP, an
   * IPv6 /64) per window (default 10 a minute; `max` 0: no limit).
   */
  registerRateLimit?: { max: number; windowMs: number };
  /** Failed authentications (401) on PUT and DELETE per caller per window (default 20 a minute; 0: no limit). */
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
   * Origins (`https://host[:port]`) whose web pages may POST, PUT and DELETE; a write
   * request from any other `Origin` is refused with 403 (default: none).
   */
  corsOrigins?: string[];
  /** A request, body included, must arrive whole within this time (default 30000 ms), else 408. */
  requestTimeoutMs?: number;
  /**
   * Requests that dial (POST, PUT with a new address) in flight at once, per caller
   * (default 8) and in all (default 64); past either, 429 or 503.
   */
  dialsInFlight?: { perCaller: number; total: number };
  /**
   * Bytes of filtered and paged `GET /servers` answers kept per version of the directory
   * (default 16 MiB; 0 keeps none: every such request is a query).
   */
  pageCacheBytes?: number;
}

export type ResolvedListingOptions = Required<Omit<ListingOptions, 'tls' | 'resolve' | 'now' | 'webRoot'>> &
  Pick<ListingOptions, 'tls' | 'resolve' | 'webRoot'> & { now: () => number };

export const DEFAULT_CHECK_INTERVAL_MS = 60_000;
export const DEFAULT_MAX_FAILURES = 3;
export const DEFAULT_REGISTER_LIMIT = 10;
export const DEFAULT_AUTH_FAILURE_LIMIT = 20;
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
    allowSelfSigned: options.allowSelfSigned ?? false,
    pingTimeoutMs: options.pingTimeoutMs ?? 5000,
    pingMaxBytes: options.pingMaxBytes ?? 4096,
    checkConcurrency: options.checkConcurrency ?? 32,
    liveness: options.liveness ?? true,
    registerRateLimit: options.registerRateLimit ?? { max: DEFAULT_REGISTER_LIMIT, windowMs: 60_000 },
    authFailureLimit: options.authFailureLimit ?? { max: DEFAULT_AUTH_FAILURE_LIMIT, windowMs: 60_000 },
    bodyLimitBytes: options.bodyLimitBytes ?? 16 * 1024,
    defaultChatPort: options.defaultChatPort ?? DEFAULT_CHAT_PORT,
    resolve: options.resolve,
    now: options.now ?? Date.now,
    webRoot: options.webRoot,
    corsOrigins: (options.corsOrigins ?? []).map((origin) => {
      const canonical = canonicalOrigin(origin);
      if (canonical === null) throw new Error(`not an origin (scheme://host[:port]): ${origin}`);
      return canonical;
    }),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    dialsInFlight: options.dialsInFlight ?? { perCaller: 8, total: 64 },
    pageCacheBytes: options.pageCacheBytes ?? DEFAULT_PAGE_CACHE_BYTES,
  };
}
