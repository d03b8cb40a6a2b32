import { NAME_ERROR_CODES } from '../protocol/error-codes.js';
/** The one error type the c2 client library rejects with or emits. */

export type C2ErrorCode =
  /**
   * The server answered `c2/ERROR [<code>] <reason>`; the message is the reason's text and
   * `serverCode` the server's machine code (docs/PROTOCOL.md lists them).
   */
  | 'server'
  /** The server could not be reached, or the URL is not a WebSocket URL. */
  | 'unreachable'
  /** No answer in time; the connection is then given up as dead. */
  | 'timeout'
  /** The connection closed (or was closed) before the answer came. */
  | 'closed'
  /** This user was banned; the message is the operator's ban message. */
  | 'banned'
  /** A request was made while not connected (e.g. `send` before `connect`, or while reconnecting). */
  | 'not_connected'
  /** `connect` was called while already connecting or connected. */
  | 'invalid_state'
  /** Too many requests are waiting for their answers. */
  | 'too_many_requests'
  /** An argument cannot be put on the wire as given. */
  | 'invalid_argument'
  /** The server sent something the protocol does not allow. */
  | 'protocol'
  /** No WebSocket implementation is available. */
  | 'unsupported';

export class C2Error extends Error {
  override readonly name = 'C2Error';
  /**
   * With `code: 'server'`: the server's error code (`name_taken`, `server_full`, `flood`…),
   * or null when the server sent none. Undefined for errors of the client's own.
   */
  readonly serverCode: string | null | undefined;

  constructor(
    readonly code: C2ErrorCode,
    message: string,
    options?: { cause?: unknown; serverCode?: string | null },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.serverCode = options?.serverCode;
  }

  /** A refusal of the name itself (taken, banned, reserved, invalid): choose another and try again. */
  get isNameProblem(): boolean {
    return this.code === 'server' && this.serverCode != null && NAME_ERROR_CODES.has(this.serverCode);
  }
}

/** The error for a server's `c2/ERROR`. */
export function serverError(message: { code: string | null; reason: string }): C2Error {
  return new C2Error('server', message.reason, { serverCode: message.code });
}
