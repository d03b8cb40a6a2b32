/**
 * A c2 ping from the browser (contract §4, `c2/PING <timestamp_ms>`): opens a short-lived
 * WebSocket, sends `c2/PING <Date.now()>` without joining, and waits for
 * `c2/PING <same digits>; <server id>`. The round trip is measured from sending the PING to
 * its reply, so it does not include opening the connection; `samples` pings are sent one
 * after the other on the connection and the fastest counts (the first one on a fresh
 * connection is often slowed by its warm-up).
 *
 * `C2Client.ping()` needs a joined connection; the server browser must not join every
 * server it lists, hence this. Runs on any WHATWG-style WebSocket (the browser's, or `ws`
 * in tests); always settles, within `timeoutMs`.
 */
import type { WebSocketConstructor, WebSocketLike } from '../../../src/client/index.js';
import { formatClientMessage, parseServerId, parseServerMessage } from '../../../src/protocol/index.js';

export type PingFailureCode = 'invalid_address' | 'unreachable' | 'timeout' | 'bad_reply' | 'wrong_id';

export class PingFailure extends Error {
  override readonly name = 'PingFailure';
  constructor(
    readonly code: PingFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export interface PingReply {
  rttMs: number;
  serverId: number;
}

export interface PingOptions {
  /** The whole operation's deadline (default 4000 ms). */
  timeoutMs?: number;
  /** When set, a reply naming another id fails with `wrong_id`. */
  expectedId?: number;
  /** Pings sent one after the other on the connection; the fastest counts (default 2). */
  samples?: number;
  /** Default: `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
}

/**
 * The WebSocket URL of a listed address: `host:port` (IPv6 as `[addr]:port`), or a
 * `ws://`/`wss://` URL kept as it is. `secure` picks `wss://` (a page served over HTTPS may
 * not open `ws://`). Returns null when the text is neither.
 */
export function wsUrlFor(address: string, secure = false): string | null {
  const text = address.trim();
  if (/^wss?:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      return url.hostname === '' ? null : url.href;
    } catch {
      return null;
    }
  }
  if (!/^(\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+):[0-9]{1,5}$/.test(text)) return null;
  try {
    const url = new URL(`${secure ? 'wss' : 'ws'}://${text}/`);
    return url.hostname === '' ? null : url.href;
  } catch {
    return null;
  }
}

export function pingC2(url: string, options: PingOptions = {}): Promise<PingReply> {
  const timeoutMs = options.timeoutMs ?? 4000;
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Ctor === undefined) return Promise.reject(new PingFailure('unreachable', 'this browser has no WebSocket'));

  const samples = Math.max(1, options.samples ?? 2);
  return new Promise<PingReply>((resolve, reject) => {
    let timestamp = '';
    let sentAt = 0;
    let best: PingReply | null = null;
    let received = 0;
    let opened = false;
    let settled = false;
    let socket: WebSocketLike;

    const finish = (error: PingFailure | null, reply?: PingReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
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
      if (error) reject(error);
      else resolve(reply as PingReply);
    };

    try {
      socket = new Ctor(url);
    } catch (err) {
      reject(new PingFailure('invalid_address', `cannot open ${url}: ${(err as Error).message}`));
      return;
    }
    const timer = setTimeout(() => {
      // A reply already in counts; more samples were only a refinement.
      if (best !== null) finish(null, best);
      else finish(new PingFailure('timeout', opened ? `no reply within ${timeoutMs} ms` : 'no connection in time'));
    }, timeoutMs);
    const sendPing = () => {
      timestamp = String(Date.now());
      sentAt = performance.now();
      socket.send(formatClientMessage({ type: 'PING', timestamp }));
    };
    socket.onopen = () => {
      opened = true;
      sendPing();
    };
    socket.onmessage = (event) => {
      const rttMs = performance.now() - sentAt;
      if (typeof event.data !== 'string') return finish(new PingFailure('bad_reply', 'answered with a binary frame'));
      const parsed = parseServerMessage(event.data);
      if (!parsed.ok || parsed.message.type !== 'PING' || parsed.message.timestamp !== timestamp) {
        return finish(new PingFailure('bad_reply', 'did not answer the ping as a c2 server would'));
      }
      const serverId = parseServerId(parsed.message.serverId);
      if (serverId === null) return finish(new PingFailure('bad_reply', 'answered with an invalid server id'));
      if (options.expectedId !== undefined && serverId !== options.expectedId) {
        return finish(new PingFailure('wrong_id', `answered as server ${serverId}, not ${options.expectedId}`));
      }
      if (best === null || rttMs < best.rttMs) best = { rttMs, serverId };
      if (++received < samples) sendPing();
      else finish(null, best);
    };
    socket.onerror = () => {
      // Browsers say nothing about why; the close that follows settles it.
    };
    socket.onclose = (event) => {
      if (best !== null) return finish(null, best);
      finish(
        opened
          ? new PingFailure('bad_reply', `closed the connection (code ${event.code}) without answering`)
          : new PingFailure('unreachable', 'cannot connect'),
      );
    };
  });
}
