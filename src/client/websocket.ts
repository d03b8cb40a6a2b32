/**
 * The slice of the WHATWG WebSocket API the client uses, so that it runs on the browser's
 * native `WebSocket` and, in Node, on the `ws` package (see `node.ts`) without importing
 * anything Node-only here.
 */
import { C2Error } from './errors.js';

export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drops the TCP connection at once, without a closing handshake. */
  terminate?(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `WebSocket.OPEN` in both implementations. */
export const OPEN = 1;

/** The given constructor, else the platform's `globalThis.WebSocket`. */
export function resolveWebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor {
  if (given !== undefined) return given;
  const native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (native === undefined) {
    throw new C2Error(
      'unsupported',
      'no WebSocket implementation: pass { WebSocket } in the options (in Node, NodeWebSocket or NodeC2Client)',
    );
  }
  return native;
}

/** The most useful text a socket error event carries (`ws` gives a message; browsers give none). */
export function describeSocketError(event: unknown): string {
  const e = event as { message?: unknown; error?: { message?: unknown; code?: unknown; errors?: unknown } } | null;
  const message = e?.error?.message || e?.message;
  if (typeof message === 'string' && message !== '') return message;
  // Node reports a name that failed on every address (localhost: ::1 and 127.0.0.1) as an
  // AggregateError with an empty message.
  if (Array.isArray(e?.error?.errors)) {
    const texts = e.error.errors.map((x: { message?: unknown }) => x?.message).filter((m) => typeof m === 'string');
    if (texts.length > 0) return texts.join('; ');
  }
  const code = e?.error?.code;
  return typeof code === 'string' ? code : 'the connection failed';
}
