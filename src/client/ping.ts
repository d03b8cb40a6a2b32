/**
 * The c2 ping (contract §4): `c2/PING <timestamp_ms>` on a connection that need not join,
 * answered by `c2/PING <same digits>; <server id>`. Written once for every place that
 * pings: `c2 ping`, `c2 servers`, `c2 chat`'s first check and the listing's verification
 * (`pingServer` in node.ts, on `ws`), the web client's server browser (`pingC2`, on the
 * browser's WebSocket), and `C2Client.ping()` on a joined connection (`checkPingReply`).
 *
 * Bounded in every direction: one deadline covers connecting, the upgrade and the replies;
 * the first frame must be the reply; it always settles, and only ever rejects with a
 * {@link PingError}. Pure of Node: the transport (how a socket is opened and what its
 * failures mean) is passed in.
 */
import { formatClientMessage, parseServerMessage } from '../protocol/messages.js';
import { parseServerId } from '../protocol/rules.js';
import { parseServerUrl } from './server-url.js';
import type { PingResult } from './types.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket.js';

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
  /** When set, a reply naming another id fails with `wrong_id`. */
  expectedId?: number;
  /**
   * Pings sent one after the other on the connection; the fastest counts (default 1). The
   * first one on a fresh connection is often slowed by its warm-up.
   */
  samples?: number;
  /** Aborts the ping early (rejects with `timeout`). */
  signal?: AbortSignal;
  /** Dial `host:port` as `wss://` (a page served over HTTPS may not open `ws://`). */
  secure?: boolean;
}

export type { PingResult };

export const DEFAULT_PING_TIMEOUT_MS = 5000;
export const DEFAULT_PING_MAX_BYTES = 4096;

/** What a transport tells the ping about its socket. */
export interface PingSocketEvents {
  open(): void;
  /** A text frame; null for a binary one. */
  message(text: string | null): void;
  /** The connection failed or closed, and why. */
  fail(error: PingError): void;
}

/** A socket opened for one ping; `close` is called once, when the ping settles. */
export interface PingSocket {
  send(text: string): void;
  close(): void;
}

/** Opens a socket to `url`, reporting to `events`; may throw when `url` cannot be opened. */
export type PingTransport = (url: string, events: PingSocketEvents) => PingSocket;

export type PingCheck = { ok: true; serverId: number } | { ok: false; error: PingError };

/**
 * Checks a reply to `c2/PING <timestamp>`: a PING frame, echoing the timestamp, naming a
 * server id in canonical form, and `expectedId` when one is expected.
 */
export function checkPingReply(frame: string, timestamp: string, expectedId?: number): PingCheck {
  const parsed = parseServerMessage(frame);
  if (!parsed.ok || parsed.message.type !== 'PING') {
    return bad(`answered "${preview(frame)}" instead of "c2/PING ${timestamp}; <id>"`);
  }
  const reply = parsed.message;
  if (reply.timestamp !== timestamp) return bad(`answered "${preview(frame)}", not echoing the timestamp ${timestamp}`);
  const serverId = parseServerId(reply.serverId);
  if (serverId === null) {
    return bad(`answered with a server id that is not a canonical integer: "${preview(reply.serverId)}"`);
  }
  if (expectedId !== undefined && serverId !== expectedId) {
    return {
      ok: false,
      error: new PingError('wrong_id', `answered as server ${serverId}, not ${expectedId}`, serverId),
    };
  }
  return { ok: true, serverId };
}

function bad(message: string): PingCheck {
  return { ok: false, error: new PingError('bad_reply', message) };
}

/** Pings the server at `address` (`host:port`, `[v6]:port` or a `ws(s)://` URL) through `transport`. */
export function ping(address: string, transport: PingTransport, options: PingOptions = {}): Promise<PingResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const samples = Math.max(1, options.samples ?? 1);
  const target = parseServerUrl(address, options.secure);
  if (!target.ok) return Promise.reject(new PingError('invalid_address', target.reason));
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new PingError('timeout', 'the ping was aborted'));

  return new Promise<PingResult>((resolve, reject) => {
    let timestamp = '';
    let sentAt = 0;
    let best: PingResult | null = null;
    let received = 0;
    let opened = false;
    let settled = false;
    let socket: PingSocket | undefined;

    const finish = (error: PingError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket?.close();
      if (error) reject(error);
      else resolve(best as PingResult);
    };
    // A reply already in counts when the connection ends or time runs out: more samples were a refinement.
    const end = (error: PingError) => finish(best === null ? error : null);
    const onAbort = () => finish(new PingError('timeout', 'the ping was aborted'));
    const timer = setTimeout(
      () =>
        end(
          new PingError(
            'timeout',
            opened ? `no answer within ${timeoutMs} ms` : `no WebSocket upgrade within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    const send = () => {
      timestamp = String(Date.now());
      sentAt = performance.now();
      socket?.send(formatClientMessage({ type: 'PING', timestamp }));
    };
    try {
      socket = transport(target.url, {
        open() {
          opened = true;
          send();
        },
        message(text) {
          const rttMs = performance.now() - sentAt;
          if (text === null) return finish(new PingError('bad_reply', 'answered with a binary frame'));
          const reply = checkPingReply(text, timestamp, options.expectedId);
          if (!reply.ok) return finish(reply.error);
          if (best === null || rttMs < best.rttMs) best = { rttMs, serverId: reply.serverId };
          if (++received < samples) send();
          else finish(null);
        },
        fail: end,
      });
    } catch (err) {
      finish(new PingError('invalid_address', `cannot open ${target.url}: ${(err as Error).message}`));
    }
  });
}

/**
 * Pings from a browser (or any WHATWG-style WebSocket: `ws` stands in for it in tests).
 * Browsers say nothing about why a connection failed, so a failure before the upgrade is
 * `unreachable`: "cannot connect".
 */
export function pingC2(
  address: string,
  options: PingOptions & { WebSocket?: WebSocketConstructor } = {},
): Promise<PingResult> {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Ctor === undefined) return Promise.reject(new PingError('unreachable', 'this browser has no WebSocket'));
  return ping(address, webSocketTransport(Ctor), options);
}

function webSocketTransport(Ctor: WebSocketConstructor): PingTransport {
  return (url, events) => {
    let opened = false;
    const socket: WebSocketLike = new Ctor(url);
    socket.onopen = () => {
      opened = true;
      events.open();
    };
    socket.onmessage = (event) => events.message(typeof event.data === 'string' ? event.data : null);
    // The close that follows an error says it all.
    socket.onerror = () => {};
    socket.onclose = (event) =>
      events.fail(
        opened
          ? new PingError('bad_reply', `closed the connection (code ${event.code}) without answering the ping`)
          : new PingError('unreachable', 'cannot connect'),
      );
    return {
      send: (text) => socket.send(text),
      close() {
        socket.onopen = null;
        socket.onmessage = null;
        socket.onclose = null;
        // Keep an error handler: `ws` throws on an error nobody listens to.
        socket.onerror = () => {};
        try {
          socket.close(1000);
        } catch {
          // already closed
        }
      },
    };
  };
}

function preview(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}
