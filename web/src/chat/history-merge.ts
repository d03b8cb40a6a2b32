/**
 * Placing `c2/QUERY history` answers among the messages already shown, without showing a
 * message twice. Pure.
 *
 * After every join (the first one, and each automatic re-join), the client asks for the
 * history. Two kinds of overlap are possible:
 *
 * - Messages that arrived *live* on this connection before the answer: the server handles
 *   one frame at a time and records every broadcast before sending the next frame, so
 *   these are exactly the last messages of the answer (`stripLiveTail`).
 * - Messages shown from an *earlier* connection (before a reconnect): the answer starts
 *   with some of them; the messages after them are the ones missed while disconnected
 *   (`newHistoryStart`).
 */

export interface Said {
  username: string;
  text: string;
}

function same(a: Said | undefined, b: Said | undefined): boolean {
  return a !== undefined && b !== undefined && a.username === b.username && a.text === b.text;
}

/**
 * The history without the messages that also arrived live before it (`live`, oldest first).
 * When the answer does not end with them (it always should), it is returned whole.
 */
export function stripLiveTail<T extends Said>(history: readonly T[], live: readonly Said[]): T[] {
  const k = live.length;
  if (k === 0) return history.slice();
  if (k >= history.length) {
    const tail = live.slice(k - history.length);
    return history.every((h, i) => same(h, tail[i])) ? [] : history.slice();
  }
  const offset = history.length - k;
  for (let i = 0; i < k; i++) if (!same(history[offset + i], live[i])) return history.slice();
  return history.slice(0, offset);
}

/**
 * Where the new messages start in `history`, given the messages already shown (`known`,
 * oldest first). The answer is the end of the latest stretch of `history` that matches the
 * end of `known` message for message. `gap` is true when nothing matched although both are
 * non-empty: more was missed than the history holds, or the server's history was reset.
 */
export function newHistoryStart(known: readonly Said[], history: readonly Said[]): { start: number; gap: boolean } {
  if (known.length === 0 || history.length === 0) return { start: 0, gap: false };
  const last = known.length - 1;
  for (let j = history.length; j >= 1; j--) {
    if (!same(history[j - 1], known[last])) continue;
    const overlap = Math.min(j, known.length);
    let t = 1;
    while (t < overlap && same(history[j - 1 - t], known[last - t])) t++;
    if (t === overlap) return { start: j, gap: false };
  }
  return { start: 0, gap: true };
}
