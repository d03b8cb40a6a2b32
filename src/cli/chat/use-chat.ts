/**
 * Binds a C2Client to React state: the message pane's entries, the user list and the
 * connection status, from the client's events. After an automatic reconnect, the restored
 * messages come in their place and the `resumed` event is the one line that says so.
 */
import { useCallback, useEffect, useState } from 'react';
import type { C2Client } from '../../client/c2-client.js';
import { messageEntry, resumedText } from '../../client/entries.js';
import { USERS_PER_PAGE } from '../../client/slash-commands.js';
import type { StateEvent, UserCountEvent } from '../../client/types.js';
import { appendEntries, type Entry, formatTime, type NewEntry, type NoticeTone, notice } from './log.js';

export interface ChatState {
  entries: readonly Entry[];
  users: readonly string[];
  /** How many are connected and whether the room is large (its list loaded a page at a time). */
  count: UserCountEvent;
  status: StateEvent;
  show(...entries: NewEntry[]): void;
  say(text: string, tone?: NoticeTone): void;
  clear(): void;
}

export function useChat(client: C2Client): ChatState {
  const [entries, setEntries] = useState<readonly Entry[]>([]);
  const [users, setUsers] = useState<readonly string[]>(client.users);
  const [count, setCount] = useState<UserCountEvent>(() => countOf(client));
  const [status, setStatus] = useState<StateEvent>({ state: client.state, serverName: client.serverName });

  const show = useCallback((...added: NewEntry[]) => setEntries((log) => appendEntries(log, added)), []);
  const say = useCallback((text: string, tone: NoticeTone = 'info') => show(notice(text, tone)), [show]);
  const clear = useCallback(() => setEntries([]), []);

  useEffect(() => {
    const offs = [
      // After a reconnect the library emits the missed messages first, in order, then `resumed`.
      client.on('message', (m) => show(messageEntry(m))),
      client.on('resumed', (e) =>
        say(
          resumedText(e, (t) => formatTime(t)),
          e.recovered ? 'status' : 'error',
        ),
      ),
      client.on('join', (e) => say(`→ ${e.username} joined`, 'join')),
      client.on('rename', (e) =>
        say(e.own ? `you are now known as ${e.to}` : `${e.from} is now known as ${e.to}`, 'rename'),
      ),
      client.on('leave', (e) => {
        if (e.reason === 'ban') {
          const why = e.message ? `: ${e.message}` : '';
          say(e.own ? `✖ you were banned${why}` : `✖ ${e.username} was banned${why}`, 'ban');
        } else {
          say(`← ${e.username} ${e.reason === 'disconnect' ? 'left' : 'lost the connection'}`, 'leave');
        }
      }),
      client.on('users', (list) => setUsers(list)),
      client.on('userCount', (e) => {
        setCount(e);
        loadFirstPage(client);
      }),
      client.on('error', (e) => say(`server: ${e.message}`, 'error')),
      client.on('state', (s) => {
        setStatus(s);
        if (s.state === 'connected') {
          setCount(countOf(client));
          loadFirstPage(client);
        }
        if (s.state === 'reconnecting') {
          const why = s.error ? ` (${s.error.message})` : '';
          say(`disconnected${why}; reconnecting in ${formatDelay(s.delayMs ?? 0)}, attempt ${s.attempt}`, 'status');
        }
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [client, show, say]);

  return { entries, users, count, status, show, say, clear };
}

/** A large room's list beside the messages: its first page, loaded once it is empty. */
function loadFirstPage(client: C2Client): void {
  if (client.state !== 'connected' || !client.largeRoom || client.usersComplete || client.users.length > 0) return;
  client.loadMoreUsers(USERS_PER_PAGE).catch(() => {
    // Tried again at the next change of the count; /users asks by itself.
  });
}

function countOf(client: C2Client): UserCountEvent {
  return {
    count: client.userCount,
    large: client.largeRoom,
    complete: client.usersComplete,
    announceLimit: client.announceLimit,
  };
}

export function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
