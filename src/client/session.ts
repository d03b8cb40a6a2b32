/**
 * One connection to a c2 server, from opening the socket to its close: joins, matches
 * responses to requests first-in, first-out (contract §4), turns broadcasts into events
 * and keeps the user list. `C2Client` runs one session at a time and makes a new one to
 * reconnect.
 */
import {
  type ClientMessage,
  formatClientMessage,
  formatServerMessage,
  parseServerMessage,
  type ServerMessage,
} from '../protocol/messages.js';
import { normalizeUsername } from '../protocol/rules.js';
import { isAnnouncement } from './entries.js';
import { C2Error, serverError } from './errors.js';
import { checkPingReply } from './ping.js';
import { type Expect, type Pending, RequestQueue } from './request-queue.js';
import { type Arrival, type ResumeOutput, type ResumeStart, type SeqPosition, SequenceTracker } from './resume.js';
import { isLargeRoom, type RoomInfo, Roster, roomInfo } from './roster.js';
import type {
  ChatMessage,
  HistoryAfterAnswer,
  JoinEvent,
  LeaveEvent,
  LeaveReason,
  PingResult,
  RenameEvent,
  ResumedEvent,
  UserCountEvent,
} from './types.js';
import { describeSocketError, OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

export interface SessionConfig {
  WebSocket: WebSocketConstructor;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  maxInFlight: number;
  /** How often `server_info` is asked again while the user list cannot be kept from notices. */
  userCountRefreshMs: number;
  /** The most names a large room's loaded window keeps. */
  rosterCap: number;
}

export interface SessionEnd {
  code: number;
  reason: string;
  /** Why, unless the client disconnected on purpose. */
  error?: C2Error;
  intentional: boolean;
  banned: boolean;
}

/** Events of a session that has joined. */
export interface SessionHandlers {
  message(message: ChatMessage): void;
  join(event: JoinEvent): void;
  rename(event: RenameEvent): void;
  leave(event: LeaveEvent): void;
  users(users: readonly string[]): void;
  userCount(event: UserCountEvent): void;
  resumed(event: ResumedEvent): void;
  error(error: C2Error): void;
  ended(end: SessionEnd): void;
}

type Phase = 'opening' | 'joining' | 'open' | 'leaving' | 'ended';

/** How long `disconnect` waits for the server to close after its ACKNOWLEDGE. */
const CLOSE_WAIT_MS = 2000;
/** The most names one `active_users; <offset>; <count>` answers (docs/PROTOCOL.md). */
export const USERS_PAGE_MAX = 1000;
const noop = () => {};

export class Session {
  readonly roster: Roster;
  serverName = '';
  private phase: Phase = 'opening';
  private readonly queue: RequestQueue;
  private socket: WebSocketLike | undefined;
  /** Our own rename, acknowledged, whose broadcast has not arrived yet. */
  private ownRenameFrom: string | null = null;
  private banMessage: string | undefined;
  /**
   * When the frame being handled arrived: the `time` of its message, read once per frame so
   * that our own echo's event and the answer to `send` are the same message.
   */
  private frameTime = 0;
  /** Set when this side gives the connection up (timeout, protocol violation). */
  private failure: C2Error | undefined;
  private intentional = false;
  private socketError = '';
  private started = false;
  private onStartFailed: ((error: C2Error) => void) | undefined;
  private closeWaiters: Array<() => void> = [];
  /** Where this connection is in the message sequence; the resume after a reconnect. */
  private readonly tracker: SequenceTracker;
  /** The last message handed out, for the answer to `send` (its echo). */
  private lastMessage: ChatMessage | undefined;
  /** Settled once the connection is placed in the sequence (and a resume's gap filled). */
  private onPlaced: { resolve(): void; reject(error: C2Error): void } | undefined;
  /** Asks `server_info` again while the roster needs it (see `Roster.needsRefresh`). */
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  /** The `server_info` for the room in flight, if any. */
  private roomAsked: Promise<void> | null = null;
  /** The whole `active_users` in flight, if any. */
  private listAsked: Promise<void> | null = null;
  /** The `loadMoreUsers` page in flight, if any. */
  private moreAsked: Promise<readonly string[]> | null = null;

  constructor(
    private readonly url: string,
    /** Our username: as requested until joined, then as the server holds it. */
    public username: string,
    private readonly config: SessionConfig,
    private readonly handlers: SessionHandlers,
    resume: ResumeStart = { from: null, reconnect: false, lostAt: 0 },
  ) {
    this.tracker = new SequenceTracker(resume);
    this.roster = new Roster(config.rosterCap);
    this.queue = new RequestQueue(config.maxInFlight, config.requestTimeoutMs, (p) => this.onTimeout(p));
  }

  /** Where to resume from after this connection (contract §10); null when the server has no sequence. */
  get position(): SeqPosition | null {
    return this.tracker.position;
  }

  /** Missed messages restored so far by this connection's resume (and the attempts before it). */
  get restored(): number {
    return this.tracker.restoredCount;
  }

  /**
   * Opens the socket, joins and places the connection in the message sequence (after a
   * reconnect: emits the missed messages); resolves with the server's name. Call once.
   */
  start(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new C2Error('timeout', `no answer from ${this.url} within ${this.config.connectTimeoutMs} ms`)),
        this.config.connectTimeoutMs,
      );
      this.onStartFailed = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      let socket: WebSocketLike;
      try {
        socket = new this.config.WebSocket(this.url);
      } catch (err) {
        clearTimeout(timer);
        this.phase = 'ended';
        reject(new C2Error('unreachable', `cannot open ${this.url}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      this.socket = socket;
      socket.binaryType = 'arraybuffer';
      socket.onerror = (event) => {
        this.socketError = describeSocketError(event);
      };
      socket.onclose = (event) => this.onClose(event.code, event.reason);
      socket.onmessage = (event) => this.onMessage(event.data);
      socket.onopen = () => {
        this.phase = 'joining';
        const joined = this.enqueue({ type: 'CONNECT', username: this.username }, 'ack', 'CONNECT', (m) => {
          this.username = normalizeUsername(this.username);
          this.serverName = m.type === 'ACKNOWLEDGE' ? m.text : '';
          this.phase = 'open';
        });
        const placed = new Promise<void>((resolve, reject) => {
          this.onPlaced = { resolve, reject };
        });
        placed.catch(noop);
        // Pipelined: `server_info` first (the room's size decides whether the whole user list
        // is asked for); on a reconnect `history_after` follows the list, so that the
        // connection is placed (and the resume told) only once the list is there too.
        const first = this.tracker.firstQuestion;
        const listed =
          first.kind === 'after'
            ? this.askRoom(false, () => this.askAfter(first.epoch, first.after, true))
            : this.askRoom(true);
        listed.catch(noop);
        joined.then(
          () =>
            Promise.all([listed, placed]).then(
              () => {
                clearTimeout(timer);
                this.started = true;
                this.onStartFailed = undefined;
                this.emitRoster();
                this.refreshTimer = setInterval(() => this.refreshTick(), this.config.userCountRefreshMs);
                resolve(this.serverName);
              },
              (err: C2Error) => this.fail(err),
            ),
          (err: C2Error) => {
            // Refused (name taken, server full…): this connection is of no further use.
            this.onStartFailed?.(err);
            this.abandon(1000, 'join refused');
          },
        );
      };
    });
  }

  /** Sends a request and waits for its response (see `RequestQueue`). */
  request<T>(
    message: ClientMessage,
    expect: Expect,
    what: string,
    onAnswer: (m: ServerMessage, sentAt: number) => T,
  ): Promise<T> {
    if (this.phase !== 'open') return Promise.reject(notConnected(this.phase));
    return this.enqueue(message, expect, what, onAnswer);
  }

  send(text: string): Promise<ChatMessage> {
    return this.request({ type: 'MSG', text }, 'msg', 'MSG', (m) => {
      if (m.type !== 'MSG') throw outOfOrder('MSG', m);
      return (
        this.lastMessage ?? {
          username: m.username,
          text: m.text,
          own: true,
          server: false,
          time: this.frameTime,
          seq: null,
          replayed: false,
        }
      );
    });
  }

  // ---- the users (docs/PROTOCOL.md, *Large rooms*) -------------------------------------

  /**
   * `server_info` for the room's size (and, with `place`, to place the connection in the
   * sequence). A room above the announce limit goes to large mode (the count, no list);
   * else the whole list is asked for, unless the list held is still exact. Resolves once
   * the roster is settled.
   */
  private askRoom(place: boolean, next?: () => void): Promise<void> {
    let then: Promise<void> | undefined;
    const asked = this.enqueue({ type: 'QUERY', command: 'server_info', args: [] }, 'ack', 'QUERY server_info', (m) => {
      const info = m.type === 'ACKNOWLEDGE' ? parseJson(m.text) : null;
      if (place) this.track(() => this.tracker.info(isObject(info) ? info : null, Date.now()));
      then = this.onRoom(roomInfo(info));
      next?.();
    }).then(
      () => then,
      (err: C2Error) => {
        if (err.code !== 'server') {
          if (place || next) this.onPlaced?.reject(err);
          throw err;
        }
        // A refresh refused (a flood refusal): nothing is known anew, nothing changes.
        if (!place && next === undefined) return undefined;
        // Refused at joining (an old server, or a flood refusal): no sequence, and the whole list.
        if (place) this.track(() => this.tracker.info(null, Date.now()));
        const listed = this.onRoom(null);
        next?.();
        return listed;
      },
    );
    this.roomAsked = asked;
    const clear = () => {
      if (this.roomAsked === asked) this.roomAsked = null;
    };
    asked.then(clear, clear);
    return asked;
  }

  /** What a `server_info` answer (null: none) means for the roster; runs as its frame is read. */
  private onRoom(info: RoomInfo | null): Promise<void> | undefined {
    if (info !== null) this.roster.limit = info.announceLimit;
    if (info !== null && isLargeRoom(info)) {
      if (!this.roster.large) {
        this.roster.setLarge(info.connectedUsers);
        this.emitRoster();
      } else if (this.roster.setCount(info.connectedUsers)) {
        this.emitRoster();
      }
      return undefined;
    }
    // Small enough for every join and leave to be announced: the list, kept from them.
    if (this.roster.mode === 'full' && info !== null && info.connectedUsers === this.roster.count) return undefined;
    return this.askList(info);
  }

  /** The whole `active_users`; `[too_large]` puts the roster in large mode instead. */
  private askList(info: RoomInfo | null): Promise<void> {
    if (this.listAsked !== null) return this.listAsked;
    const asked = this.enqueue(
      { type: 'QUERY', command: 'active_users', args: [] },
      'ack',
      'QUERY active_users',
      (m) => {
        // Taken in as the frame is read: the answer reflects every broadcast before it.
        this.roster.set(parseUserList(m));
        this.emitRoster();
      },
    ).catch((err: C2Error) => {
      if (err.code !== 'server' || err.serverCode !== 'too_large') throw err;
      this.roster.setLarge(Math.max(info?.connectedUsers ?? 0, this.roster.count));
      this.emitRoster();
    });
    this.listAsked = asked;
    const clear = () => {
      if (this.listAsked === asked) this.listAsked = null;
    };
    asked.then(clear, clear);
    return asked;
  }

  /** Asks `server_info` again now (unless it is already asked) and settles the roster by it. */
  refreshRoom(): Promise<void> {
    if (this.phase !== 'open') return Promise.reject(notConnected(this.phase));
    return this.roomAsked ?? this.askRoom(false);
  }

  private refreshTick(): void {
    if (this.phase !== 'open' || !this.roster.needsRefresh || this.roomAsked !== null) return;
    this.refreshRoom().catch(noop);
  }

  /**
   * One page of the user list, `count` names (at most 1,000) from position `offset`, as the
   * server has it now. A server without pages (no `announceLimit`) is asked for the whole
   * list, and the page cut from it.
   */
  usersPage(offset: number, count: number): Promise<string[]> {
    return this.askPage(offset, count, false);
  }

  /** Loads the page after the names loaded (large mode) into the roster; resolves with the names loaded. */
  loadMoreUsers(count: number): Promise<readonly string[]> {
    // One load at a time: a second call while one is on its way waits for that one.
    if (this.moreAsked !== null) return this.moreAsked;
    if (!this.roster.large || this.roster.complete) return Promise.resolve(this.roster.users);
    const asked = this.askPage(this.roster.nextOffset, count, true).then(() => this.roster.users);
    this.moreAsked = asked;
    const clear = () => {
      if (this.moreAsked === asked) this.moreAsked = null;
    };
    asked.then(clear, clear);
    return asked;
  }

  private askPage(offset: number, count: number, keep: boolean): Promise<string[]> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(
        new C2Error('invalid_argument', `a page offset is a whole number, 0 or more (not ${offset})`),
      );
    }
    if (!Number.isSafeInteger(count) || count < 1) {
      return Promise.reject(new C2Error('invalid_argument', `a page size is a whole number, 1 or more (not ${count})`));
    }
    const asked = Math.min(count, USERS_PAGE_MAX);
    const paged = this.roster.limit !== null;
    const args = paged ? [String(offset), String(asked)] : [];
    return this.request({ type: 'QUERY', command: 'active_users', args }, 'ack', 'QUERY active_users', (m) => {
      const answer = parseUserList(m);
      const page = paged ? answer.slice(0, asked) : answer.slice(offset, offset + asked);
      if (keep && this.roster.addPage(offset, page, asked)) this.emitRoster();
      return page;
    });
  }

  private emitRoster(): void {
    if (!this.started) return;
    this.handlers.users(this.roster.users);
    this.handlers.userCount({
      count: this.roster.count,
      large: this.roster.large,
      complete: this.roster.complete,
      announceLimit: this.roster.limit,
    });
  }

  // ---- the message sequence -------------------------------------------------------------

  // The answers are tracked inside `onAnswer`, as the frame is handled: the messages that
  // follow it in the same read must count after it, not before (a promise's `then` would run
  // only after them).

  /** Places the connection by `server_info` (a reconnect whose `history_after` was refused). */
  private askInfo(): void {
    this.enqueue({ type: 'QUERY', command: 'server_info', args: [] }, 'ack', 'QUERY server_info', (m) => {
      const info = m.type === 'ACKNOWLEDGE' ? parseJson(m.text) : null;
      this.track(() => this.tracker.info(isObject(info) ? info : null, Date.now()));
    }).catch((err: C2Error) => {
      // Refused (an old server, or a flood refusal): go on without a sequence.
      if (err.code === 'server') this.track(() => this.tracker.info(null, Date.now()));
      else this.onPlaced?.reject(err);
    });
  }

  private askAfter(epoch: string, after: number, first: boolean): void {
    this.enqueue(
      { type: 'QUERY', command: 'history_after', args: [epoch, String(after)] },
      'ack',
      'QUERY history_after',
      (m) => {
        const answer = m.type === 'ACKNOWLEDGE' ? parseJson(m.text) : null;
        this.track(() => this.tracker.after(answer as HistoryAfterAnswer, this.username, Date.now(), this.serverName));
      },
    ).catch((err: C2Error) => {
      // Refused: a server without history_after; place the connection with server_info instead.
      if (err.code === 'server' && first) this.askInfo();
      else this.onPlaced?.reject(err);
    });
  }

  /** Runs a step of the tracker and carries out what it says; a protocol violation ends the connection. */
  private track(step: () => ResumeOutput[]): void {
    if (this.phase === 'ended') return;
    let out: ResumeOutput[];
    try {
      out = step();
    } catch (err) {
      const error = err instanceof C2Error ? err : new C2Error('protocol', (err as Error).message);
      this.onPlaced?.reject(error);
      this.fail(error);
      return;
    }
    for (const o of out) {
      if (o.kind === 'message') this.handlers.message(o.message);
      else if (o.kind === 'resumed') this.handlers.resumed(o.event);
      else this.askAfter(o.epoch, o.after, false);
    }
    if (this.tracker.ready) this.onPlaced?.resolve();
  }

  rename(name: string): Promise<void> {
    return this.request({ type: 'UPDATE', property: 'username', value: name }, 'ack', 'UPDATE', (m) => {
      // The ACKNOWLEDGE carries the name as the server stored it; an older server's is empty.
      const stored = m.type === 'ACKNOWLEDGE' ? m.text : '';
      const next = stored !== '' ? stored : normalizeUsername(name);
      if (next !== this.username) {
        this.ownRenameFrom = this.username;
        this.username = next;
      }
    });
  }

  ping(): Promise<PingResult> {
    const timestamp = String(Date.now());
    return this.request({ type: 'PING', timestamp }, 'ping', 'PING', (m, sentAt) => {
      const rttMs = performance.now() - sentAt;
      const reply = checkPingReply(formatServerMessage(m), timestamp);
      if (!reply.ok) throw new C2Error('protocol', `the server ${reply.error.message}`);
      return { rttMs, serverId: reply.serverId };
    });
  }

  /** `c2/DISCONNECT`, then waits (bounded) for the server to close. Never rejects. */
  async disconnect(): Promise<void> {
    if (this.phase === 'ended') return;
    if (this.phase === 'opening' || this.phase === 'joining') {
      this.abandon(1000, 'closed by the client');
      return;
    }
    if (this.phase === 'leaving') return this.closed(CLOSE_WAIT_MS);
    // From here on no new request is accepted; those already sent are answered first.
    this.phase = 'leaving';
    try {
      await this.enqueue({ type: 'DISCONNECT' }, 'ack', 'DISCONNECT', () => {
        this.intentional = true;
      });
    } catch {
      // The connection broke meanwhile: disconnected all the same.
    }
    await this.closed(CLOSE_WAIT_MS);
    if ((this.phase as Phase) !== 'ended') this.abandon(1000, 'closed by the client');
  }

  /** Gives the connection up at once (no closing handshake wait), failing pending requests with `error`. */
  fail(error: C2Error): void {
    if (this.phase === 'ended') return;
    this.failure ??= error;
    this.abandon(1006, error.message);
  }

  // ---- socket events --------------------------------------------------------------------

  private onMessage(data: unknown): void {
    if (this.phase === 'ended') return;
    if (typeof data !== 'string') {
      this.handlers.error(new C2Error('protocol', 'the server sent a binary frame'));
      return;
    }
    const parsed = parseServerMessage(data);
    if (!parsed.ok) {
      this.handlers.error(new C2Error('protocol', `the server sent an unreadable frame: ${parsed.reason}`));
      return;
    }
    this.frameTime = Date.now();
    this.handle(parsed.message);
  }

  private handle(m: ServerMessage): void {
    switch (m.type) {
      case 'ACKNOWLEDGE':
        return this.respond(m, 'ack');
      case 'ERROR':
        return this.respond(m, null);
      case 'PING':
        return this.respond(m, 'ping');
      case 'MSG': {
        const own = m.username === this.username && this.phase !== 'joining';
        this.onArrival({
          username: m.username,
          text: m.text,
          own,
          server: !own && isAnnouncement(m.username, this.serverName),
          time: this.frameTime,
        });
        if (own) return this.respond(m, 'msg');
        return;
      }
      case 'CONNECT':
        if (this.roster.add(m.username)) this.emitRoster();
        else this.announcedAgain();
        this.handlers.join({ username: m.username });
        return;
      case 'UPDATE':
        return this.onUpdate(m.username, m.property, m.value);
      case 'DISCONNECT':
        return this.onDeparture(m.reason as LeaveReason, m.username, m.message);
    }
  }

  private onArrival(arrival: Arrival): void {
    this.lastMessage = undefined;
    let out: ResumeOutput[];
    try {
      out = this.tracker.live(arrival);
    } catch (err) {
      this.fail(err as C2Error);
      return;
    }
    for (const o of out) {
      if (o.kind === 'message') {
        this.lastMessage = o.message;
        this.handlers.message(o.message);
      }
    }
  }

  /** A response: it answers the oldest pending request. */
  private respond(m: ServerMessage, kind: Expect | null): void {
    const head = this.queue.peek();
    if (head === undefined) {
      this.handlers.error(
        m.type === 'ERROR'
          ? serverError(m)
          : new C2Error('protocol', `the server sent ${describe(m)} while no request was waiting`),
      );
      return;
    }
    if (kind !== null && head.expect !== kind) {
      // The ordering promise is broken: no later response can be trusted either.
      this.fail(outOfOrder(head.what, m));
      return;
    }
    this.queue.shift();
    head.answer(m);
  }

  private onUpdate(from: string, property: string, to: string): void {
    if (property !== 'username') return; // no other property exists yet
    const own = this.ownRenameFrom !== null && from === this.ownRenameFrom;
    if (own) {
      this.ownRenameFrom = null;
      this.username = to;
    }
    if (this.roster.rename(from, to)) this.emitRoster();
    this.handlers.rename({ from, to, own });
  }

  private onDeparture(reason: LeaveReason, username: string, message: string | undefined): void {
    const own = reason === 'ban' && username === this.username;
    if (own) this.banMessage = message ?? '';
    if (this.roster.remove(username)) this.emitRoster();
    if (reason !== 'ban') this.announcedAgain();
    this.handlers.leave(message === undefined ? { username, reason, own } : { username, reason, message, own });
  }

  /**
   * A join or leave was announced while the roster is in large mode: the room is back under
   * the announce limit, so `server_info` is asked now (and the whole list after it).
   */
  private announcedAgain(): void {
    if (this.roster.large && this.started) this.refreshTick();
  }

  private onTimeout(pending: Pending): void {
    this.fail(
      new C2Error(
        'timeout',
        `no answer to ${pending.what} within ${this.config.requestTimeoutMs} ms: the connection is given up as dead`,
      ),
    );
  }

  private onClose(code: number, reason: string): void {
    if (this.phase === 'ended') return;
    const opened = this.phase !== 'opening';
    this.phase = 'ended';
    clearInterval(this.refreshTimer);
    this.detach();
    const error = this.closeError(code, reason, opened);
    this.queue.rejectAll(error ?? new C2Error('closed', 'the connection closed'));
    for (const wake of this.closeWaiters.splice(0)) wake();
    if (!this.started) {
      this.onStartFailed?.(error ?? new C2Error('closed', 'the connection closed'));
      return;
    }
    this.handlers.ended({
      code,
      reason,
      ...(error ? { error } : {}),
      intentional: this.intentional && this.failure === undefined,
      banned: this.banMessage !== undefined,
    });
  }

  private closeError(code: number, reason: string, opened: boolean): C2Error | undefined {
    if (this.failure) return this.failure;
    if (this.banMessage !== undefined) return new C2Error('banned', this.banMessage || 'banned by an operator');
    if (this.intentional) return undefined;
    if (!opened) {
      return new C2Error(
        'unreachable',
        `cannot connect to ${this.url}: ${this.socketError || describeClose(code, reason)}`,
      );
    }
    return new C2Error('closed', describeClose(code, reason));
  }

  // ---- plumbing -------------------------------------------------------------------------

  private enqueue<T>(
    message: ClientMessage,
    expect: Expect,
    what: string,
    onAnswer: (m: ServerMessage, sentAt: number) => T,
  ): Promise<T> {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN) return Promise.reject(notConnected(this.phase));
    return this.queue.add({ expect, what, onAnswer }, () => socket.send(formatClientMessage(message)));
  }

  /** Drops the socket without waiting for a closing handshake and ends the session now. */
  private abandon(code: number, reason: string): void {
    const socket = this.socket;
    if (socket !== undefined) {
      this.detach();
      if (typeof socket.terminate === 'function') socket.terminate();
      else if (socket.readyState <= OPEN) socket.close(code === 1000 ? 1000 : 4000);
    }
    this.onClose(code, reason);
  }

  private detach(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    socket.onopen = noop;
    socket.onmessage = noop;
    socket.onclose = noop;
    // Never null: `ws` throws on an 'error' event nobody listens to.
    socket.onerror = noop;
  }

  private closed(timeoutMs: number): Promise<void> {
    if (this.phase === 'ended') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function notConnected(phase: Phase): C2Error {
  return new C2Error(
    'not_connected',
    phase === 'leaving' || phase === 'ended' ? 'not connected: the connection has closed' : 'not connected yet',
  );
}

function outOfOrder(what: string, m: ServerMessage): C2Error {
  return new C2Error('protocol', `the server answered ${what} with ${describe(m)}: responses are out of order`);
}

function describe(m: ServerMessage): string {
  return `c2/${m.type}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseUserList(m: ServerMessage): string[] {
  const text = m.type === 'ACKNOWLEDGE' ? m.text : '';
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  } catch {
    // fall through
  }
  throw new C2Error('protocol', 'the server answered active_users with something other than a list of names');
}

/** A readable account of a WebSocket close code. */
export function describeClose(code: number, reason: string): string {
  const known: Record<number, string> = {
    1000: 'the server closed the connection',
    1001: 'the server is shutting down',
    1006: 'the connection was lost',
    1007: 'the server refused a frame that was not UTF-8',
    1008: 'the server closed the connection (policy)',
    1009: 'the server refused a frame that was too large',
    1011: 'the server hit an internal error',
  };
  const what = known[code] ?? `the connection closed (code ${code})`;
  return reason ? `${what}: ${reason}` : what;
}
