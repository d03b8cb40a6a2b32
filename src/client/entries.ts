/**
 * What a chat client's message pane shows — chat messages and notices (joins, renames,
 * departures, command output, errors) — one type for the terminal and the web client, so
 * the slash commands (slash-commands.ts) can speak of them. Each client keeps them in its
 * own store and decides how a tone looks. Pure, browser-safe.
 */
import type { ChatMessage, HistoryEntry, ResumedEvent } from './types.js';

export interface MessageEntry {
  kind: 'message';
  id: number;
  /** ms since the epoch: the server's time for history, the arrival time otherwise. */
  time: number;
  username: string;
  text: string;
  /** Sent by this client (under its name at the time). */
  own: boolean;
  /** An announcement of the server itself (see `isAnnouncement`): shown unlike any user's message. */
  server?: boolean;
  /**
   * `live`: received as it was sent; `history`: loaded from the server's history on
   * joining; `command`: shown again by `/history`.
   */
  source: 'live' | 'history' | 'command';
}

export type NoticeTone = 'info' | 'join' | 'leave' | 'rename' | 'ban' | 'error' | 'status';

export interface NoticeEntry {
  kind: 'notice';
  id: number;
  time: number;
  tone: NoticeTone;
  text: string;
  /** Pre-formatted text shown under the notice (command output such as JSON). */
  detail?: string;
}

export type Entry = MessageEntry | NoticeEntry;
/** An entry before its store gives it an id. */
export type NewEntry = Omit<MessageEntry, 'id'> | Omit<NoticeEntry, 'id'>;

export function notice(text: string, tone: NoticeTone = 'info', detail?: string): NewEntry {
  return detail === undefined
    ? { kind: 'notice', time: Date.now(), tone, text }
    : { kind: 'notice', time: Date.now(), tone, text, detail };
}

/**
 * Whether a message is the server's own announcement (its console's `/say`): it is sent as
 * `c2/MSG <server name>; <text>`, and the server reserves its name and every name that
 * looks like it (`[name_reserved]`), so no user's message has that sender. `serverName` is
 * the name the server acknowledged the CONNECT with ('' before: nothing is an announcement).
 */
export function isAnnouncement(username: string, serverName: string): boolean {
  return serverName !== '' && username === serverName;
}

/** A message the client emitted as an entry: `history` when restored after a reconnect, else `live`. */
export function messageEntry(m: ChatMessage): Omit<MessageEntry, 'id'> {
  return {
    kind: 'message',
    time: m.time,
    username: m.username,
    text: m.text,
    own: m.own,
    ...(m.server ? { server: true } : {}),
    source: m.replayed ? 'history' : 'live',
  };
}

/** Messages of the server's history as entries (`me` marks our own, `serverName` the server's announcements). */
export function historyEntries(
  history: readonly HistoryEntry[],
  me: string,
  source: 'history' | 'command' = 'command',
  serverName = '',
): NewEntry[] {
  return history.map((h) => {
    const entry: NewEntry = {
      kind: 'message' as const,
      time: h.time,
      username: h.username,
      text: h.text,
      own: h.username === me,
      source,
    };
    if (isAnnouncement(h.username, serverName)) entry.server = true;
    return entry;
  });
}

/**
 * The one line both chat clients show after an automatic reconnect (contract §10), once the
 * missed messages are in place: "Reconnected — 12 missed messages restored", or "Reconnected —
 * messages between 14:02 and 14:09 could not be restored". `clock` formats a time.
 */
export function resumedText(e: ResumedEvent, clock: (time: number) => string): string {
  if (e.recovered) {
    return e.restored === 0
      ? 'Reconnected — no messages were missed'
      : `Reconnected — ${e.restored} missed message${e.restored === 1 ? '' : 's'} restored`;
  }
  const from = clock(e.missedFrom ?? Date.now());
  const to = clock(e.missedTo ?? Date.now());
  const span = from === to ? `around ${from}` : `between ${from} and ${to}`;
  const restored = e.restored > 0 ? `; the ${e.restored} newest are restored` : '';
  return `Reconnected — messages ${span} could not be restored${restored}`;
}
