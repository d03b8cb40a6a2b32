import { BanList } from '../bans.js';
import type { Connection } from '../connection.js';
import { MessageLog } from '../history.js';
import type { ServerStore, StoredMessage } from '../store.js';
import { type After, type EngineHost, type RoomEngine, SEATED, type Seat } from './types.js';

const FULL: Seat = { ok: false, why: 'full' };
const BANNED: Seat = { ok: false, why: 'banned' };

/**
 * The room engine of a single process: the hub's own room is the whole server, the bans
 * and the sequence are in the SQLite store (`MessageLog` commits a group per turn of the
 * event loop). Everything is answered at once.
 */
export class LocalEngine implements RoomEngine {
  readonly bans: BanList;
  readonly messages: MessageLog<Connection>;

  constructor(
    private readonly host: EngineHost,
    store: ServerStore,
    historySize: number,
    private readonly maxUsers: number,
  ) {
    this.bans = new BanList(store);
    this.messages = new MessageLog<Connection>(store, historySize, () => this.commit());
  }

  get epoch(): string {
    return this.messages.epoch;
  }

  get lastSeq(): number {
    return this.messages.lastSeq;
  }

  seat(conn: Connection, _username: string, key: string, joining: boolean): Seat {
    const room = this.host.room;
    if (joining && room.size >= this.maxUsers) return FULL;
    if (this.bans.has(key)) return BANNED;
    const holder = room.get(key);
    if (holder && holder !== conn) return { ok: false, why: 'taken', holder: holder.username };
    return SEATED;
  }

  joined(): void {}
  renamed(): void {}
  left(): void {}

  userCount(): number {
    return this.host.room.size;
  }

  get users(): number {
    return this.host.room.size;
  }

  usernames(offset?: number, count?: number): string[] {
    return this.host.room.usernames(offset, count);
  }

  ban(key: string, username: string, message: string): boolean {
    this.bans.add(key, username, message);
    const holder = this.host.room.get(key);
    if (holder) this.host.banned(holder.username, message, holder);
    return holder !== undefined;
  }

  unban(key: string): boolean {
    return this.bans.remove(key);
  }

  append(username: string, text: string, sender: Connection | null): void {
    this.messages.append(username, text, Date.now(), sender);
  }

  settle(): boolean {
    return this.messages.hasPending ? this.commit() : true;
  }

  /**
   * Group commit: this turn's messages are written to the store in one transaction, then
   * delivered as one buffer, one write per member. When the write fails none of them is sent
   * and each sender gets `[unavailable]`: a message is either durable and delivered, or refused.
   */
  private commit(): boolean {
    const commit = this.messages.commit();
    const { batch } = commit;
    if (batch.length === 0) return true;
    if (!commit.ok) {
      this.host.log.error(
        { err: commit.error, messages: batch.length },
        'could not store messages: they were not sent',
      );
      for (const { sender } of batch) if (sender) this.host.unstored(sender);
      return false;
    }
    this.host.deliver(batch);
    return true;
  }

  last(n: number): StoredMessage[] {
    return this.messages.last(n);
  }

  after(seq: number, n: number): After {
    return this.messages.after(seq, n);
  }

  async close(): Promise<void> {}
}
