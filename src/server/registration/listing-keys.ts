import type { Maybe } from '../engine/types.js';
import type { ServerStore } from '../store.js';

/** The listing key kept from an earlier registration, and whether that entry was made with `tls: true`. */
export interface KeptKey {
  key: string;
  tls: boolean;
}

/**
 * Where a registrar keeps the key the listing returned (contract §8): the data directory of
 * a single server, or the cluster store, shared by the nodes of one server (§11).
 */
export interface ListingKeyStore {
  /** The key kept for an entry at the listing `url`; none when it was made at another listing. */
  load(url: string): Maybe<KeptKey | undefined>;
  /** The key of a new entry (a POST). */
  save(url: string, kept: KeptKey): Maybe<void>;
  /** The entry, reused with a PUT, now has this `tls` flag. */
  setTls(tls: boolean): Maybe<void>;
  /** The entry is gone: forget `key` (unless another key has replaced it meanwhile). */
  forget(key: string): Maybe<void>;
}

const KEY = 'listing_key';
const KEY_URL = 'listing_url';
/** '1' when the entry was made (or last re-registered) with `tls: true`. */
const KEY_TLS = 'listing_tls';

/** The key in a single server's data directory (its `meta` table). */
export function dataDirListingKeys(store: ServerStore): ListingKeyStore {
  return {
    load(url) {
      if (store.getMeta(KEY_URL) !== url) return undefined;
      const key = store.getMeta(KEY);
      return key === undefined ? undefined : { key, tls: store.getMeta(KEY_TLS) === '1' };
    },
    save(url, kept) {
      store.setMeta(KEY, kept.key);
      store.setMeta(KEY_URL, url);
      store.setMeta(KEY_TLS, kept.tls ? '1' : '0');
    },
    setTls(tls) {
      store.setMeta(KEY_TLS, tls ? '1' : '0');
    },
    forget(key) {
      if (store.getMeta(KEY) === key) store.deleteMeta(KEY);
    },
  };
}
