/**
 * What the message pane shows, in arrival order: chat messages and notices (the type both
 * chat clients share, src/client/entries.ts), kept to a bound.
 */
import type { Entry, NewEntry } from '../../client/entries.js';

export { type Entry, type NewEntry, type NoticeTone, notice } from '../../client/entries.js';

/** The most entries kept; older ones scroll out for good. */
export const MAX_ENTRIES = 2000;

let nextId = 1;

/** Appends entries, keeping at most `max`. */
export function appendEntries(log: readonly Entry[], added: readonly NewEntry[], max = MAX_ENTRIES): Entry[] {
  const withIds = added.map((e) => ({ ...e, id: nextId++ }) as Entry);
  const all = log.length + withIds.length > max ? [...log, ...withIds].slice(-max) : [...log, ...withIds];
  return all;
}

/** `HH:MM` in local time (with the date when it is not today, for history). */
export function formatTime(time: number, now = Date.now()): string {
  const d = new Date(time);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return hm;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
