import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DisconnectReason } from '../../protocol/messages.js';
import { formatServerMessage } from '../../protocol/messages.js';
import type { Connection } from '../connection.js';
import { MessageRing, RING_CAPACITY } from '../history.js';
import type { StoredMessage } from '../store.js';
import type { After, Delivery, EngineHost, RoomEngine, Seat } from './types.js';
import { OutcomeUnknown, SEATED } from './types.js';

/**
 * The Redis keys of one c2 server (contract §11). The hash tag `{id}` keeps them in one slot,
 * and several clusters (other ids) can share one Redis.
 */
export function clusterKeys(id: number) {
  const p = `c2:{${id}}:`;
  return {
    /** hash: epoch, seq (the last seq given), joins (the join counter), name, maxUsers */
    meta: `${p}meta`,
    /** hash: name key → "<node> <conn> <username>" */
    names: `${p}names`,
    /** sorted set: name keys by join order */
    order: `${p}order`,
    /** hash: name key → "<bannedAt>\n<username>\n<message>" */
    bans: `${p}bans`,
    /** list: the history, "<seq>\n<time>\n<username>\n<text>", capped at --history-size */
    history: `${p}history`,
    /** stream: the one order of messages and notices that every node reads */
    events: `${p}events`,
    /** set: the nodes that may hold seats */
    nodes: `${p}nodes`,
    /** string with expiry: a node's lease, renewed while it lives */
    lease: (node: string) => `${p}node:${node}`,
    leasePrefix: `${p}node:`,
    /** string with expiry: the node that registers the server with the listing (its listing lease) */
    listingLease: `${p}listing-lease`,
    /** hash: url, key, tls — the listing entry's key, shared by the nodes */
    listing: `${p}listing`,
  };
}

/** Entries the stream keeps (it is for delivery; history is the list). */
const STREAM_MAX = 10_000;
/** Entries one XREAD returns at most. */
const READ_COUNT = 1_000;
/** How long a blocking XREAD waits before asking again. */
const READ_BLOCK_MS = 2_000;

/** Creates the cluster's state, or checks this node agrees with it. */
const INIT = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'seq', 0, 'joins', 0, 'name', ARGV[1], 'maxUsers', ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'epoch', 'name', 'maxUsers')
`;

/** Where a node starts: epoch, the last seq, the stream's last id, the newest history. */
const SNAPSHOT = `
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local id = '0-0'
if last[1] then id = last[1][1] end
return {meta[1] or '', meta[2] or '0', id, redis.call('LRANGE', KEYS[2], -tonumber(ARGV[1]), -1)}
`;

/**
 * The first lines of a script that changes the room for a request a user waits on (a MSG, a
 * CONNECT, a rename): its last argument is a deadline in Redis's clock (ms), and a script
 * that runs after it does nothing. A request whose answer was lost (Redis frozen, the
 * connection cut) is thus known not to have taken effect once the deadline has passed,
 * rather than possibly taking effect later, after its user was told it failed.
 */
const TOO_LATE = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[#ARGV]) then
  return redis.error_reply('LATE the request reached the cluster store after its deadline')
end`;

/**
 * The next seq and the append, at once: history (capped) and the stream.
 * KEYS: meta history events; ARGV: username text time node conn historySize streamMax deadline
 */
const APPEND = `
${TOO_LATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('NOMETA the cluster state is gone') end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('RPUSH', KEYS[2], seq .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 't', 'm', 's', seq, 'u', ARGV[1], 'x', ARGV[2], 'time', ARGV[3], 'o', ARGV[4], 'c', ARGV[5])
return seq
`;

/**
 * A seat (joining) or a new name (renaming), under the cluster-wide rule: a free seat, not
 * banned, not held by another; then the notice, in the stream's order.
 * KEYS: meta names order bans events; ARGV: key username node conn joining maxUsers oldKey oldName streamMax deadline
 */
const SEAT = `
${TOO_LATE}
local key = ARGV[1]
local joining = ARGV[5] == '1'
if joining and redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[6]) then return {'full'} end
if redis.call('HEXISTS', KEYS[4], key) == 1 then return {'banned'} end
local me = ARGV[3] .. ' ' .. ARGV[4] .. ' '
local held = redis.call('HGET', KEYS[2], key)
if held and string.sub(held, 1, #me) ~= me then
  local a = string.find(held, ' ', 1, true)
  local b = string.find(held, ' ', a + 1, true)
  return {'taken', string.sub(held, b + 1)}
end
if joining then
  local score = redis.call('HINCRBY', KEYS[1], 'joins', 1)
  redis.call('HSET', KEYS[2], key, me .. ARGV[2])
  redis.call('ZADD', KEYS[3], score, key)
  local n = redis.call('ZCARD', KEYS[3])
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[9], '*', 't', 'c', 'u', ARGV[2], 'o', ARGV[3], 'n', n)
  return {'ok', tostring(n)}
end
local oldKey = ARGV[7]
local mine = redis.call('HGET', KEYS[2], oldKey)
local score = redis.call('ZSCORE', KEYS[3], oldKey)
if not mine or string.sub(mine, 1, #me) ~= me or not score then return {'gone'} end
if oldKey ~= key then
  redis.call('HDEL', KEYS[2], oldKey)
  redis.call('ZREM', KEYS[3], oldKey)
  redis.call('ZADD', KEYS[3], score, key)
end
redis.call('HSET', KEYS[2], key, me .. ARGV[2])
if ARGV[8] ~= ARGV[2] then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[9], '*', 't', 'u', 'u', ARGV[8], 'v', ARGV[2], 'o', ARGV[3])
end
return {'ok'}
`;

/** Frees a seat this node holds, with its notice. KEYS: names order events; ARGV: key node conn reason username streamMax */
const LEAVE = `
local me = ARGV[2] .. ' ' .. ARGV[3] .. ' '
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held or string.sub(held, 1, #me) ~= me then return 0 end
local n = redis.call('ZCARD', KEYS[2])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 't', 'd', 'r', ARGV[4], 'u', ARGV[5], 'o', ARGV[2], 'n', n)
return 1
`;

/** A ban, and the holder's seat freed with the ban notice. KEYS: bans names order events; ARGV: key username message time streamMax */
const BAN = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4] .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3])
local held = redis.call('HGET', KEYS[2], ARGV[1])
if not held then return 0 end
local a = string.find(held, ' ', 1, true)
local b = string.find(held, ' ', a + 1, true)
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', 't', 'b', 'u', string.sub(held, b + 1), 'm', ARGV[3], 'n', string.sub(held, 1, a - 1), 'c', string.sub(held, a + 1, b - 1), 'k', redis.call('ZCARD', KEYS[3]))
`;

/** The names, in join order. */
const USERS = `
local keys = redis.call('ZRANGE', KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]))
if #keys == 0 then return {} end
local held = redis.call('HMGET', KEYS[1], unpack(keys))
local out = {}
for i, h in ipairs(held) do
  if h then
    local a = string.find(h, ' ', 1, true)
    local b = string.find(h, ' ', a + 1, true)
    out[#out + 1] = string.sub(h, b + 1)
  end
end
return out
`;

/** History after a seq: {retained, entries}. KEYS: meta history; ARGV: seq n */
const AFTER = `
local last = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local len = redis.call('LLEN', KEYS[2])
local first = last - len + 1
local from = tonumber(ARGV[1]) + 1
if from < first then return {0, {}} end
local i = from - first
return {1, redis.call('LRANGE', KEYS[2], i, i + tonumber(ARGV[2]) - 1)}
`;

/**
 * A node's lease, renewed: 'reaped' when the node had already been declared dead (its users
 * were announced gone and their seats freed). KEYS: nodes lease; ARGV: node ttlMs first
 */
const RENEW = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
  if ARGV[3] ~= '1' then return 'reaped' end
  redis.call('SADD', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  return 'new'
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 'ok'
`;

/**
 * The nodes whose lease has expired: each of their users is announced gone
 * (lost_connection, by no node in particular: every node tells its members) and its seat
 * freed. Atomic, so one node does it once. KEYS: nodes names order events; ARGV: leasePrefix streamMax
 */
const REAP = `
local dead = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. node) == 0 then dead[node .. ' '] = true; redis.call('SREM', KEYS[1], node) end
end
if next(dead) == nil then return 0 end
local freed = 0
local keys = redis.call('ZRANGE', KEYS[3], 0, -1)
for _, key in ipairs(keys) do
  local held = redis.call('HGET', KEYS[2], key)
  if held then
    local a = string.find(held, ' ', 1, true)
    if dead[string.sub(held, 1, a)] then
      local b = string.find(held, ' ', a + 1, true)
      local n = redis.call('ZCARD', KEYS[3])
      redis.call('HDEL', KEYS[2], key)
      redis.call('ZREM', KEYS[3], key)
      redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 't', 'd', 'r', 'lost_connection', 'u', string.sub(held, b + 1), 'o', '', 'n', n)
      freed = freed + 1
    end
  else
    redis.call('ZREM', KEYS[3], key)
  end
end
return freed
`;

type ScriptName = 'init' | 'snapshot' | 'append' | 'seat' | 'leave' | 'ban' | 'users' | 'after' | 'renew' | 'reap';
const SCRIPTS: Record<ScriptName, { keys: number; lua: string }> = {
  init: { keys: 1, lua: INIT },
  snapshot: { keys: 3, lua: SNAPSHOT },
  append: { keys: 3, lua: APPEND },
  seat: { keys: 5, lua: SEAT },
  leave: { keys: 3, lua: LEAVE },
  ban: { keys: 4, lua: BAN },
  users: { keys: 2, lua: USERS },
  after: { keys: 2, lua: AFTER },
  renew: { keys: 2, lua: RENEW },
  reap: { keys: 4, lua: REAP },
};

/** A node's lease lasts this long unless renewed (contract §11: a dead node's users are announced within 10 s). */
export const LEASE_MS = 6_000;
/** Leases are renewed, and expired ones reaped, this often. */
export const LEASE_RENEW_MS = 2_000;

type Scripted = Redis & Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;

function parseEntry(entry: string): StoredMessage {
  const a = entry.indexOf('\n');
  const b = entry.indexOf('\n', a + 1);
  const c = entry.indexOf('\n', b + 1);
  return {
    seq: Number(entry.slice(0, a)),
    username: entry.slice(b + 1, c),
    text: entry.slice(c + 1),
    time: Number(entry.slice(a + 1, b)),
  };
}

/** Whether stream id `a` ("ms-n") is at or before `b`. */
function streamIdAtMost(a: string, b: string): boolean {
  const [am = 0, an = 0] = a.split('-').map(Number);
  const [bm = 0, bn = 0] = b.split('-').map(Number);
  return am < bm || (am === bm && an <= bn);
}

/** A cluster that this node cannot join: one line for the operator. */
export class ClusterMismatch extends Error {}

export interface RedisEngineOptions {
  url: string;
  id: number;
  name: string;
  maxUsers: number;
  historySize: number;
  log: Logger;
}

/** A MSG waiting for its copy to be read back from the stream and written to its sender. */
interface Waiter {
  /** This node's number for the append (its stream entry's `c`). */
  ticket: number;
  sender: Connection;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The Redis URL for logs and errors: its password (redis://:PASSWORD@host) shown as `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}

/** A request that changes the room must reach Redis within this long of being sent (the scripts' deadline). */
const DEADLINE_MS = 3_000;
/** The deadline is in Redis's clock, known here to within this (half a round trip, and drift between measures). */
const CLOCK_MARGIN_MS = 500;
/** How long after its deadline a MSG whose answer was lost waits for Redis to say whether it was stored. */
const DOUBT_MS = 7_000;

/** Whether a failed request surely did not take effect: Redis refused it, or it was never sent. */
function surelyUndone(err: Error): boolean {
  return err.name === 'ReplyError' || /enableOfflineQueue|isn't writeable/.test(err.message);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * `socketTimeout`: a connection on which Redis has sent nothing for that long while requests
 * wait (Redis frozen, or a network that drops packets without a reset) is closed and made
 * again, and its requests fail, rather than waiting for ever.
 */
function redisClient(url: string, name: string, socketTimeout: number): Redis {
  return new Redis(url, {
    connectionName: name,
    socketTimeout,
    lazyConnect: true,
    // Redis away: a request fails at once (the user gets [unavailable]) rather than waiting.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A request whose answer was lost is not sent again: it may have been done (never twice).
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  });
}

/**
 * One node of a c2 server whose state is in Redis (contract §11). Every change goes through
 * a Lua script (atomic: take the next seq and append; take a seat under the cluster-wide
 * cap), and every message and notice is one entry of one stream, which every node reads on
 * its own connection (a blocking XREAD) and delivers to its members in that order. This node's
 * own notices are written to its members at once (by the hub) and skipped when read back.
 */
export class RedisEngine implements RoomEngine {
  readonly nodeId = randomBytes(6).toString('hex');
  epoch = '';
  lastSeq = 0;
  /**
   * Connected users of the whole cluster as last known here: from the seat answers and the
   * stream's join, leave and ban entries (each carries the count, taken atomically with it).
   */
  users = 0;
  /** Redis's clock minus this node's (ms), measured with TIME at start and with every lease renewal. */
  private clockOffset = 0;
  private host!: EngineHost;
  private readonly keys;
  private readonly cmd: Scripted;
  private readonly reader: Redis;
  private readonly ring: MessageRing;
  private lastId = '0-0';
  /** MSGs whose copies have not come back yet, by ticket. */
  private readonly waiters = new Map<number, Waiter>();
  /** The same, by sender (its local id), in the order they were appended. */
  private readonly queues = new Map<number, Waiter[]>();
  private nextTicket = 1;
  /** Senders (by local id) with a MSG whose fate is being found out: settled when all are known. */
  private readonly doubts = new Map<number, Promise<unknown>>();
  /** Requests waiting until the stream has been read up to an entry of theirs. */
  private readers: { id: string; resolve: () => void }[] = [];
  /** This node's connections that hold a seat, by their local id (ban notices name them). */
  private readonly seated = new Map<number, Connection>();
  private closed = false;
  private reading: Promise<void> | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  /**
   * Since when this node has been connected to Redis without a break: it declares other
   * nodes dead only after a whole lease of it, so that after an outage of Redis (when every
   * lease may have run out) each node first has the time to renew its own.
   */
  private connectedSince = Date.now();
  /** Seats whose release failed (Redis away): released again when it is back. */
  private unreleased: { key: string; conn: number; reason: string; username: string }[] = [];
  private readonly log: Logger;

  private constructor(private readonly options: RedisEngineOptions) {
    this.keys = clusterKeys(options.id);
    this.log = options.log;
    this.cmd = redisClient(options.url, `c2-${options.id}`, DEADLINE_MS) as Scripted;
    for (const [name, s] of Object.entries(SCRIPTS)) {
      this.cmd.defineCommand(name, { numberOfKeys: s.keys, lua: s.lua });
    }
    this.reader = redisClient(options.url, `c2-${options.id}-reader`, READ_BLOCK_MS + DEADLINE_MS);
    this.ring = new MessageRing(Math.min(RING_CAPACITY, options.historySize));
    for (const client of [this.cmd, this.reader]) {
      client.on('error', (err: Error) => this.log.debug({ err: err.message }, 'redis'));
    }
    let down = false;
    this.cmd.on('close', () => {
      if (down || this.closed) return;
      down = true;
      this.log.error(
        { cluster: redactRedisUrl(options.url) },
        'the cluster store (Redis) is unreachable: requests that need it are refused until it returns',
      );
    });
    this.cmd.on('ready', () => {
      this.connectedSince = Date.now();
      if (!down) return;
      down = false;
      this.log.info({ cluster: redactRedisUrl(options.url) }, 'the cluster store (Redis) is back');
    });
  }

  /**
   * Connects, creates the cluster's state or checks this node agrees with it (id, name, max
   * users: else ClusterMismatch), and takes its position in the stream.
   */
  static async open(options: RedisEngineOptions): Promise<RedisEngine> {
    const engine = new RedisEngine(options);
    try {
      await engine.cmd.connect();
      await engine.reader.connect();
      const k = engine.keys;
      const [epoch, name, maxUsers] = (await engine.cmd.init(
        k.meta,
        options.name,
        options.maxUsers,
        randomBytes(8).toString('hex'),
      )) as [string, string, string];
      if (name !== options.name) {
        throw new ClusterMismatch(
          `cluster ${options.id} is named ${JSON.stringify(name)}, not ${JSON.stringify(options.name)}: start every node with the same --name`,
        );
      }
      if (Number(maxUsers) !== options.maxUsers) {
        throw new ClusterMismatch(
          `cluster ${options.id} has --max-users ${maxUsers}, not ${options.maxUsers}: start every node with the same --max-users`,
        );
      }
      engine.epoch = epoch;
      await engine.measureClock();
      await engine.renewLease(true);
      await engine.takePosition();
      await engine.userCount();
      return engine;
    } catch (err) {
      engine.cmd.disconnect();
      engine.reader.disconnect();
      throw err;
    }
  }

  /** Reads where the sequence is: the epoch, the last seq, the stream's end, the newest history. */
  private async takePosition(): Promise<void> {
    const k = this.keys;
    const [epoch, seq, id, recent] = (await this.cmd.snapshot(k.meta, k.history, k.events, this.ring.capacity)) as [
      string,
      string,
      string,
      string[],
    ];
    this.epoch = epoch;
    this.lastSeq = Number(seq);
    this.lastId = id;
    this.ring.clear();
    for (const entry of recent) this.ring.push(parseEntry(entry));
  }

  /** The connection for commands (the listing lease shares it). */
  get redis(): Redis {
    return this.cmd;
  }

  /** Binds the hub and starts reading the stream. */
  bind(host: EngineHost): this {
    this.host = host;
    this.reading = this.readLoop();
    this.leaseTimer = setInterval(() => void this.tendLeases(), LEASE_RENEW_MS);
    this.leaseTimer.unref();
    return this;
  }

  // ---- leases ----------------------------------------------------------------------------

  /** Renews this node's lease; false when the node had been declared dead meanwhile. */
  private async renewLease(first = false): Promise<boolean> {
    const k = this.keys;
    const state = await this.cmd.renew(k.nodes, k.lease(this.nodeId), this.nodeId, LEASE_MS, first ? '1' : '0');
    return state !== 'reaped';
  }

  private async measureClock(): Promise<void> {
    const before = Date.now();
    const [seconds, micros] = (await this.cmd.time()) as [string | number, string | number];
    const after = Date.now();
    this.clockOffset = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (before + after) / 2;
  }

  /** The deadline of a request sent now, in Redis's clock (see TOO_LATE). */
  private deadline(): number {
    return Math.floor(Date.now() + this.clockOffset + DEADLINE_MS);
  }

  /** Every LEASE_RENEW_MS: this node's lease renewed, and the dead nodes' users announced gone. */
  private async tendLeases(): Promise<void> {
    if (this.closed) return;
    const k = this.keys;
    try {
      await this.measureClock();
      const epoch = await this.cmd.hget(k.meta, 'epoch');
      if (epoch !== this.epoch) return await this.newEpoch();
      if (!(await this.renewLease())) {
        // Cut off from Redis longer than the lease: the others have announced this node's
        // users gone and freed their names. Its sockets are closed (their clients reconnect
        // and resume) and it starts again as a new node.
        this.log.error('this node was out of the cluster longer than its lease: its users are disconnected');
        const gone = [...this.seated.values()];
        this.seated.clear();
        this.host.evicted(gone);
        // Its own seats, if nobody has freed them yet, then a fresh lease.
        await this.cmd.reap(k.nodes, k.names, k.order, k.events, k.leasePrefix, STREAM_MAX);
        await this.renewLease(true);
      }
      this.releaseAgain();
      if (Date.now() - this.connectedSince < LEASE_MS) return;
      const freed = (await this.cmd.reap(k.nodes, k.names, k.order, k.events, k.leasePrefix, STREAM_MAX)) as number;
      if (freed > 0)
        this.log.info({ users: freed }, 'a node stopped renewing its lease: its users were announced gone');
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'lease renewal failed');
    }
  }

  /**
   * Redis lost the cluster's state (restarted without its data, or flushed): a new epoch
   * (made by whichever node gets there first), the sequence from 1 again. This node's users
   * held seats that no longer exist: their sockets are closed, and their clients reconnect
   * and are told that some messages could not be restored (history_after: recovered false).
   */
  private async newEpoch(): Promise<void> {
    const k = this.keys;
    const [epoch] = (await this.cmd.init(
      k.meta,
      this.options.name,
      this.options.maxUsers,
      randomBytes(8).toString('hex'),
    )) as [string];
    this.log.error(
      { was: this.epoch, epoch },
      "the cluster store lost its data: a new epoch, this node's users are disconnected",
    );
    const gone = [...this.seated.values()];
    this.seated.clear();
    for (const w of this.waiters.values()) w.reject(new Error('the cluster store lost its data'));
    this.waiters.clear();
    this.queues.clear();
    this.host.evicted(gone);
    await this.takePosition();
    await this.renewLease(true);
  }

  // ---- the stream ------------------------------------------------------------------------

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          this.keys.events,
          this.lastId,
        )) as [string, [string, string[]][]][] | null;
      } catch (err) {
        if (this.closed) return;
        this.log.debug({ err: (err as Error).message }, 'stream read failed');
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (reply === null || this.closed) continue;
      const entries = reply[0]?.[1] ?? [];
      this.apply(entries);
    }
  }

  /** Applies entries of the stream, in order: messages delivered in groups, notices between them. */
  private apply(entries: [string, string[]][]): void {
    let batch: Delivery[] = [];
    let done: Waiter[] = [];
    const flush = (): void => {
      if (batch.length > 0) this.host.deliver(batch);
      batch = [];
      for (const w of done) w.resolve();
      done = [];
    };
    for (const [id, fields] of entries) {
      this.lastId = id;
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
      const mine = f.o === this.nodeId;
      switch (f.t) {
        case 'm': {
          const seq = Number(f.s);
          if (seq <= this.lastSeq) continue;
          if (seq !== this.lastSeq + 1) {
            this.log.warn({ expected: this.lastSeq + 1, got: seq }, 'the stream skipped messages');
          }
          const message: StoredMessage = { seq, username: f.u ?? '', text: f.x ?? '', time: Number(f.time) };
          this.lastSeq = seq;
          this.ring.push(message);
          if (mine) {
            const waiter = this.waiters.get(Number(f.c));
            if (waiter) {
              // Its sender's earlier MSGs still waiting were not stored (Redis appends one
              // node's requests in order): their errors go out before this copy (contract §4).
              this.failEarlier(waiter, flush);
              this.forget(waiter);
              done.push(waiter);
            }
          }
          batch.push({ message });
          break;
        }
        case 'c': {
          flush();
          const counted = this.count(f.n, 0);
          if (!mine) this.host.notice(formatServerMessage({ type: 'CONNECT', username: f.u ?? '' }), counted);
          break;
        }
        case 'u':
          flush();
          if (!mine) {
            this.host.notice(
              formatServerMessage({ type: 'UPDATE', username: f.u ?? '', property: 'username', value: f.v ?? '' }),
            );
          }
          break;
        case 'd': {
          flush();
          // Counted with the one leaving (as on one server); the count after it is one less.
          const counted = this.count(f.n, -1);
          if (!mine) {
            this.host.notice(
              formatServerMessage({
                type: 'DISCONNECT',
                reason: f.r as Exclude<DisconnectReason, 'ban'>,
                username: f.u ?? '',
              }),
              counted,
            );
          }
          break;
        }
        case 'b': {
          flush();
          this.count(f.k, 0);
          const holder = f.n === this.nodeId ? this.seated.get(Number(f.c)) : undefined;
          if (holder) this.seated.delete(holder.localId);
          this.host.banned(f.u ?? '', f.m ?? '', holder);
          break;
        }
      }
    }
    flush();
    if (this.readers.length > 0) {
      const waiting = this.readers;
      this.readers = [];
      for (const r of waiting) {
        if (streamIdAtMost(r.id, this.lastId)) r.resolve();
        else this.readers.push(r);
      }
    }
  }

  /**
   * The MSGs of `waiter`'s sender appended before it and still waiting: they failed, and
   * their failure (an error reply on the other connection) may not have been read yet. Each
   * is refused now, after what `flush` writes (the batch so far), and its error, when it
   * comes, is not told again.
   */
  private failEarlier(waiter: Waiter, flush: () => void): void {
    const queue = this.queues.get(waiter.sender.localId);
    if (queue === undefined || queue[0] === waiter) return;
    flush();
    while (queue.length > 0 && queue[0] !== waiter) {
      const failed = queue[0] as Waiter;
      this.forget(failed);
      this.host.unstored(failed.sender);
      failed.resolve();
    }
  }

  /** `waiter` is answered: no longer waited for. */
  private forget(waiter: Waiter): void {
    if (!this.waiters.delete(waiter.ticket)) return;
    const id = waiter.sender.localId;
    const queue = this.queues.get(id);
    if (queue === undefined) return;
    const at = queue.indexOf(waiter);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(id);
  }

  /** Resolves once this node has applied the stream up to entry `id`. */
  private untilRead(id: string): Promise<void> {
    if (streamIdAtMost(id, this.lastId)) return Promise.resolve();
    return new Promise((resolve) => this.readers.push({ id, resolve }));
  }

  // ---- seats and names -------------------------------------------------------------------

  async seat(conn: Connection, username: string, key: string, joining: boolean): Promise<Seat> {
    const k = this.keys;
    const [why, holder] = (await this.cmd
      .seat(
        k.meta,
        k.names,
        k.order,
        k.bans,
        k.events,
        key,
        username,
        this.nodeId,
        conn.localId,
        joining ? '1' : '0',
        this.options.maxUsers,
        conn.nameKey,
        conn.username,
        STREAM_MAX,
        this.deadline(),
      )
      .catch((err: Error) => {
        // Taken before its deadline with the answer lost: the seat is freed again (a no-op if not held).
        if (joining && !surelyUndone(err) && this.unreleased.length < 100_000) {
          this.unreleased.push({ key, conn: conn.localId, reason: 'lost_connection', username });
        }
        throw err;
      })) as [string, string?];
    if (why === 'ok') {
      if (joining) {
        this.seated.set(conn.localId, conn);
        this.count(holder, 0);
      }
      return SEATED;
    }
    if (why === 'full' || why === 'banned') return { ok: false, why };
    if (why === 'taken') return { ok: false, why: 'taken', holder: holder ?? '' };
    throw new Error('this connection no longer holds its name in the cluster');
  }

  joined(): void {}
  renamed(): void {}

  left(conn: Connection, reason: Exclude<DisconnectReason, 'ban'>): void {
    if (!this.seated.delete(conn.localId)) return;
    this.release({ key: conn.nameKey, conn: conn.localId, reason, username: conn.username });
  }

  private release(seat: { key: string; conn: number; reason: string; username: string }): void {
    const k = this.keys;
    this.cmd
      .leave(k.names, k.order, k.events, seat.key, this.nodeId, seat.conn, seat.reason, seat.username, STREAM_MAX)
      .catch((err: Error) => {
        this.log.warn({ err: err.message, user: seat.username }, 'could not free a name in the cluster: trying again');
        if (this.unreleased.length < 100_000) this.unreleased.push(seat);
      });
  }

  private releaseAgain(): void {
    const seats = this.unreleased;
    this.unreleased = [];
    for (const seat of seats) {
      // A CONNECT whose answer was lost, tried again on the same connection with the same
      // name and seated since (its name set, or about to be): that seat is in use, not to be freed.
      const holder = this.seated.get(seat.conn);
      if (holder !== undefined && (holder.nameKey === seat.key || holder.nameKey === '')) continue;
      this.release(seat);
    }
  }

  async userCount(): Promise<number> {
    return this.count(await this.cmd.zcard(this.keys.order), 0) ?? this.users;
  }

  /**
   * A cluster-wide count carried by a stream entry or a script's answer: kept in `users`
   * (after `delta`), and returned as carried. Undefined when absent (an entry written by a
   * node of an older version).
   */
  private count(carried: string | number | undefined, delta: number): number | undefined {
    const n = Number(carried);
    if (carried === undefined || !Number.isSafeInteger(n) || n < 0) return undefined;
    this.users = Math.max(0, n + delta);
    return n;
  }

  async usernames(offset = 0, count = Number.POSITIVE_INFINITY): Promise<string[]> {
    const stop = Number.isFinite(count) ? offset + count - 1 : -1;
    return (await this.cmd.users(this.keys.names, this.keys.order, offset, stop)) as string[];
  }

  async ban(key: string, username: string, message: string): Promise<boolean> {
    const k = this.keys;
    const notice = await this.cmd.ban(
      k.bans,
      k.names,
      k.order,
      k.events,
      key,
      username,
      message,
      Date.now(),
      STREAM_MAX,
    );
    if (typeof notice !== 'string') return false;
    // Answered once this node has told its members (as on one server: the notice, then the answer).
    await this.untilRead(notice);
    return true;
  }

  async unban(key: string): Promise<boolean> {
    return (await this.cmd.hdel(this.keys.bans, key)) === 1;
  }

  // ---- the sequence ----------------------------------------------------------------------

  append(username: string, text: string, sender: Connection | null): Promise<void> {
    // Behind a MSG of the same sender whose fate is being found out: sent once it is known
    // (its answer first, and it cannot be stored after this one).
    const doubt = sender ? this.doubts.get(sender.localId) : undefined;
    if (doubt && sender) {
      return doubt.then(() =>
        sender.open ? this.append(username, text, sender) : Promise.reject(new Error('the sender has gone')),
      );
    }
    const k = this.keys;
    const ticket = sender ? this.nextTicket++ : 0;
    const sentAt = Date.now();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter | undefined = sender ? { ticket, sender, resolve, reject } : undefined;
      if (waiter) {
        this.waiters.set(ticket, waiter);
        const queue = this.queues.get(waiter.sender.localId);
        if (queue) queue.push(waiter);
        else this.queues.set(waiter.sender.localId, [waiter]);
      }
      this.cmd
        .append(
          k.meta,
          k.history,
          k.events,
          username,
          text,
          Date.now(),
          this.nodeId,
          ticket,
          this.options.historySize,
          STREAM_MAX,
          this.deadline(),
        )
        .then(
          () => {
            if (!waiter) return resolve();
            // Stored: its copy comes back through the stream. Should it never (the reader
            // cut off far behind), the connection is not held for ever.
            setTimeout(() => {
              if (!this.waiters.has(ticket)) return;
              this.forget(waiter);
              resolve();
            }, 10_000).unref();
          },
          (err: Error) => {
            // Refused already (failEarlier) when a later MSG of its sender came back first.
            if (waiter && !this.waiters.has(ticket)) return resolve();
            if (waiter && !surelyUndone(err)) return this.findOut(waiter, sentAt + DEADLINE_MS);
            this.log.warn({ err: err.message }, 'could not append a message to the cluster');
            if (waiter) this.forget(waiter);
            reject(err);
          },
        );
    });
  }

  /**
   * A MSG whose answer was lost: it was stored or not, and its sender is told which. Once its
   * deadline has passed (it can no longer be stored), the stream is read to its end: stored, its
   * copy came back through it (and was the sender's answer); else it was not, and the sender
   * gets [unavailable]. Only when Redis stays away does the answer say the outcome is unknown.
   * The sender's next MSGs wait until then (see append).
   */
  private findOut(waiter: Waiter, deadline: number): void {
    const id = waiter.sender.localId;
    const known = Promise.all([this.doubts.get(id), this.settleDoubt(waiter, deadline)]).then(() => {
      if (this.doubts.get(id) === known) this.doubts.delete(id);
    });
    this.doubts.set(id, known);
  }

  private async settleDoubt(waiter: Waiter, deadline: number): Promise<void> {
    this.log.warn('the cluster store did not answer a message: finding out whether it was stored');
    await sleep(deadline + CLOCK_MARGIN_MS - Date.now());
    const giveUp = Date.now() + DOUBT_MS;
    let known = false;
    while (!this.closed && this.waiters.has(waiter.ticket) && Date.now() < giveUp) {
      try {
        const last = (await this.cmd.xrevrange(this.keys.events, '+', '-', 'COUNT', 1)) as [string, string[]][];
        const read = this.untilRead(last[0]?.[0] ?? '0-0').then(() => true);
        known = await Promise.race([read, sleep(giveUp - Date.now()).then(() => false)]);
        break;
      } catch {
        await sleep(250);
      }
    }
    if (!this.waiters.has(waiter.ticket)) return; // stored: answered by its copy
    this.forget(waiter);
    waiter.reject(known ? new Error('not stored') : new OutcomeUnknown('the cluster store did not answer'));
  }

  settle(): boolean {
    return true;
  }

  last(n: number): StoredMessage[] {
    return this.ring.last(n);
  }

  after(seq: number, n: number): After | Promise<After> {
    if (seq >= this.lastSeq) return { retained: true, messages: [] };
    const inRing = this.ring.after(seq, n);
    if (inRing !== null) return { retained: true, messages: inRing };
    return (async () => {
      const [retained, entries] = (await this.cmd.after(this.keys.meta, this.keys.history, seq, n)) as [
        number,
        string[],
      ];
      // Only what this node has delivered (the answer's lastSeq counts those).
      const messages = entries.map(parseEntry).filter((m) => m.seq <= this.lastSeq);
      return { retained: retained === 1 && messages[0]?.seq === seq + 1, messages };
    })();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.leaseTimer);
    // This node's users leave the cluster's list (their sockets were closed with 1001).
    const k = this.keys;
    const leaving = [...this.seated.values()];
    this.seated.clear();
    await Promise.allSettled(
      leaving.map((conn) =>
        this.cmd.leave(
          k.names,
          k.order,
          k.events,
          conn.nameKey,
          this.nodeId,
          conn.localId,
          'lost_connection',
          conn.username,
          STREAM_MAX,
        ),
      ),
    );
    await this.cmd.srem(k.nodes, this.nodeId).catch(() => {});
    await this.cmd.del(k.lease(this.nodeId)).catch(() => {});
    this.reader.disconnect();
    await this.reading;
    await this.cmd.quit().catch(() => this.cmd.disconnect());
  }
}
