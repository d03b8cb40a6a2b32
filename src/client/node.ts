/**
 * The Node side of the client library: `ws` as the WebSocket implementation. Browser
 * bundles import `./index.js`, which never reaches this file.
 */
import WebSocket from 'ws';
import { C2Client } from './c2-client.js';
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
