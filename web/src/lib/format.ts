/** Formatting for people: times, round trips, name colours. Pure. */

const pad = (n: number) => String(n).padStart(2, '0');

/** `14:05` today, `Mon 14:05` within the last week, `12 Nov 14:05` before. */
export function formatTime(time: number, now: number = Date.now()): string {
  const d = new Date(time);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return hm;
  const ageDays = (now - time) / 86_400_000;
  if (ageDays >= 0 && ageDays < 6) return `${d.toLocaleDateString(undefined, { weekday: 'short' })} ${hm}`;
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${hm}`;
}

/** The full date and time, for a tooltip. */
export function formatFullTime(time: number): string {
  return new Date(time).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' });
}

export function formatRtt(rttMs: number): string {
  if (rttMs < 1) return `${rttMs.toFixed(2)} ms`;
  if (rttMs < 10) return `${rttMs.toFixed(1)} ms`;
  return `${Math.round(rttMs)} ms`;
}

/** One of `count` colours for a username, the same for the same name everywhere. */
export function nameColor(name: string, count = 8): number {
  let h = 2166136261;
  for (const ch of name.toLowerCase()) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % count;
}

/** The document title: the unread count first, so it shows in a narrow tab. */
export function titleFor(base: string, unread: number): string {
  if (unread <= 0) return base;
  return `(${unread > 999 ? '999+' : unread}) ${base}`;
}
