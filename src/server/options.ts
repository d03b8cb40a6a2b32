import { DEFAULT_CHAT_PORT } from '../protocol/address.js';
import { type IpRange, parseIpRanges } from '../protocol/ip.js';
import { DEFAULT_LIMITS } from '../protocol/rules.js';
import { DEFAULT_CONNECT_RATE, DEFAULT_EXEMPT_IPS, DEFAULT_MAX_PER_IP } from './admission.js';

/** Limits of contract §5, all configurable. */
export interface ChatLimits {
  usernameMaxLength: number;
  messageMaxLength: number;
  floodRatePerSecond: number;
  floodBurst: number;
  /**
   * Frames of any kind read per connection per second, bursts of `frameBurst`; a faster
   * sender is read more slowly (TCP backpressure). Unless set, never below the flood limit.
   */
  frameRatePerSecond: number;
  frameBurst: number;
  maxFrameBytes: number;
  slowConsumerBytes: number;
  registrationTimeoutMs: number;
  heartbeatIntervalMs: number;
}

export interface ChatServerOptions {
  /** Interface to listen on; default all interfaces. */
  host?: string;
  /** TCP port; default 5000, 0 for an ephemeral port. */
  port?: number;
  /**
   * The server id announced in PING replies and server_info. Without one, the id stored in
   * the data directory is used, or a random one is chosen and stored.
   */
  id?: number;
  /** Where bans, history, the id and the listing key are kept; in memory only when absent. */
  dataDir?: string;
  /** The password of `c2/QUERY op`; without one nobody can become an operator. */
  opPassword?: string;
  /** Messages kept in the history table (default 10,000). */
  historySize?: number;
  name?: string;
  maxUsers?: number;
  /**
   * While more users than this are connected, join and leave notices are not broadcast
   * (renames and bans still are): announcing every join to everyone costs n² frames for n
   * joins. Default 1,000; 0 announces none.
   */
  announceLimit?: number;
  limits?: Partial<ChatLimits>;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Register with a listing server and keep the entry current (contract §8). */
  listing?: {
    url: string;
    /** host:port the listing should dial (default: found from the route to the listing). */
    publicAddress?: string;
    /** A PUT at least this often (default 60 s). */
    heartbeatMs?: number;
  };
  /**
   * `redis://HOST:PORT[/DB]`: this process is one node of a server whose state (names, bans,
   * the sequence and its history) is in that Redis (contract §11). Needs `id`.
   */
  cluster?: string;
  /** Directory of the built web client; a placeholder page is served when it is absent. */
  webRoot?: string;
  /** Open sockets per remote address (an IPv6 address by its /64), connected or not; 0: no cap (default 16). */
  maxPerIp?: number;
  /** WebSocket handshakes a minute per remote address; 0: no limit (default 60). */
  connectRate?: number;
  /** Addresses the two limits above do not apply to: ranges, or their text (default loopback, `127.0.0.0/8,::1`; `none`). */
  exemptIps?: readonly IpRange[] | string;
  /** Behind a reverse proxy: the client's address is the last X-Forwarded-For entry. */
  trustProxy?: boolean;
  /** The descriptor limit to keep headroom under (default: the process's soft limit, read at start). */
  descriptorLimit?: number;
}

export interface ResolvedChatOptions {
  host: string;
  port: number;
  id: number;
  name: string;
  maxUsers: number;
  announceLimit: number;
  historySize: number;
  limits: ChatLimits;
  maxPerIp: number;
  connectRate: number;
  exemptIps: readonly IpRange[];
  trustProxy: boolean;
}

export const DEFAULT_SERVER_NAME = 'Chatter Server';
/** Where `c2 server` keeps its state unless told otherwise (a library caller passes none: memory only). */
export const DEFAULT_DATA_DIR = './c2-data';

export const DEFAULT_HISTORY_SIZE = 10_000;
/** Join and leave notices stop while more users than this are connected (`--announce-limit`). */
export const DEFAULT_ANNOUNCE_LIMIT = 1000;
/** The most messages one `history` query returns (contract §6). */
export const HISTORY_QUERY_MAX = 500;

export function resolveChatOptions(options: ChatServerOptions, id: number): ResolvedChatOptions {
  const floodRatePerSecond = options.limits?.floodRatePerSecond ?? DEFAULT_LIMITS.floodRatePerSecond;
  const floodBurst = options.limits?.floodBurst ?? DEFAULT_LIMITS.floodBurst;
  return {
    host: options.host ?? '0.0.0.0',
    port: options.port ?? DEFAULT_CHAT_PORT,
    id,
    name: options.name ?? DEFAULT_SERVER_NAME,
    maxUsers: options.maxUsers ?? DEFAULT_LIMITS.maxUsers,
    announceLimit: options.announceLimit ?? DEFAULT_ANNOUNCE_LIMIT,
    historySize: options.historySize ?? DEFAULT_HISTORY_SIZE,
    maxPerIp: options.maxPerIp ?? DEFAULT_MAX_PER_IP,
    connectRate: options.connectRate ?? DEFAULT_CONNECT_RATE,
    exemptIps:
      typeof options.exemptIps === 'string'
        ? parseIpRanges(options.exemptIps)
        : (options.exemptIps ?? parseIpRanges(DEFAULT_EXEMPT_IPS)),
    trustProxy: options.trustProxy ?? false,
    limits: {
      usernameMaxLength: DEFAULT_LIMITS.usernameMaxLength,
      messageMaxLength: DEFAULT_LIMITS.messageMaxLength,
      floodRatePerSecond,
      floodBurst,
      // Every MSG is a frame: a flood limit raised above the frame budget raises the budget.
      frameRatePerSecond: Math.max(DEFAULT_LIMITS.frameRatePerSecond, floodRatePerSecond),
      frameBurst: Math.max(DEFAULT_LIMITS.frameBurst, floodBurst),
      maxFrameBytes: DEFAULT_LIMITS.maxFrameBytes,
      slowConsumerBytes: DEFAULT_LIMITS.slowConsumerBytes,
      registrationTimeoutMs: DEFAULT_LIMITS.registrationTimeoutMs,
      heartbeatIntervalMs: DEFAULT_LIMITS.heartbeatIntervalMs,
      ...options.limits,
    },
  };
}

/** The ban message when an operator gives none. */
export const DEFAULT_BAN_MESSAGE = 'banned by an operator';

/** The listing heartbeat of contract §8. */
export const DEFAULT_LISTING_HEARTBEAT_MS = 60_000;
