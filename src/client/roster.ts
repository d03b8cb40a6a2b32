/**
 * The connected users as a client knows them. Two modes (docs/PROTOCOL.md, *Large rooms*):
 *
 * - **full**: the whole list, in join order, from `c2/QUERY active_users` and kept live by
 *   the join, rename and leave broadcasts that follow it. The answer already reflects every
 *   broadcast that reached this client before it (the server handles one frame at a time
 *   and sends in order), so broadcasts before the answer are ignored and those after it
 *   are applied.
 * - **large**: more users than the server's announce limit are connected, so joins and
 *   leaves are not broadcast. The count comes from `server_info` (asked again from time to
 *   time); the names are loaded on demand, a page at a time (`active_users; <offset>;
 *   <count>`), into a window of at most `cap` names. Renames and bans are still
 *   broadcast and still applied to the window.
 *
 * Pure: the session asks the server; this only keeps what the answers and broadcasts say.
 */
import { usernameKey } from '../protocol/rules.js';

/** The most names a large room's window keeps in memory (by default). */
export const DEFAULT_ROSTER_CAP = 10_000;

/** What `server_info` says about the room (the fields the roster reads). */
export interface RoomInfo {
  connectedUsers: number;
  /** Null for a server older than the announce limit: every join and leave is announced. */
  announceLimit: number | null;
}

/** Reads the room fields of a `server_info` answer; null when it has no usable count. */
export function roomInfo(answer: unknown): RoomInfo | null {
  if (typeof answer !== 'object' || answer === null) return null;
  const { connectedUsers, announceLimit } = answer as Record<string, unknown>;
  if (!isCount(connectedUsers)) return null;
  return { connectedUsers, announceLimit: isCount(announceLimit) ? announceLimit : null };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Whether a room of this size goes unannounced: its list cannot be kept from notices. */
export function isLargeRoom(info: RoomInfo): boolean {
  return info.announceLimit !== null && info.connectedUsers > info.announceLimit;
}

export type RosterMode = 'unknown' | 'full' | 'large';

export class Roster {
  /** Replaced, never mutated: a list handed out stays as it was (a snapshot). */
  private names: readonly string[] | null = null;
  private currentMode: RosterMode = 'unknown';
  /** Large mode: the count from the last `server_info` (less the bans seen since). */
  private largeCount = 0;
  /** Large mode: the position (in the server's list) of the window's first name. */
  private windowStart = 0;
  /** Large mode: a page shorter than asked ended at the window's end. */
  private reachedEnd = false;
  /** The server's announce limit, once known. */
  limit: number | null = null;

  constructor(readonly cap = DEFAULT_ROSTER_CAP) {}

  get mode(): RosterMode {
    return this.currentMode;
  }

  get large(): boolean {
    return this.currentMode === 'large';
  }

  /** Full mode: everyone; large mode: the names loaded (the window); else empty. */
  get users(): readonly string[] {
    return this.names ?? [];
  }

  /** How many users are connected, as well as this client knows. */
  get count(): number {
    return this.currentMode === 'large' ? this.largeCount : this.users.length;
  }

  /** Large mode: where the window starts in the server's list (0 in full mode). */
  get offset(): number {
    return this.currentMode === 'large' ? this.windowStart : 0;
  }

  /** Whether `users` holds everyone: full mode, or a window from the first to the last. */
  get complete(): boolean {
    if (this.currentMode === 'full') return true;
    return this.currentMode === 'large' && this.windowStart === 0 && this.reachedEnd;
  }

  /** Where the next page to load starts (large mode). */
  get nextOffset(): number {
    return this.windowStart + this.users.length;
  }

  get known(): boolean {
    return this.currentMode === 'full';
  }

  /**
   * Whether the count may have changed without a broadcast saying so: in a large room, or
   * a full list as long as the limit (the next join goes unannounced). Then the session
   * asks `server_info` from time to time.
   */
  get needsRefresh(): boolean {
    if (this.currentMode === 'large') return true;
    return this.currentMode === 'full' && this.limit !== null && this.users.length >= this.limit;
  }

  /** Full mode with the whole list (an answer to `active_users`). */
  set(names: readonly string[]): void {
    this.currentMode = 'full';
    this.names = [...names];
  }

  /** Large mode with `count` users and nothing loaded yet. */
  setLarge(count: number): void {
    this.currentMode = 'large';
    this.largeCount = count;
    this.names = [];
    this.windowStart = 0;
    this.reachedEnd = count === 0;
  }

  /** A newer count from `server_info` (large mode); returns whether it changed. */
  setCount(count: number): boolean {
    if (this.currentMode !== 'large' || this.largeCount === count) return false;
    this.largeCount = count;
    // More users than the window reaches: the end is no longer known to be loaded.
    if (this.nextOffset < count) this.reachedEnd = false;
    return true;
  }

  /**
   * A page of `active_users; <offset>; <asked>` (large mode). It joins the window when it
   * continues it (or starts it again at its offset); names past the cap are dropped from
   * the window's front. Returns whether the window changed.
   */
  addPage(offset: number, page: readonly string[], asked: number): boolean {
    if (this.currentMode !== 'large') return false;
    const current = this.users;
    const end = this.windowStart + current.length;
    let names: string[];
    let start: number;
    if (offset >= this.windowStart && offset <= end && current.length > 0) {
      names = [...current.slice(0, offset - this.windowStart), ...page];
      start = this.windowStart;
    } else {
      names = [...page];
      start = offset;
    }
    if (names.length > this.cap) {
      const drop = names.length - this.cap;
      names = names.slice(drop);
      start += drop;
    }
    this.names = names;
    this.windowStart = start;
    this.reachedEnd = page.length < asked;
    if (this.reachedEnd) this.largeCount = Math.max(this.largeCount, start + names.length);
    return true;
  }

  /** Each returns whether the list changed. A join is applied in full mode only. */
  add(name: string): boolean {
    if (this.currentMode !== 'full' || this.names === null) return false;
    this.names = [...this.names, name];
    return true;
  }

  rename(from: string, to: string): boolean {
    const i = this.indexOf(from);
    if (i === -1 || this.names === null) return false;
    this.names = this.names.map((n, j) => (j === i ? to : n));
    return true;
  }

  /** A departure: out of the list (full) or the window (large; the count goes down too). */
  remove(name: string): boolean {
    if (this.currentMode === 'large' && this.largeCount > 0) this.largeCount--;
    const i = this.indexOf(name);
    if (i === -1 || this.names === null) return this.currentMode === 'large';
    this.names = this.names.filter((_, j) => j !== i);
    return true;
  }

  private indexOf(name: string): number {
    if (this.names === null) return -1;
    const exact = this.names.indexOf(name);
    if (exact !== -1) return exact;
    const key = usernameKey(name);
    return this.names.findIndex((n) => usernameKey(n) === key);
  }
}
