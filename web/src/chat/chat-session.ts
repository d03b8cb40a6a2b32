/**
 * One chat: a `C2Client` joined to one server, and everything the chat view shows about
 * it — the message pane's entries, the users, the connection state and the error to show
 * at the input. All c2 traffic goes through the client library; this class only turns its
 * events into entries and runs what is typed (messages and slash commands).
 *
 * Rendering never holds up the chat: events are applied to plain data at once and the
 * view is told at most once per `schedule` tick (an animation frame in the browser), with
 * a snapshot that changes identity only then. No DOM here, so it runs under Node too.
 */

import { messageEntry, resumedText } from '../../../src/client/entries.js';
import type { C2Client, ClientState, HistoryEntry, StateEvent } from '../../../src/client/index.js';
import { parseInput } from '../../../src/client/slash.js';
import { CommandError, type SlashContext, type SlashMemory, slashContext } from '../../../src/client/slash-commands.js';
import { formatTime } from '../lib/format.js';
import { runCommand } from './commands.js';
import {
  DEFAULT_ENTRY_CAP,
  type Entry,
  EntryLog,
  historyEntries,
  type MessageEntry,
  type NewEntry,
  notice,
} from './entries.js';
import { newHistoryStart, stripLiveTail } from './history-merge.js';

/** Names asked for per "Load more" of a large room's list. */
export const USERS_PAGE_SIZE = 200;

export type ConnectionStatus = Exclude<ClientState, 'idle'>;

export interface ChatSnapshot {
  status: ConnectionStatus;
  /** A short account of the connection for people: "Connected", "Reconnecting in 4 s (attempt 2)"… */
  statusText: string;
  /** While reconnecting: when the next attempt starts (ms since the epoch). */
  retryAt: number | null;
  /** Why the connection was lost or closed, when it was not on purpose. */
  lastError: string | null;
  serverName: string;
  url: string;
  username: string;
  /** Everyone, or in a large room the names loaded so far (`loadMoreUsers`). */
  users: readonly string[];
  /** How many users are connected (0 when not connected). */
  userCount: number;
  /** More users than the server announces: `users` is loaded a page at a time. */
  largeRoom: boolean;
  /** True when `users` holds everyone connected. */
  usersComplete: boolean;
  entries: readonly Entry[];
  /** Entries dropped from the front of the pane (see EntryLog). */
  dropped: number;
  /** The last error to show next to the input (a server ERROR, a command mistake), or null. */
  inputError: string | null;
  /** True after the user banned from the server (no reconnecting). */
  banned: boolean;
}

export type SubmitResult = { ok: true } | { ok: false; error: string; restore: string | null };

export interface ChatSessionOptions {
  client: C2Client;
  url: string;
  username: string;
  /** Runs `flush` soon; the browser passes an animation-frame scheduler. Default: a microtask. */
  schedule?: (flush: () => void) => void;
  /**
   * Messages of history loaded on the first join (default 100) and after a manual
   * reconnect (default 500). After an automatic reconnect the client library restores
   * what was missed by itself (contract §10).
   */
  historyOnJoin?: number;
  historyOnRejoin?: number;
  /** Entries kept in memory (default 20,000). */
  cap?: number;
  /** Called after `/quit` (or `quit()`) has left the server. */
  onQuit?: () => void;
}

/** Entries added in one flush that others sent: for the unread count and the screen reader. */
export type IncomingListener = (entries: readonly Entry[]) => void;

export class ChatSession {
  readonly client: C2Client;
  private readonly log: EntryLog;
  private readonly schedule: (flush: () => void) => void;
  private readonly listeners = new Set<() => void>();
  private readonly incomingListeners = new Set<IncomingListener>();
  private readonly offs: Array<() => void> = [];
  private snapshot: ChatSnapshot;
  private scheduled = false;
  private pendingIncoming: Entry[] = [];

  private status: ConnectionStatus = 'connecting';
  private retryAt: number | null = null;
  private attempt = 0;
  private lastError: string | null = null;
  private inputError: string | null = null;
  private users: readonly string[] = [];
  /** What slash commands remember between runs (the last `/users` page). */
  private readonly slashMemory: SlashMemory = {};
  private banned = false;
  private quitting = false;
  private disposed = false;

  /** Entries with ids from here on belong to the current connection. */
  private floor: number;
  /** While the current connection's history has not arrived: the live messages received on it. */
  private awaitingHistory: MessageEntry[] | null = null;
  private connections = 0;

  constructor(private readonly options: ChatSessionOptions) {
    this.client = options.client;
    this.log = new EntryLog(options.cap ?? DEFAULT_ENTRY_CAP);
    this.schedule = options.schedule ?? queueMicrotask;
    this.floor = this.log.nextEntryId;
    this.snapshot = this.buildSnapshot();
    this.listen();
  }

  // ---- the view's side ------------------------------------------------------------------

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatSnapshot => this.snapshot;

  /** Listens for entries from others (messages, joins, departures…), once per flush. */
  onIncoming(listener: IncomingListener): () => void {
    this.incomingListeners.add(listener);
    return () => this.incomingListeners.delete(listener);
  }

  /** Joins; resolves with the server's name or rejects with the library's C2Error. */
  async connect(): Promise<string> {
    this.beginConnection();
    this.awaitingHistory = [];
    try {
      const serverName = await this.client.connect(this.options.url, this.options.username);
      return serverName;
    } catch (err) {
      this.awaitingHistory = null;
      throw err;
    }
  }

  /** Joins again after the connection closed for good (a manual "Reconnect"). */
  async reconnect(): Promise<void> {
    if (this.status !== 'closed' || this.banned || this.disposed) return;
    this.add(notice(`Reconnecting to ${this.client.serverName || this.options.url}…`, 'status'));
    this.beginConnection();
    this.awaitingHistory = [];
    try {
      await this.client.connect(this.options.url, this.client.username || this.options.username);
    } catch (err) {
      this.awaitingHistory = null;
      this.setInputError((err as Error).message);
    }
  }

  /**
   * Sends what was typed: a message, or a slash command. Resolves once the server has
   * answered; never rejects. On failure the error is also shown next to the input, and
   * `restore` is the text to give back to the input (a message that was not sent).
   */
  async submit(line: string): Promise<SubmitResult> {
    const input = parseInput(line);
    if (input.kind === 'empty') return { ok: true };
    this.setInputError(null);
    if (input.kind === 'message') {
      try {
        await this.client.send(input.text);
        return { ok: true };
      } catch (err) {
        const error = (err as Error).message;
        this.setInputError(error);
        return { ok: false, error, restore: line };
      }
    }
    try {
      const reply = await runCommand(this.commandContext(), input.name, input.rest);
      if (reply.length > 0 && !this.disposed) this.add(...reply);
      return { ok: true };
    } catch (err) {
      const error = err instanceof CommandError ? err.message : `/${input.name}: ${(err as Error).message}`;
      this.setInputError(error);
      if (!(err instanceof CommandError)) this.add(notice(error, 'error'));
      return { ok: false, error, restore: err instanceof CommandError ? line : null };
    }
  }

  /**
   * In a large room: loads the next page of names into the list (the library keeps at most
   * `rosterCap`). Never rejects: a failure is shown at the input.
   */
  async loadMoreUsers(count = USERS_PAGE_SIZE): Promise<void> {
    try {
      await this.client.loadMoreUsers(count);
    } catch (err) {
      this.setInputError(`Could not load more users: ${(err as Error).message}`);
    }
  }

  /** Hides the error shown next to the input. */
  clearInputError(): void {
    this.setInputError(null);
  }

  /** Leaves the server (`c2/DISCONNECT`), then calls `onQuit`. */
  async quit(): Promise<void> {
    this.quitting = true;
    await this.client.disconnect();
    this.options.onQuit?.();
  }

  /** Stops listening to the client (after `quit`, or when the view goes away). */
  dispose(): void {
    this.disposed = true;
    for (const off of this.offs.splice(0)) off();
    this.listeners.clear();
    this.incomingListeners.clear();
  }

  // ---- the client's side ----------------------------------------------------------------

  private listen(): void {
    const c = this.client;
    this.offs.push(
      c.on('message', (m) => {
        const [entry] = this.add(messageEntry(m)) as [MessageEntry];
        this.awaitingHistory?.push(entry);
        if (!m.own) this.pendingIncoming.push(entry);
      }),
      c.on('join', (e) => this.incoming(notice(`${e.username} joined`, 'join'))),
      c.on('rename', (e) =>
        e.own
          ? this.add(notice(`You are now known as ${e.to}`, 'rename'))
          : this.incoming(notice(`${e.from} is now known as ${e.to}`, 'rename')),
      ),
      c.on('leave', (e) => {
        if (e.reason === 'ban') {
          const why = e.message ? `: ${e.message}` : '';
          if (e.own) {
            this.banned = true;
            this.incoming(notice(`You were banned from this server${why}`, 'ban'));
          } else {
            this.incoming(notice(`${e.username} was banned${why}`, 'ban'));
          }
        } else if (e.reason === 'lost_connection') {
          this.incoming(notice(`${e.username} lost the connection`, 'leave'));
        } else {
          this.incoming(notice(`${e.username} left`, 'leave'));
        }
      }),
      c.on('users', (users) => {
        this.users = users;
        this.changed();
      }),
      c.on('userCount', () => {
        this.changed();
        this.loadFirstPage();
      }),
      c.on('error', (e) => {
        // A c2/ERROR that answered no request (or a protocol problem): show it at the input.
        this.setInputError(e.message);
        this.add(notice(e.message, 'error'));
      }),
      c.on('state', (e) => this.onState(e)),
      c.on('resumed', (e) => this.add(notice(resumedText(e, formatTime), e.recovered ? 'status' : 'error'))),
    );
  }

  private onState(e: StateEvent): void {
    const previous = this.status;
    if (e.state === 'idle') return;
    this.status = e.state;
    this.retryAt = null;
    switch (e.state) {
      case 'connecting':
        break;
      case 'connected':
        this.attempt = 0;
        this.lastError = null;
        this.connections++;
        this.users = this.client.users;
        this.loadFirstPage();
        // An automatic reconnect has been told by its `resumed` notice, its missed messages restored.
        if (e.reconnected) break;
        this.add(
          notice(
            this.connections > 1
              ? `Reconnected to ${e.serverName} as ${this.client.username}`
              : `Joined ${e.serverName} as ${this.client.username}`,
            'status',
          ),
        );
        void this.loadHistory(this.connections > 1);
        break;
      case 'reconnecting':
        this.attempt = e.attempt ?? this.attempt + 1;
        this.retryAt = Date.now() + (e.delayMs ?? 0);
        if (e.error) this.lastError = e.error.message;
        if (previous === 'connected') {
          this.add(notice(`Connection lost${e.error ? `: ${e.error.message}` : ''}. Reconnecting…`, 'error'));
        }
        // The library resumes by itself: the missed messages arrive first, in order.
        this.awaitingHistory = null;
        break;
      case 'closed':
        this.awaitingHistory = null;
        if (e.error && !this.quitting) {
          this.lastError = e.error.message;
          if (e.error.code !== 'banned' && previous !== 'connecting') {
            this.add(notice(`Disconnected: ${e.error.message}`, 'error'));
          }
        } else if (this.quitting) {
          this.add(notice('You left the server', 'status'));
        }
        break;
    }
    this.changed();
  }

  /** A large room's list starts with its first page, loaded once it is empty. */
  private loadFirstPage(): void {
    const c = this.client;
    if (c.state !== 'connected' || !c.largeRoom || c.usersComplete || c.users.length > 0 || this.disposed) return;
    void c.loadMoreUsers(USERS_PAGE_SIZE).catch(() => {
      // Tried again at the next change of the count; the list's "Load more" asks by itself.
    });
  }

  private beginConnection(): void {
    this.floor = this.log.nextEntryId;
  }

  /**
   * `c2/QUERY history` after a join, put in its place: before what arrived on this
   * connection, after what was already shown, without showing anything twice.
   */
  private async loadHistory(rejoin: boolean): Promise<void> {
    const floor = this.floor;
    const n = rejoin ? (this.options.historyOnRejoin ?? 500) : (this.options.historyOnJoin ?? 100);
    let history: HistoryEntry[];
    try {
      history = await this.client.query('history', String(n));
    } catch (err) {
      this.awaitingHistory = null;
      this.add(notice(`Could not load the history: ${(err as Error).message}`, 'error'));
      return;
    }
    const live = this.awaitingHistory ?? [];
    this.awaitingHistory = null;
    if (this.disposed || floor !== this.floor || !Array.isArray(history)) return;

    const older = stripLiveTail(history, live);
    const shown = this.log
      .before(floor)
      .filter((e): e is MessageEntry => e.kind === 'message' && e.source !== 'command');
    const { start, gap } = newHistoryStart(shown, older);
    const missed = older.slice(start);
    if (missed.length === 0) return;
    const entries: NewEntry[] = historyEntries(missed, this.client.username, 'history', this.client.serverName);
    if (gap) entries.unshift(notice('Earlier messages may be missing here', 'status'));
    else if (rejoin) entries.unshift(notice(`${missed.length} sent while you were away:`, 'status'));
    this.log.insertBefore(floor, entries);
    this.changed();
  }

  private commandContext(): SlashContext {
    return slashContext(this.client, {
      memory: this.slashMemory,
      quit: () => this.quit(),
      clear: () => {
        this.log.clear();
        this.changed();
      },
    });
  }

  // ---- plumbing -------------------------------------------------------------------------

  private add(...entries: NewEntry[]): Entry[] {
    const added = this.log.push(...entries);
    this.changed();
    return added;
  }

  /** Adds entries caused by others (announced, counted as unread by the view). */
  private incoming(...entries: NewEntry[]): void {
    this.pendingIncoming.push(...this.add(...entries));
  }

  private setInputError(error: string | null): void {
    if (this.inputError === error) return;
    this.inputError = error;
    this.changed();
  }

  private changed(): void {
    if (this.scheduled || this.disposed) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.disposed) return;
    this.snapshot = this.buildSnapshot();
    const incoming = this.pendingIncoming;
    this.pendingIncoming = [];
    for (const listener of [...this.listeners]) listener();
    if (incoming.length > 0) for (const listener of [...this.incomingListeners]) listener(incoming);
  }

  private buildSnapshot(): ChatSnapshot {
    return {
      status: this.status,
      statusText: this.describeStatus(),
      retryAt: this.retryAt,
      lastError: this.lastError,
      serverName: this.client.serverName,
      url: this.options.url,
      username: this.client.username || this.options.username,
      users: this.status === 'connected' ? this.users : [],
      userCount: this.status === 'connected' ? this.client.userCount : 0,
      largeRoom: this.status === 'connected' && this.client.largeRoom,
      usersComplete: this.status !== 'connected' || this.client.usersComplete,
      entries: this.log.snapshot(),
      dropped: this.log.dropped,
      inputError: this.inputError,
      banned: this.banned,
    };
  }

  private describeStatus(): string {
    switch (this.status) {
      case 'connecting':
        return 'Connecting…';
      case 'connected':
        return 'Connected';
      case 'reconnecting':
        return `Reconnecting (attempt ${this.attempt})…`;
      case 'closed':
        return this.banned ? 'Banned' : this.quitting ? 'Left' : 'Disconnected';
    }
  }
}
