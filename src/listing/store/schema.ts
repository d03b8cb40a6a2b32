/** The listing's tables, as Kysely sees them (the migrations create them). */
import type { Generated } from 'kysely';

export const SERVERS_TABLE = 'c2_listing_servers';
export const STATE_TABLE = 'c2_listing_state';
/** SQLite only: the FTS5 trigram index of `search` (contentless; rowid = id), kept by triggers. */
export const SEARCH_TABLE = 'c2_listing_search';

export interface ServersTable {
  id: number;
  server_name: string;
  address: string;
  connected_users: number;
  max_users: number;
  /** 1 when the server speaks `wss://` only (migration 0003; an integer, 0 or 1, on both stores). */
  tls: number;
  /** SHA-256 (hex) of the entry's key; the key itself is never stored. */
  key_hash: string;
  /** The IP the registering request came from (for operators). */
  registered_from: string;
  /** Times in milliseconds since the epoch. */
  created_at: number;
  updated_at: number;
  last_seen_at: number;
  /** Failed liveness pings in a row. */
  failures: Generated<number>;
  /** When the entry is next due for a liveness ping (also the lease of a claimed check). */
  next_check_at: number;
  /** The `sort=name` key: the folded name (src/listing/search.ts), compared by code point. */
  name_key: string;
  /** What `q` is matched against: the folded name and address (src/listing/search.ts). */
  search: string;
}

/** One row (id 1): a counter bumped by every change to the public listing. */
export interface StateTable {
  id: number;
  version: number;
  /** The HMAC key of page cursors (base64url), shared by every instance on this database. */
  cursor_secret: string | null;
}

export interface ListingDatabase {
  [SERVERS_TABLE]: ServersTable;
  [STATE_TABLE]: StateTable;
}
