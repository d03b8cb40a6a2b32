/** The one error type the c2 client library rejects with or emits. */

export type C2ErrorCode =
  /** The server answered `c2/ERROR <reason>`; the message is the reason, verbatim. */
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

  constructor(
    readonly code: C2ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
