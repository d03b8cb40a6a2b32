import type { Logger } from 'pino';
import type { AddressPolicy } from './address/policy.js';
import type { CursorCodec } from './cursor.js';
import type { DialBudget, FixedWindowLimiter } from './limits.js';
import type { ListCache } from './list-cache.js';
import type { ListingMetrics } from './metrics.js';
import type { ResolvedListingOptions } from './options.js';
import type { PageCache } from './page-cache.js';
import type { ListingStore } from './store/types.js';
import type { Verifier } from './verify.js';

/** What the routes share: built once per listing server. */
export interface ListingContext {
  options: ResolvedListingOptions;
  store: ListingStore;
  cache: ListCache;
  /** Signs and checks page cursors (contract §12). */
  cursors: CursorCodec;
  /** Filtered and paged answers kept per version (contract §12). */
  pages: PageCache;
  policy: AddressPolicy;
  verify: Verifier;
  metrics: ListingMetrics;
  /** Failed authentications per caller (PUT and DELETE answer 429 past the limit). */
  authFailures: FixedWindowLimiter;
  log: Logger;
  /** What makes the listing dial (POST, PUT with a new address), per caller and in all. */
  dials: DialBudget;
}
