import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { addressKey, canonicalIp, type IpRange, inIpRange } from '../protocol/ip.js';

/** Why an upgrade was refused: the label of `c2_connections_refused_total`. */
export type RefusalReason = 'max_per_ip' | 'connect_rate' | 'descriptors' | 'bad_forwarded_for';

export interface Refusal {
  ok: false;
  status: 400 | 429 | 503;
  reason: RefusalReason;
  /** The short text body of the answer. */
  text: string;
  /** Seconds, for `Retry-After`. */
  retryAfter?: number;
  /** Whom it is counted against (for the log): the address key, or `*` for the server. */
  offender: string;
}

export interface Admitted {
  ok: true;
  /** The client's address (from X-Forwarded-For behind a trusted proxy), canonical. */
  address: string;
  /** The key its sockets are counted under, or undefined for an exempt address. */
  key: string | undefined;
}

export interface AdmissionOptions {
  /** Open sockets per address (an IPv6 address counts by its /64); 0: no cap. */
  maxPerIp: number;
  /** Handshakes a minute per address; 0: no limit. */
  connectRatePerMinute: number;
  /** Addresses not limited per address. */
  exempt: readonly IpRange[];
  /** Take the client's address from the last X-Forwarded-For entry. */
  trustProxy: boolean;
  /** The process's descriptor limit (soft); undefined: unknown, no guard. */
  descriptorLimit: number | undefined;
}

export const DEFAULT_MAX_PER_IP = 16;
export const DEFAULT_CONNECT_RATE = 60;
export const DEFAULT_EXEMPT_IPS = '127.0.0.0/8,::1';

const RATE_WINDOW_MS = 60_000;
const LOG_EVERY_MS = 60_000;
/** Addresses remembered for the handshake rate and the log (each for a minute at most). */
const MAX_TRACKED = 100_000;

/**
 * Descriptors kept free below the limit for everything that is not a WebSocket: `/healthz`
 * and `/metrics`, the store, the listing calls, the log. A tenth of the limit, at least 64
 * and at most 1,024.
 */
export function descriptorHeadroom(limit: number): number {
  return Math.min(1024, Math.max(64, Math.round(limit / 10)));
}

/** The soft limit on open files, from /proc/self/limits (Linux); undefined when unknown or unlimited. */
export function readDescriptorLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Descriptors this process has open now (Linux); 0 when it cannot tell. */
export function countOpenDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

interface Window {
  count: number;
  endsAt: number;
}

/** Drops expired entries, then the oldest, so a map stays under MAX_TRACKED. */
function makeRoom<V>(map: Map<string, V>, expired: (v: V) => boolean): void {
  if (map.size < MAX_TRACKED) return;
  for (const [k, v] of map) if (expired(v)) map.delete(k);
  while (map.size >= MAX_TRACKED) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}

/**
 * Who may open a WebSocket (docs/SECURITY.md, "Many connections from one address"), decided
 * at the HTTP upgrade, before anything is allocated for the socket: at most `maxPerIp`
 * sockets open per address (registered or not) and `connectRatePerMinute` handshakes a
 * minute, unless the address is exempt; and, for everyone, no new socket once the process is
 * `descriptorHeadroom()` descriptors from its limit. Every map is bounded: the open counts
 * by the sockets themselves, the rate windows and the log's memory by MAX_TRACKED.
 */
export class Admission {
  private readonly open = new Map<string, number>();
  private readonly rates = new Map<string, Window>();
  /** When each offender may be logged again, and what was refused since its last line. */
  private readonly logged = new Map<string, { until: number; suppressed: number }>();
  /** TCP connections the server holds now (WebSocket or plain HTTP). */
  private connections = 0;
  /** Refusals by reason, read by /metrics. */
  readonly refused = new Map<RefusalReason, number>();
  /** The most TCP connections held before upgrades are refused (undefined: no guard). */
  private ceiling: number | undefined;

  constructor(
    private readonly options: AdmissionOptions,
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Sets the ceiling from what is already open (stdio, the store, the listening socket…);
   * call once the server listens.
   */
  start(baseline: number = countOpenDescriptors()): void {
    const limit = this.options.descriptorLimit;
    this.ceiling = limit === undefined ? undefined : Math.max(0, limit - descriptorHeadroom(limit) - baseline);
  }

  /** The most sockets the server will hold before refusing upgrades with 503 (undefined: no guard). */
  get connectionCeiling(): number | undefined {
    return this.ceiling;
  }

  /** Counts a TCP connection for as long as it is open. */
  trackConnection(socket: { once(event: 'close', listener: () => void): unknown }): void {
    this.connections++;
    socket.once('close', () => {
      this.connections--;
    });
  }

  /** The client's address: the socket's, or behind a trusted proxy the last X-Forwarded-For entry. */
  clientAddress(req: IncomingMessage): string | null {
    const socketAddress = req.socket.remoteAddress ?? 'unknown';
    const peer = canonicalIp(socketAddress) ?? socketAddress;
    if (!this.options.trustProxy) return peer;
    const header = req.headers['x-forwarded-for'];
    if (header === undefined) return peer;
    const entries = (Array.isArray(header) ? header.join(',') : header).split(',');
    return canonicalIp((entries[entries.length - 1] as string).trim());
  }

  /** Decides an upgrade. An admitted one must be `release`d (its key) when its socket closes. */
  admit(req: IncomingMessage): Admitted | Refusal {
    const address = this.clientAddress(req);
    if (address === null) {
      return this.refuse({
        status: 400,
        reason: 'bad_forwarded_for',
        text: 'X-Forwarded-For does not end with an IP address',
        offender: req.socket.remoteAddress ?? 'unknown',
      });
    }
    if (this.ceiling !== undefined && this.connections > this.ceiling) {
      return this.refuse({
        status: 503,
        reason: 'descriptors',
        text: 'the server cannot take more connections now: try again later',
        retryAfter: 10,
        offender: '*',
      });
    }
    if (this.options.exempt.some((range) => inIpRange(address, range))) return { ok: true, address, key: undefined };
    const key = addressKey(address);
    const { maxPerIp, connectRatePerMinute } = this.options;
    const open = this.open.get(key) ?? 0;
    if (maxPerIp > 0 && open >= maxPerIp) {
      return this.refuse({
        status: 429,
        reason: 'max_per_ip',
        text: `too many connections from your address (at most ${maxPerIp} at once)`,
        retryAfter: 60,
        offender: key,
      });
    }
    if (connectRatePerMinute > 0) {
      const now = this.now();
      let window = this.rates.get(key);
      if (window === undefined || now >= window.endsAt) {
        makeRoom(this.rates, (w) => now >= w.endsAt);
        window = { count: 0, endsAt: now + RATE_WINDOW_MS };
        this.rates.delete(key);
        this.rates.set(key, window);
      }
      if (window.count >= connectRatePerMinute) {
        return this.refuse({
          status: 429,
          reason: 'connect_rate',
          text: `too many connections from your address (at most ${connectRatePerMinute} a minute)`,
          retryAfter: Math.max(1, Math.ceil((window.endsAt - now) / 1000)),
          offender: key,
        });
      }
      window.count++;
    }
    this.open.set(key, open + 1);
    return { ok: true, address, key };
  }

  /** An admitted socket closed. */
  release(key: string | undefined): void {
    if (key === undefined) return;
    const open = (this.open.get(key) ?? 1) - 1;
    if (open <= 0) this.open.delete(key);
    else this.open.set(key, open);
  }

  /** Sockets open from an address's key (for tests and the log). */
  openFrom(key: string): number {
    return this.open.get(key) ?? 0;
  }

  private refuse(refusal: Omit<Refusal, 'ok'>): Refusal {
    this.refused.set(refusal.reason, (this.refused.get(refusal.reason) ?? 0) + 1);
    const now = this.now();
    const entry = this.logged.get(refusal.offender);
    if (entry !== undefined && now < entry.until) entry.suppressed++;
    else {
      makeRoom(this.logged, (e) => now >= e.until);
      this.logged.delete(refusal.offender);
      this.logged.set(refusal.offender, { until: now + LOG_EVERY_MS, suppressed: 0 });
      this.log.warn(
        {
          remote: refusal.offender === '*' ? undefined : refusal.offender,
          reason: refusal.reason,
          status: refusal.status,
          refusedBefore: entry?.suppressed,
          open: refusal.offender === '*' ? this.connections : this.open.get(refusal.offender),
        },
        `refusing connections ${refusal.offender === '*' ? 'from everyone' : `from ${refusal.offender}`}: ${refusal.text} (logged once a minute)`,
      );
    }
    return { ok: false, ...refusal };
  }
}

const STATUS_TEXT: Record<Refusal['status'], string> = {
  400: 'Bad Request',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The raw HTTP answer to a refused upgrade: a short text body, then the socket closes. */
export function refusalResponse(refusal: Refusal): string {
  const body = `${refusal.text}\n`;
  return [
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(refusal.retryAfter !== undefined ? [`Retry-After: ${refusal.retryAfter}`] : []),
    '',
    body,
  ].join('\r\n');
}
