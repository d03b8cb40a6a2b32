import type { Connection } from './connection.js';
import { encodeTextFrame } from './frame.js';
import { nameIdentity } from './name-identity.js';

/**
 * The connected users of the one room: join order (a Set keeps insertion order, and a
 * rename does not move a user) and a name index for the case-insensitive uniqueness rule.
 */
export class Room {
  private readonly members = new Set<Connection>();
  private readonly byKey = new Map<string, Connection>();

  get size(): number {
    return this.members.size;
  }

  /** Whether this connection is a member. */
  includes(conn: Connection): boolean {
    return this.members.has(conn);
  }

  has(nameKey: string): boolean {
    return this.byKey.has(nameKey);
  }

  /**
   * The member whose name has this identity. Takes an identity key or any spelling of a
   * name (the identity of a key is the key itself).
   */
  get(name: string): Connection | undefined {
    return this.byKey.get(name) ?? this.byKey.get(nameIdentity(name));
  }

  add(conn: Connection): void {
    this.members.add(conn);
    this.byKey.set(conn.nameKey, conn);
  }

  /** Moves a member to a new name key; join order is unchanged. */
  rekey(conn: Connection, oldKey: string): void {
    if (this.byKey.get(oldKey) === conn) this.byKey.delete(oldKey);
    this.byKey.set(conn.nameKey, conn);
  }

  remove(conn: Connection): boolean {
    if (!this.members.delete(conn)) return false;
    if (this.byKey.get(conn.nameKey) === conn) this.byKey.delete(conn.nameKey);
    return true;
  }

  /** The names in join order: all of them, or `count` of them from position `offset`. */
  usernames(offset = 0, count = Number.POSITIVE_INFINITY): string[] {
    const names: string[] = [];
    if (count <= 0 || offset >= this.members.size) return names;
    let i = 0;
    for (const conn of this.members) {
      if (i++ < offset) continue;
      names.push(conn.username);
      if (names.length >= count) break;
    }
    return names;
  }

  [Symbol.iterator](): IterableIterator<Connection> {
    return this.members.values();
  }

  /**
   * Encodes `text` once and writes the same frame to every member but `except`.
   * Returns the members whose backlog passed the limit (to be dropped by the caller, after
   * the loop), or null when there are none, and the number of frames written.
   */
  broadcast(text: string, except?: Connection): { sent: number; slow: Connection[] | null } {
    return this.writeAll(encodeTextFrame(text), except);
  }

  /** Writes the same pre-built frame(s) to every member but `except`; see broadcast. */
  writeAll(frame: Buffer, except?: Connection): { sent: number; slow: Connection[] | null } {
    let slow: Connection[] | null = null;
    let sent = 0;
    for (const conn of this.members) {
      if (conn === except) continue;
      sent++;
      if (conn.write(frame)) continue;
      if (slow === null) slow = [];
      slow.push(conn);
    }
    return { sent, slow };
  }
}
