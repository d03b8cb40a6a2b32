/**
 * The c2 client library, for browsers and Node: nothing here imports a Node module.
 * In Node, pass `{ WebSocket: NodeWebSocket }` or use `NodeC2Client` (both in `./node.js`,
 * exported from the package entry).
 */
export {
  C2Client,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_USER_COUNT_REFRESH_MS,
  parseAnswer,
} from './c2-client.js';
export { type Listener, TypedEmitter } from './emitter.js';
export { C2Error, type C2ErrorCode } from './errors.js';
export {
  type ListedServer,
  ListingClient,
  ListingError,
  type ListingPage,
  type ListingProperties,
  type ListingQuery,
  type ListingSort,
  MAX_PAGE_SIZE,
  type PageOptions,
} from './listing-client.js';
export { checkPingReply, PingError, type PingErrorCode, type PingOptions, pingC2 } from './ping.js';
export { MAX_HELD, type SeqPosition } from './resume.js';
export { DEFAULT_ROSTER_CAP } from './roster.js';
export { checkServerUrl, listedServerUrl, parseServerUrl, serverUrl } from './server-url.js';
export { USERS_PAGE_MAX } from './session.js';
export type * from './types.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket.js';
