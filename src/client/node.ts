/**
 * The Node side of the client library: `ws` as the WebSocket implementation, for the chat
 * client and for the ping. Browser bundles import `./index.js`, which never reaches this
 * file; it is the one file of src/client allowed a Node-only import (biome.json).
 */
import WebSocket from 'ws';
import { C2Client } from './c2-client.js';
import {
  DEFAULT_PING_MAX_BYTES,
  DEFAULT_PING_TIMEOUT_MS,
  PingError,
  type PingOptions,
  type PingResult,
  type PingTransport,
  ping,
} from './ping.js';
import type { C2ClientOptions } from './types.js';
import type { WebSocketConstructor } from './websocket.js';

/**
 * Server frames can be large (a `history` answer of 500 long messages is a few MiB); the
 * bound keeps a hostile server from making us buffer without limit.
 */
const MAX_SERVER_FRAME_BYTES = 16 * 1024 * 1024;

/** `ws`, set up for c2: no compression (c2 servers do not offer it), no redirects, bounded frames. */
export class NodeWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { perMessageDeflate: false, followRedirects: false, maxPayload: MAX_SERVER_FRAME_BYTES });
  }
}

/** A `C2Client` on `ws`. */
export class NodeC2Client extends C2Client {
  constructor(options: C2ClientOptions = {}) {
    super({ WebSocket: NodeWebSocket as unknown as WebSocketConstructor, ...options });
  }
}

export interface NodePingOptions extends PingOptions {
  /** The largest frame accepted (default 4096 bytes); a larger one aborts. */
  maxBytes?: number;
  /**
   * For `wss://`: whether to verify the server's certificate against the system's CAs
   * (default true). False accepts a self-signed or otherwise untrusted certificate: for
   * tests and private setups only.
   */
  rejectUnauthorized?: boolean;
  /**
   * For `wss://` to an IP: the host name to ask for (SNI) and to check the certificate
   * against, when the address dialled is an IP the name was resolved to (the listing's
   * verification pins the IP its address policy checked).
   */
  servername?: string;
}

/**
 * Pings a c2 server from Node (see ping.ts). Unlike a browser, `ws` says why a connection
 * failed: refused or unreachable, an HTTP answer instead of an upgrade, a redirect (never
 * followed), a frame over `maxBytes`.
 */
export function pingServer(address: string, options: NodePingOptions = {}): Promise<PingResult> {
  return ping(address, wsTransport(options), options);
}

function wsTransport(options: NodePingOptions): PingTransport {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_PING_MAX_BYTES;
  return (url, events) => {
    let opened = false;
    const ws = new WebSocket(url, {
      handshakeTimeout: timeoutMs,
      maxPayload: maxBytes,
      followRedirects: false,
      perMessageDeflate: false,
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
      ...(options.servername === undefined ? {} : { servername: options.servername }),
    });
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      res.destroy();
      events.fail(new PingError('bad_reply', `answered HTTP ${res.statusCode} instead of a WebSocket upgrade`));
    });
    ws.on('open', () => {
      opened = true;
      events.open();
    });
    ws.on('message', (data, isBinary) => events.message(isBinary ? null : rawText(data)));
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (opened) return events.fail(new PingError('bad_reply', describeSocketError(err, maxBytes)));
      if (err.message.includes('Opening handshake has timed out')) {
        return events.fail(new PingError('timeout', `no WebSocket upgrade within ${timeoutMs} ms`));
      }
      events.fail(new PingError(isNetworkError(err) ? 'unreachable' : 'bad_reply', describeSocketError(err, maxBytes)));
    });
    ws.on('close', (code) =>
      events.fail(
        opened
          ? new PingError('bad_reply', `closed the connection (code ${code}) without answering the ping`)
          : new PingError('unreachable', 'closed the connection'),
      ),
    );
    return { send: (text) => ws.send(text), close: () => close(ws) };
  };
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

/** OpenSSL's verification failures (Node's `err.code`), and the name check's. */
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ISSUER/;

function describeSocketError(err: NodeJS.ErrnoException, maxBytes: number): string {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return `sent a frame larger than ${maxBytes} bytes`;
  if (err.code !== undefined && CERTIFICATE_CODE.test(err.code)) {
    return `its TLS certificate was not accepted: ${err.message} (${err.code})`;
  }
  if (err.code === 'EPROTO' || err.code?.startsWith('ERR_SSL_')) {
    return `the TLS handshake failed (${err.message.split('\n')[0]})`;
  }
  if (err.code?.startsWith('HPE_')) return `did not answer with HTTP (${err.message})`;
  if (err instanceof AggregateError && err.message === '') {
    return err.errors.map((e) => (e as Error).message).join('; ');
  }
  return err.message || err.code || 'connection failed';
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
