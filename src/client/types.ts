/** The public types of the c2 client: events, states and query answers. */
import type { C2Error } from './errors.js';
import type { WebSocketConstructor } from './websocket.js';

/** A chat message (`c2/MSG <username>; <text>`). */
export interface ChatMessage {
  username: string;
  text: string;
  /** True for this client's own messages (the server's echo of `send`). */
  own: boolean;
  /**
   * True for the server's own announcements (its operator console's `/say`): sent under the
   * server's name, which the server keeps from every user (`[name_reserved]`), so a client
   * can show them in a style no user's message has.
   */
  server: boolean;
  /**
   * When it arrived, in ms since the epoch (c2 messages carry no time of their own); for a
   * replayed message, the server's time of it.
   */
  time: number;
  /**
   * Its place in the server's message sequence (contract §10), or null when the server has
   * no sequence (a server that predates it).
   */
  seq: number | null;
  /** True when it was missed while disconnected and restored after a reconnect (`history_after`). */
  replayed: boolean;
}

/**
 * After each automatic reconnect, once the messages missed meanwhile have been emitted
 * (`replayed: true`) and before any newer one.
 */
export interface ResumedEvent {
  /** True when every missed message was restored; false when some are gone for good. */
  recovered: boolean;
  /** How many missed messages were restored (emitted with `replayed: true`). */
  restored: number;
  /**
   * When `recovered` is false: the span of the messages that could not be restored, as
   * well as the client can know it: from when the connection was lost to the time of the
   * oldest message restored (or the reconnect, when none could be). ms since the epoch.
   */
  missedFrom?: number;
  missedTo?: number;
}

/** Someone else joined (`c2/CONNECT <username>`). */
export interface JoinEvent {
  username: string;
}

/** Someone renamed (`c2/UPDATE <old>; username; <new>`). */
export interface RenameEvent {
  from: string;
  to: string;
  /** True when this client renamed itself. */
  own: boolean;
}

export type LeaveReason = 'disconnect' | 'lost_connection' | 'ban';

/** Someone left (`c2/DISCONNECT <reason>; <username>[; <message>]`). */
export interface LeaveEvent {
  username: string;
  reason: LeaveReason;
  /** The ban message, for `ban`. */
  message?: string;
  /** True when this client is the one banned. */
  own: boolean;
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface StateEvent {
  state: ClientState;
  /** `connected`: the server's name. */
  serverName?: string;
  /** `connected` after a reconnect: true. */
  reconnected?: boolean;
  /** `reconnecting`: the attempt about to be made (1, 2, …) and the wait before it. */
  attempt?: number;
  delayMs?: number;
  /** `reconnecting`: why the previous attempt failed; `closed`: why the client gave up. */
  error?: C2Error;
}

/** A connection's socket closed. */
export interface CloseEvent {
  /** The WebSocket close code (1006 when the connection dropped without one). */
  code: number;
  reason: string;
  /** Why it closed, unless it was `disconnect()`. */
  error?: C2Error;
  /** Whether the client will try to reconnect. */
  willReconnect: boolean;
}

export type C2ClientEvents = {
  message: [ChatMessage];
  join: [JoinEvent];
  rename: [RenameEvent];
  leave: [LeaveEvent];
  /**
   * The connected users, in join order, after any change. In a large room (see
   * `userCount`), the names loaded so far (`C2Client.loadMoreUsers`), not everyone.
   */
  users: [readonly string[]];
  /** How many users are connected, and whether the room is large, after any change. */
  userCount: [UserCountEvent];
  /** A `c2/ERROR` that answered no request, or a protocol problem. */
  error: [C2Error];
  state: [StateEvent];
  close: [CloseEvent];
  /** After every automatic reconnect: what of the missed messages was restored. */
  resumed: [ResumedEvent];
};

/**
 * The size of the room (docs/PROTOCOL.md, *Large rooms*). While more users than the
 * server's announce limit are connected, joins and leaves are not broadcast: the room is
 * *large*, the count comes from `server_info` (asked again every `userCountRefreshMs`) and
 * the names are loaded on demand, a page at a time.
 */
export interface UserCountEvent {
  /** How many users are connected (ourselves included), as well as the client knows. */
  count: number;
  /** True while the room is above the announce limit: `users` holds only the names loaded. */
  large: boolean;
  /** True when `users` holds everyone (always in a room that is not large). */
  complete: boolean;
  /** The server's `--announce-limit`, or null for a server older than it. */
  announceLimit: number | null;
}

/** `c2/QUERY server_info`. */
export interface ServerInfo {
  id: number;
  name: string;
  connectedUsers: number;
  maxUsers: number;
  /**
   * Joins and leaves are not announced while more users than this are connected: the user
   * list is then loaded a page at a time (`active_users; <offset>; <count>`). Absent from
   * servers older than this field.
   */
  announceLimit?: number;
  version: string;
  /** The epoch of the server's message sequence (contract §10). */
  epoch: string;
  /** The seq of the last message sent to this connection before the answer. */
  lastSeq: number;
  /** The caller's name exactly as the server holds it (after NFC). */
  you: string;
}

/** One entry of `c2/QUERY history`. */
export interface HistoryEntry {
  /** The message's place in the server's sequence. */
  seq: number;
  username: string;
  text: string;
  /** ms since the epoch. */
  time: number;
}

/** `c2/QUERY history_after; <epoch>; <seq>[; <n>]` (contract §10). */
export interface HistoryAfterAnswer {
  epoch: string;
  /** The seq of the last message sent to this connection before the answer. */
  lastSeq: number;
  /** False when the epoch is not the current one or the history no longer holds seq + 1. */
  recovered: boolean;
  /** True when messages up to lastSeq did not fit: ask again from the last seq received. */
  more: boolean;
  messages: HistoryEntry[];
}

/** One entry of `c2/QUERY help`. */
export interface QueryHelpEntry {
  name: string;
  /** Argument names; an optional one ends with `?`. */
  args: string[];
  description: string;
}

/** The answers of the queries the protocol defines (contract §6). */
export interface QueryAnswers {
  help: QueryHelpEntry[];
  active_users: string[];
  server_info: ServerInfo;
  history: HistoryEntry[];
  history_after: HistoryAfterAnswer;
  op: string;
  ban: string;
  unban: string;
}

export interface PingResult {
  /** Round trip of `c2/PING <timestamp>`, in milliseconds. */
  rttMs: number;
  serverId: number;
}

export interface ReconnectOptions {
  /** Wait before the first attempt (default 500 ms); doubled each time (`factor`). */
  initialDelayMs?: number;
  /** The longest wait (default 30 s). */
  maxDelayMs?: number;
  /** Growth of the wait per attempt (default 2). */
  factor?: number;
  /** Fraction of each wait that is random (default 0.5: a wait is 50–100 % of the step). */
  jitter?: number;
  /** Attempts before giving up when the server cannot be reached (default: no limit). */
  maxAttempts?: number;
  /**
   * How often the server may refuse the re-join (`c2/ERROR`, typically "already taken"
   * while the server has not yet noticed the old connection is gone) before giving up
   * (default 10: with the default waits, about a minute — the time a server takes to notice a dead connection).
   */
  maxRefusals?: number;
}

export interface C2ClientOptions {
  /** The WebSocket implementation (default: `globalThis.WebSocket`). */
  WebSocket?: WebSocketConstructor;
  /** How long a request may wait for its answer (default 15 s); past it the connection is dropped. */
  requestTimeoutMs?: number;
  /** How long opening the socket and joining may take (default 10 s). */
  connectTimeoutMs?: number;
  /** Requests waiting for their answers at once (default 100); more are rejected. */
  maxInFlight?: number;
  /** Reconnect automatically after a lost connection (default off). */
  reconnect?: boolean | ReconnectOptions;
  /**
   * How often `server_info` is asked again for the user count while the room is large, or
   * the list is as long as the announce limit (the next join would go unannounced). Default
   * 15 s.
   */
  userCountRefreshMs?: number;
  /** The most names of a large room kept loaded (`loadMoreUsers`); default 10,000. */
  rosterCap?: number;
  /** Random numbers in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}
