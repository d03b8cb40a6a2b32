import type { Logger } from 'pino';
import type { DisconnectReason } from '../../protocol/messages.js';
import type { Connection } from '../connection.js';
import type { Room } from '../room.js';
import type { StoredMessage } from '../store.js';

/**
 * A value now, or later. The local engine answers everything now (no promise, no new
 * latency in single-process mode); the Redis engine answers what needs the cluster later.
 */
export type Maybe<T> = T | Promise<T>;

/** `f(value)`, at once when `value` is not a promise. */
export function andThen<T, R>(value: Maybe<T>, f: (v: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * The cluster-wide part of the username rule (contract §5, §11): a free seat when joining, a
 * name that is not banned, and one nobody else holds. The hub checks the rest (a valid name,
 * not the server's) and words the refusal.
 */
export type Seat =
  | { ok: true }
  | { ok: false; why: 'full' }
  | { ok: false; why: 'banned' }
  | { ok: false; why: 'taken'; holder: string };

export const SEATED: Seat = { ok: true };

/**
 * A request whose outcome is not known: sent to the cluster store, which then stopped
 * answering before it said whether it had taken effect (a MSG: stored and delivered to
 * everyone when the store is back, or never).
 */
export class OutcomeUnknown extends Error {}

/** A message of the sequence as the engine hands it to the hub to deliver. */
export interface Delivery {
  message: StoredMessage;
}

/** The messages after a position (history_after): `retained` is false when seq + 1 is gone. */
export interface After {
  retained: boolean;
  messages: StoredMessage[];
}

/** What an engine asks of the hub: the local members and the writes to them. */
export interface EngineHost {
  readonly room: Room;
  readonly log: Logger;
  /** Messages of the sequence, in seq order, to every local member (one write each). */
  deliver(batch: readonly Delivery[]): void;
  /** A message that could not be stored: its sender (when still here) gets `[unavailable]`. */
  unstored(sender: Connection): void;
  /**
   * Another node's join, leave or rename notice, to every local member. A join or leave
   * carries `counted`: the cluster's users counting the one joining or leaving (the announce
   * limit's count); undefined for renames and for entries of nodes that did not count.
   */
  notice(text: string, counted?: number): void;
  /** A ban of a connected user: everyone told, the holder (when on this node) closed with 1008. */
  banned(username: string, message: string, holder: Connection | undefined): void;
  /** This node lost these users' seats (the cluster declared it dead): their sockets are closed. */
  evicted(conns: readonly Connection[]): void;
}

/**
 * The room engine: everything that must be the same for the whole c2 server, however many
 * nodes serve it (contract §11): who holds which name and in which order they joined, the
 * seats, the bans, the message sequence and its history, and the notices to other nodes.
 * `LocalEngine` is one process (SQLite); `RedisEngine` is one node of a cluster. The hub
 * keeps the rules and the sockets; the engine only keeps the state and its order.
 */
export interface RoomEngine {
  /** The sequence's epoch (contract §10). */
  readonly epoch: string;
  /** The seq of the last message written to this node's members (server_info's lastSeq). */
  readonly lastSeq: number;
  /** Takes a seat (joining) or a new name (renaming) for `conn`, when the rules allow. */
  seat(conn: Connection, username: string, key: string, joining: boolean): Maybe<Seat>;
  /** `conn` has joined here (its local announcement done): tell the other nodes. */
  joined(conn: Connection): void;
  /** `conn` was renamed here from `oldUsername`: tell the other nodes. */
  renamed(conn: Connection, oldUsername: string, oldKey: string): void;
  /** `conn` has left here: free its seat and name, tell the other nodes. */
  left(conn: Connection, reason: Exclude<DisconnectReason, 'ban'>): void;
  /** Connected users of the whole server. */
  userCount(): Maybe<number>;
  /**
   * The same, as known here now (no wait): what the announce limit counts. Exact for one
   * process; in a cluster, as of the last join, leave or ban this node has heard of.
   */
  readonly users: number;
  /** Their names, in join order (`count` of them from position `offset`). */
  usernames(offset?: number, count?: number): Maybe<string[]>;
  /** Bans a name key; a connected holder is announced and closed through `EngineHost.banned`. Whether one was. */
  ban(key: string, username: string, message: string): Maybe<boolean>;
  /** False when the name was not banned. */
  unban(key: string): Maybe<boolean>;
  /**
   * The next message of the sequence. Delivered to everyone (the sender's copy is its
   * response) or refused; a promise settles once the sender's copy has been written.
   */
  append(username: string, text: string, sender: Connection | null): Maybe<void>;
  /** Commits and delivers what is pending before anything else is written; false when that failed. */
  settle(): boolean;
  /** The last n messages delivered here, oldest first. */
  last(n: number): StoredMessage[];
  /** Up to n messages with seq > `seq`, oldest first. */
  after(seq: number, n: number): Maybe<After>;
  /** Stops (a clean shutdown: this node's users are released). */
  close(): Promise<void>;
}
