/**
 * A c2 ping client (contract §4, "c2/PING <timestamp_ms>"): opens a WebSocket to a c2
 * server, sends `c2/PING <Date.now()>` and waits for `c2/PING <same digits>; <server id>`.
 *
 * Bounded in every direction: one deadline covers name resolution, connecting, the
 * upgrade and the reply; a frame larger than `maxBytes` aborts; redirects are never
 * followed; the first frame must be the reply. It never hangs and never throws anything
 * but a {@link PingError}.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { formatClientMessage, parseServerId, parseServerMessage } from '../protocol/index.js';

export type PingErrorCode = 'invalid_address' | 'unreachable' | 'timeout' | 'bad_reply' | 'wrong_id';

export class PingError extends Error {
  override readonly name = 'PingError';
  constructor(
    readonly code: PingErrorCode,
    message: string,
    /** For `wrong_id`: the id the server answered with. */
    readonly serverId?: number,
  ) {
    super(message);
  }
}

export interface PingOptions {
  /** The whole operation's deadline (default 5000 ms). */
  timeoutMs?: number;
  /** The largest frame accepted (default 4096 bytes); a larger one aborts. */
  maxBytes?: number;
  /** When set, a reply naming another id fails with `wrong_id`. */
  expectedId?: number;
  /** Aborts the ping early (rejects with `timeout`). */
  signal?: AbortSignal;
  /** For `wss://`: whether to verify the server's certificate (default true). */
  rejectUnauthorized?: boolean;
}

export interface PingResult {
  /** Round trip from sending the PING to receiving its reply, in milliseconds. */
  rttMs: number;
  serverId: number;
}

export const DEFAULT_PING_TIMEOUT_MS = 5000;
export const DEFAULT_PING_MAX_BYTES = 4096;

/**
 * Turns `host:port`, `[v6]:port` or a `ws://`/`wss://` URL into the URL to dial.
 * Returns null when the text is neither.
 */
export function pingUrl(address: string): string | null {
  const text = address.trim();
  const url = /^wss?:\/\//i.test(text) ? tryUrl(text) : tryUrl(`ws://${text}/`);
  if (url === null || url.hostname === '' || url.username !== '' || url.password !== '') return null;
  if (!/^wss?:\/\//i.test(text)) {
    // host:port form: exactly a host and an explicit port, nothing else.
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return null;
    if (!/:[0-9]+$/.test(text)) return null;
  }
  url.hash = '';
  return url.href;
}

function tryUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** Pings a c2 server; see the module comment. */
export function pingServer(address: string, options: PingOptions = {}): Promise<PingResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_PING_MAX_BYTES;
  const url = pingUrl(address);
  if (url === null) {
    return Promise.reject(
      new PingError('invalid_address', `"${address}" is not host:port, [IPv6]:port or a ws:// or wss:// URL`),
    );
  }
  if (options.signal?.aborted) return Promise.reject(new PingError('timeout', 'the ping was aborted'));

  return new Promise<PingResult>((resolve, reject) => {
    const timestamp = String(Date.now());
    let sentAt = 0;
    let settled = false;
    let opened = false;

    const ws = new WebSocket(url, {
      handshakeTimeout: timeoutMs,
      maxPayload: maxBytes,
      followRedirects: false,
      perMessageDeflate: false,
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    });
    // Errors after settling (or during a forced close) must not go unhandled.
    ws.on('error', () => {});

    const finish = (error: PingError | null, result?: PingResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      close(ws);
      if (error) reject(error);
      else resolve(result as PingResult);
    };
    const onAbort = () => finish(new PingError('timeout', 'the ping was aborted'));
    const timer = setTimeout(() => finish(new PingError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      res.destroy();
      finish(new PingError('bad_reply', `answered HTTP ${res.statusCode} instead of a WebSocket upgrade`));
    });
    ws.on('open', () => {
      opened = true;
      sentAt = performance.now();
      ws.send(formatClientMessage({ type: 'PING', timestamp }));
    });
    ws.on('message', (data, isBinary) => {
      const rttMs = performance.now() - sentAt;
      if (isBinary) return finish(new PingError('bad_reply', 'answered with a binary frame'));
      finish(...judgeReply(rawText(data), timestamp, options.expectedId, rttMs));
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (opened) return finish(new PingError('bad_reply', describeSocketError(err, maxBytes)));
      if (err.message.includes('Opening handshake has timed out')) {
        return finish(new PingError('timeout', `no WebSocket upgrade within ${timeoutMs} ms`));
      }
      finish(new PingError(isNetworkError(err) ? 'unreachable' : 'bad_reply', describeSocketError(err, maxBytes)));
    });
    ws.on('close', (code) => {
      finish(
        new PingError(
          opened ? 'bad_reply' : 'unreachable',
          opened ? `closed the connection (code ${code}) without answering the ping` : 'closed the connection',
        ),
      );
    });
  });
}

function judgeReply(
  frame: string,
  timestamp: string,
  expectedId: number | undefined,
  rttMs: number,
): [PingError | null, PingResult?] {
  const parsed = parseServerMessage(frame);
  if (!parsed.ok || parsed.message.type !== 'PING') {
    return [new PingError('bad_reply', `answered "${preview(frame)}" instead of "c2/PING ${timestamp}; <id>"`)];
  }
  const reply = parsed.message;
  if (reply.timestamp !== timestamp) {
    return [new PingError('bad_reply', `answered "${preview(frame)}", not echoing the timestamp ${timestamp}`)];
  }
  const serverId = parseServerId(reply.serverId);
  if (serverId === null) {
    return [
      new PingError(
        'bad_reply',
        `answered with a server id that is not a canonical integer: "${preview(reply.serverId)}"`,
      ),
    ];
  }
  if (expectedId !== undefined && serverId !== expectedId) {
    return [new PingError('wrong_id', `answered as server ${serverId}, not ${expectedId}`, serverId)];
  }
  return [null, { rttMs, serverId }];
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EADDRNOTAVAIL',
]);

function isNetworkError(err: NodeJS.ErrnoException): boolean {
  if (err.code !== undefined && NETWORK_CODES.has(err.code)) return true;
  // Node reports "localhost" failing on both ::1 and 127.0.0.1 as an AggregateError.
  return err instanceof AggregateError && err.errors.some((e) => isNetworkError(e as NodeJS.ErrnoException));
}

function describeSocketError(err: NodeJS.ErrnoException, maxBytes: number): string {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return `sent a frame larger than ${maxBytes} bytes`;
  if (err.code?.startsWith('HPE_')) return `did not answer with HTTP (${err.message})`;
  if (err instanceof AggregateError && err.message === '') {
    return err.errors.map((e) => (e as Error).message).join('; ');
  }
  return err.message || err.code || 'connection failed';
}

function preview(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}

function close(ws: WebSocket): void {
  if (ws.readyState === WebSocket.OPEN) {
    ws.close(1000);
    // A peer that never completes the closing handshake is cut off shortly after.
    setTimeout(() => ws.terminate(), 1000).unref();
  } else {
    ws.terminate();
  }
}
