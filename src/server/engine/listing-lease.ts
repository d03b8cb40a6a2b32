import type { Redis } from 'ioredis';
import type { KeptKey, ListingKeyStore } from '../registration/listing-keys.js';
import { clusterKeys } from './redis.js';

/** Takes the lease when nobody holds it, or renews it when this node does. KEYS: lease; ARGV: node ttlMs */
const TAKE = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Renews the lease when this node holds it. KEYS: lease; ARGV: node ttlMs */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Gives the lease up when this node holds it. KEYS: lease; ARGV: node */
const DROP = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/** Keeps a new listing key, only while this node holds the lease. KEYS: lease listing; ARGV: node url key tls */
const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'url', ARGV[2], 'key', ARGV[3], 'tls', ARGV[4])
return 1
`;

/** Forgets the listing key, unless another has replaced it. KEYS: listing; ARGV: key */
const FORGET = `
if redis.call('HGET', KEYS[1], 'key') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'key')
return 1
`;

/** The other nodes whose lease is alive. KEYS: nodes; ARGV: leasePrefix node */
const OTHERS = `
local n = 0
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if node ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. node) == 1 then n = n + 1 end
end
return n
`;

const SCRIPTS = {
  listingLeaseTake: { keys: 1, lua: TAKE },
  listingLeaseRenew: { keys: 1, lua: RENEW },
  listingLeaseDrop: { keys: 1, lua: DROP },
  listingKeySave: { keys: 2, lua: SAVE },
  listingKeyForget: { keys: 1, lua: FORGET },
  liveOtherNodes: { keys: 1, lua: OTHERS },
};
type Scripted = Redis & Record<keyof typeof SCRIPTS, (...args: (string | number)[]) => Promise<unknown>>;

/**
 * The listing lease of a cluster (contract §11, "Listed once"): one node at a time holds it
 * (a key with an expiry, taken when free, renewed and given up only by its holder) and
 * keeps the cluster's one listing entry; the entry's key is kept in Redis, so the next
 * holder carries on with it (a PUT) instead of registering again.
 */
export class ListingLease {
  private readonly keys;
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    id: number,
    /** This node. */
    readonly node: string,
    /** How long the lease lasts unless renewed. */
    readonly ttlMs: number,
  ) {
    this.keys = clusterKeys(id);
    this.redis = redis as Scripted;
    for (const [name, s] of Object.entries(SCRIPTS)) {
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys: s.keys, lua: s.lua });
    }
  }

  /** Takes the lease when nobody holds it (or renews it when this node does); true when this node now holds it. */
  async take(): Promise<boolean> {
    return (await this.redis.listingLeaseTake(this.keys.listingLease, this.node, this.ttlMs)) === 1;
  }

  /** Renews the lease; false when this node no longer holds it. */
  async renew(): Promise<boolean> {
    return (await this.redis.listingLeaseRenew(this.keys.listingLease, this.node, this.ttlMs)) === 1;
  }

  /** Gives the lease up (when this node holds it), for another node to take at once. */
  async drop(): Promise<void> {
    await this.redis.listingLeaseDrop(this.keys.listingLease, this.node);
  }

  /** How many other nodes of the cluster are alive (their node lease is). */
  async otherNodes(): Promise<number> {
    return Number(await this.redis.liveOtherNodes(this.keys.nodes, this.keys.leasePrefix, this.node));
  }

  /** The listing key, kept in the cluster store; a new one is kept only while this node holds the lease. */
  readonly listingKeys: ListingKeyStore = {
    load: async (url: string): Promise<KeptKey | undefined> => {
      const [keptUrl, key, tls] = await this.redis.hmget(this.keys.listing, 'url', 'key', 'tls');
      return keptUrl === url && key ? { key, tls: tls === '1' } : undefined;
    },
    save: async (url: string, kept: KeptKey): Promise<void> => {
      await this.redis.listingKeySave(
        this.keys.listingLease,
        this.keys.listing,
        this.node,
        url,
        kept.key,
        kept.tls ? '1' : '0',
      );
    },
    setTls: async (tls: boolean): Promise<void> => {
      await this.redis.hset(this.keys.listing, 'tls', tls ? '1' : '0');
    },
    forget: async (key: string): Promise<void> => {
      await this.redis.listingKeyForget(this.keys.listing, key);
    },
  };
}
