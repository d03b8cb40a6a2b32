/**
 * What the message pane shows: chat messages and notices (joins, renames, departures,
 * command output, errors; the type both chat clients share, src/client/entries.ts), each
 * with a stable id for rendering.
 *
 * `EntryLog` keeps them in a bounded array: past `cap` entries the oldest are dropped,
 * in chunks of `slack` so that a busy room costs one splice per `slack` messages rather
 * than one per message. The pane virtualises what it renders (see virtual.ts), so the cap
 * bounds memory, not rendering work. Pure: no DOM, no timers.
 */

import type { Entry, NewEntry } from '../../../src/client/entries.js';

export {
  type Entry,
  historyEntries,
  type MessageEntry,
  type NewEntry,
  type NoticeEntry,
  type NoticeTone,
  notice,
} from '../../../src/client/entries.js';

/** Entries kept in memory (the pane renders only the visible ones). */
export const DEFAULT_ENTRY_CAP = 20_000;
/** How far past the cap the log may grow before it is trimmed back to the cap. */
export const DEFAULT_ENTRY_SLACK = 1_000;

export class EntryLog {
  private items: Entry[] = [];
  private nextId = 1;
  private snapshotCache: readonly Entry[] = [];
  private dirty = false;
  /** How many entries were dropped from the front so far. */
  private droppedCount = 0;

  constructor(
    readonly cap: number = DEFAULT_ENTRY_CAP,
    readonly slack: number = DEFAULT_ENTRY_SLACK,
  ) {
    if (!(cap >= 1) || !(slack >= 0)) throw new RangeError('cap must be at least 1 and slack at least 0');
  }

  get length(): number {
    return this.items.length;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Appends entries; returns them with their ids. */
  push(...entries: NewEntry[]): Entry[] {
    const added = entries.map((e) => this.withId(e));
    for (const e of added) this.items.push(e);
    this.trim();
    this.dirty = true;
    return added;
  }

  /** The id the next entry will get: every entry added from now on has an id at least this. */
  get nextEntryId(): number {
    return this.nextId;
  }

  /** The entries placed before the first one whose id is at least `floor`, in order. */
  before(floor: number): Entry[] {
    const at = this.items.findIndex((e) => e.id >= floor);
    return at === -1 ? this.items.slice() : this.items.slice(0, at);
  }

  /**
   * Removes the entries whose ids are in `remove`, then inserts `entries` before the first
   * entry whose id is at least `floor` (at the end when there is none). Used to put the
   * history of a (re)connection before what arrived on it.
   */
  insertBefore(floor: number, entries: NewEntry[], remove: ReadonlySet<number> = new Set()): Entry[] {
    const added = entries.map((e) => this.withId(e));
    const kept = remove.size === 0 ? this.items : this.items.filter((e) => !remove.has(e.id));
    let at = kept.findIndex((e) => e.id >= floor);
    if (at === -1) at = kept.length;
    this.items = [...kept.slice(0, at), ...added, ...kept.slice(at)];
    this.trim();
    this.dirty = true;
    return added;
  }

  /** Removes every entry. */
  clear(): void {
    this.droppedCount += this.items.length;
    this.items = [];
    this.dirty = true;
  }

  /** The entries in order, as an immutable array that changes identity only when they changed. */
  snapshot(): readonly Entry[] {
    if (this.dirty) {
      this.snapshotCache = Object.freeze(this.items.slice());
      this.dirty = false;
    }
    return this.snapshotCache;
  }

  private withId(e: NewEntry): Entry {
    return { ...e, id: this.nextId++ } as Entry;
  }

  private trim(): void {
    if (this.items.length <= this.cap + this.slack) return;
    const excess = this.items.length - this.cap;
    this.items.splice(0, excess);
    this.droppedCount += excess;
  }
}
