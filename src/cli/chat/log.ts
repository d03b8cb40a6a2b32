/** What the message pane shows: chat messages and notices, in arrival order. */

export type Tone = 'info' | 'join' | 'leave' | 'rename' | 'ban' | 'error' | 'status';

export type Entry =
  | {
      kind: 'message';
      id: number;
      time: number;
      username: string;
      text: string;
      own: boolean;
      /** From `/history` or the history shown on joining, not live. */
      past?: boolean;
    }
  | { kind: 'notice'; id: number; time: number; text: string; tone: Tone };

export type NewEntry =
  | { kind: 'message'; time: number; username: string; text: string; own: boolean; past?: boolean }
  | { kind: 'notice'; time: number; text: string; tone: Tone };

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
