/**
 * `C2Client`: a c2 chat client for Node and browsers.
 *
 * It matches responses to requests first-in, first-out, as the ordering promise of the
 * protocol allows (contract §4): no request ids on the wire. Every method that asks the
 * server something returns a promise settled by that request's own response; everything
 * else the server sends becomes an event. With `reconnect`, a lost connection is re-made
 * with exponential backoff and jitter, re-joining under the same name, and resumed (contract
 * §10): the messages missed meanwhile are emitted in order (`replayed: true`) before any
 * newer one, then one `resumed` event says whether all of them could be restored.
 */
import { backoffDelay, type ResolvedReconnect, resolveReconnect } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { C2Error } from './errors.js';
import type { SeqPosition } from './resume.js';
import { DEFAULT_ROSTER_CAP } from './roster.js';
import { checkServerUrl } from './server-url.js';
import { Session, type SessionConfig, type SessionEnd, USERS_PAGE_MAX } from './session.js';
import type {
  C2ClientEvents,
  C2ClientOptions,
  ChatMessage,
  ClientState,
  PingResult,
  QueryAnswers,
  StateEvent,
} from './types.js';
import { resolveWebSocket } from './websocket.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_IN_FLIGHT = 100;
export const DEFAULT_USER_COUNT_REFRESH_MS = 15_000;

/** Close codes after which reconnecting cannot help: a ban or policy close, our own bad frames. */
const FINAL_CLOSE_CODES = new Set([1007, 1008, 1009]);

export class C2Client extends TypedEmitter<C2ClientEvents> {
  private readonly options: C2ClientOptions;
  private readonly reconnectOptions: ResolvedReconnect | null;
  private readonly random: () => number;
  private session: Session | null = null;
  private currentState: ClientState = 'idle';
  private serverUrl = '';
  /** The name to (re-)join with: the last one the server confirmed. */
  private name = '';
  private lastServerName = '';
  private attempts = 0;
  private refusals = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by connect and disconnect, so that a stale reconnect attempt stands down. */
  private generation = 0;
  /** Where the last connection ended in the server's message sequence: what a reconnect resumes from. */
  private seqPosition: SeqPosition | null = null;
  /** When the last connection was lost. */
  private lostAt = 0;
  /** Missed messages restored by reconnect attempts cut short before their `resumed` event. */
  private restoredCarry = 0;

  constructor(options: C2ClientOptions = {}) {
    super();
    this.options = options;
    this.reconnectOptions = resolveReconnect(options.reconnect);
    this.random = options.random ?? Math.random;
  }

  get state(): ClientState {
    return this.currentState;
  }

  /** Our username as the server holds it (after renames), or the one last asked for. */
  get username(): string {
    return this.session?.username ?? this.name;
  }

  /** The server's name, from its ACKNOWLEDGE. */
  get serverName(): string {
    return this.lastServerName;
  }

  get url(): string {
    return this.serverUrl;
  }

  /**
   * The epoch of the server's message sequence and the seq of the last message emitted
   * (contract §10); null before the first connection is placed, or when the server has no sequence.
   */
  get position(): SeqPosition | null {
    return this.session?.position ?? this.seqPosition;
  }

  /**
   * The connected users in join order (ourselves included); empty when not connected. In a
   * large room (`largeRoom`), only the names loaded so far (`loadMoreUsers`), from position
   * `usersOffset` of the server's list.
   */
  get users(): readonly string[] {
    return this.liveRoster?.users ?? [];
  }

  /** How many users are connected: the list's length, or in a large room `server_info`'s count; 0 when not connected. */
  get userCount(): number {
    return this.liveRoster?.count ?? 0;
  }

  /** True while the room is above the server's announce limit (joins and leaves unannounced). */
  get largeRoom(): boolean {
    return this.liveRoster?.large ?? false;
  }

  /** The server's announce limit (`server_info`), or null when not known or the server predates it. */
  get announceLimit(): number | null {
    return this.liveRoster?.limit ?? null;
  }

  /** True when `users` holds everyone connected. */
  get usersComplete(): boolean {
    return this.liveRoster?.complete ?? false;
  }

  /** Where `users` starts in the server's list (past 0 only when a large room's cap dropped names). */
  get usersOffset(): number {
    return this.liveRoster?.offset ?? 0;
  }

  private get liveRoster() {
    return this.currentState === 'connected' ? this.session?.roster : undefined;
  }

  /**
   * One page of the user list as the server has it now: `count` names (at most 1,000) from
   * position `offset` (`c2/QUERY active_users; <offset>; <count>`). A page shorter than
   * asked is the last. Not kept: see `loadMoreUsers`.
   */
  usersPage(offset: number, count: number = USERS_PAGE_MAX): Promise<string[]> {
    return this.withSession((s) => s.usersPage(offset, count));
  }

  /** Every connected user, a page at a time (`usersPage`), from the first to join. */
  async *userPages(pageSize: number = USERS_PAGE_MAX): AsyncGenerator<string[], void, undefined> {
    const size = Math.min(pageSize, USERS_PAGE_MAX);
    for (let offset = 0; ; offset += size) {
      const page = await this.usersPage(offset, size);
      if (page.length > 0) yield page;
      if (page.length < size) return;
    }
  }

  /**
   * In a large room: loads the next page of names into `users` (at most `rosterCap` are
   * kept; the oldest loaded go first) and emits `users`. Resolves with `users`. In a room
   * that is not large, `users` is already everyone.
   */
  loadMoreUsers(count: number = USERS_PAGE_MAX): Promise<readonly string[]> {
    return this.withSession((s) => s.loadMoreUsers(count));
  }

  /** Asks `server_info` now and settles the count (and the room's mode) by it. */
  refreshUsers(): Promise<void> {
    return this.withSession((s) => s.refreshRoom());
  }

  /**
   * Opens a connection to `url` (`ws://host:port` or `wss://…`) and joins as `username`.
   * Resolves with the server's name; rejects with a C2Error whose message, when the server
   * refused (`code: 'server'`), is the server's own reason.
   */
  async connect(url: string, username: string): Promise<string> {
    if (
      this.currentState === 'connecting' ||
      this.currentState === 'connected' ||
      this.currentState === 'reconnecting'
    ) {
      throw new C2Error('invalid_state', `already ${this.currentState}; disconnect first`);
    }
    const problem = checkServerUrl(url);
    if (problem !== null) throw new C2Error('invalid_argument', problem);
    const generation = ++this.generation;
    this.serverUrl = url;
    this.name = username;
    this.attempts = 0;
    this.refusals = 0;
    this.seqPosition = null;
    this.setState({ state: 'connecting' });
    try {
      const serverName = await this.open(username, false);
      if (generation === this.generation) this.setState({ state: 'connected', serverName });
      return serverName;
    } catch (err) {
      const error = asC2Error(err);
      if (generation === this.generation) {
        this.session = null;
        this.setState({ state: 'closed', error });
      }
      throw error;
    }
  }

  /** Sends a chat message; resolves with it when the server's echo arrives. */
  send(text: string): Promise<ChatMessage> {
    return this.withSession((s) => s.send(text));
  }

  /**
   * `c2/QUERY <command>[; <arg>…]`. Resolves with the answer: parsed JSON where the answer
   * is a JSON object or array, else the text. Only the last argument may contain `"; "`.
   */
  query<C extends keyof QueryAnswers>(command: C, ...args: string[]): Promise<QueryAnswers[C]>;
  query(command: string, ...args: string[]): Promise<unknown>;
  query(command: string, ...args: string[]): Promise<unknown> {
    if (command === '' || /[;\s]/.test(command)) {
      return Promise.reject(new C2Error('invalid_argument', `"${command}" is not a query command name`));
    }
    if (args.slice(0, -1).some((a) => a.includes('; '))) {
      return Promise.reject(new C2Error('invalid_argument', 'only the last query argument may contain "; "'));
    }
    return this.withSession((s) =>
      s.request({ type: 'QUERY', command, args }, 'ack', `QUERY ${command}`, (m) =>
        m.type === 'ACKNOWLEDGE' ? parseAnswer(m.text) : undefined,
      ),
    );
  }

  /** `c2/UPDATE username; <name>`; our username is the new one once this resolves. */
  async rename(name: string): Promise<void> {
    await this.withSession((s) => s.rename(name));
    this.name = this.username;
  }

  /** `c2/PING <timestamp>`: the round trip and the server's id. */
  ping(): Promise<PingResult> {
    return this.withSession((s) => s.ping());
  }

  /**
   * Leaves: `c2/DISCONNECT`, and resolves once the server has acknowledged it and closed
   * (bounded). Also stops reconnecting. Never rejects.
   */
  async disconnect(): Promise<void> {
    this.generation++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const session = this.session;
    if (session !== null) await session.disconnect();
    if (this.session === session) this.session = null;
    if (this.currentState !== 'closed' && this.currentState !== 'idle') this.setState({ state: 'closed' });
  }

  // ---- sessions -------------------------------------------------------------------------

  /** Runs a request on the live session, or rejects when there is none. */
  private withSession<T>(run: (session: Session) => Promise<T>): Promise<T> {
    const session = this.session;
    if (session === null || this.currentState !== 'connected') {
      return Promise.reject(
        new C2Error(
          'not_connected',
          this.currentState === 'reconnecting' ? 'not connected: reconnecting' : `not connected (${this.currentState})`,
        ),
      );
    }
    return run(session);
  }

  private async open(username: string, reconnect: boolean): Promise<string> {
    const config: SessionConfig = {
      WebSocket: resolveWebSocket(this.options.WebSocket),
      requestTimeoutMs: this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      maxInFlight: this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      userCountRefreshMs: this.options.userCountRefreshMs ?? DEFAULT_USER_COUNT_REFRESH_MS,
      rosterCap: this.options.rosterCap ?? DEFAULT_ROSTER_CAP,
    };
    const session: Session = new Session(
      this.serverUrl,
      username,
      config,
      {
        message: (m) => this.forward(session, 'message', m),
        join: (e) => this.forward(session, 'join', e),
        rename: (e) => this.forward(session, 'rename', e),
        leave: (e) => this.forward(session, 'leave', e),
        users: (u) => this.forward(session, 'users', u),
        userCount: (e) => this.forward(session, 'userCount', e),
        resumed: (e) => this.forward(session, 'resumed', e),
        error: (e) => this.forward(session, 'error', e),
        ended: (end) => this.onEnded(session, end),
      },
      {
        from: reconnect ? this.seqPosition : null,
        reconnect,
        lostAt: this.lostAt,
        restoredBefore: reconnect ? this.restoredCarry : 0,
      },
    );
    this.session = session;
    let serverName: string;
    try {
      serverName = await session.start();
      this.restoredCarry = 0;
    } catch (err) {
      // A resume cut short still moved the position on by the messages it emitted.
      if (this.session === session) {
        this.seqPosition = session.position;
        this.restoredCarry = session.restored;
      }
      throw err;
    }
    if (this.session === session) this.seqPosition = session.position;
    this.lastServerName = serverName;
    this.name = session.username;
    return serverName;
  }

  private forward<E extends keyof C2ClientEvents>(session: Session, event: E, ...args: C2ClientEvents[E]): void {
    if (session === this.session) this.emit(event, ...args);
  }

  private onEnded(session: Session, end: SessionEnd): void {
    if (session !== this.session) return;
    this.session = null;
    this.name = session.username;
    this.seqPosition = session.position;
    this.lostAt = Date.now();
    const willReconnect =
      this.reconnectOptions !== null &&
      this.currentState === 'connected' &&
      !end.intentional &&
      !end.banned &&
      !FINAL_CLOSE_CODES.has(end.code);
    this.emit('close', {
      code: end.code,
      reason: end.reason,
      ...(end.error ? { error: end.error } : {}),
      willReconnect,
    });
    if (willReconnect) this.scheduleReconnect(end.error);
    else if (this.currentState !== 'closed')
      this.setState(end.error ? { state: 'closed', error: end.error } : { state: 'closed' });
  }

  private scheduleReconnect(lastError: C2Error | undefined): void {
    const options = this.reconnectOptions as ResolvedReconnect;
    const attempt = ++this.attempts;
    if (attempt > options.maxAttempts) return this.giveUp(lastError);
    const delayMs = backoffDelay(attempt, options, this.random);
    this.setState({ state: 'reconnecting', attempt, delayMs, ...(lastError ? { error: lastError } : {}) });
    const generation = this.generation;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (generation === this.generation) void this.reconnect(generation);
    }, delayMs);
  }

  private async reconnect(generation: number): Promise<void> {
    try {
      const serverName = await this.open(this.name, true);
      if (generation !== this.generation) return;
      this.attempts = 0;
      this.refusals = 0;
      this.setState({ state: 'connected', serverName, reconnected: true });
    } catch (err) {
      if (generation !== this.generation) return;
      this.session = null;
      const error = asC2Error(err);
      // A refusal is most often our own old connection, not yet noticed gone by the server.
      if (error.code === 'server' && ++this.refusals > (this.reconnectOptions as ResolvedReconnect).maxRefusals) {
        return this.giveUp(error);
      }
      this.scheduleReconnect(error);
    }
  }

  private giveUp(error: C2Error | undefined): void {
    this.setState(error ? { state: 'closed', error } : { state: 'closed' });
  }

  private setState(event: StateEvent): void {
    this.currentState = event.state;
    this.emit('state', event);
  }
}

/** Parsed JSON where the answer is a JSON object or array, else the text itself. */
export function parseAnswer(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === '[' || first === '{') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function asC2Error(err: unknown): C2Error {
  return err instanceof C2Error ? err : new C2Error('closed', (err as Error)?.message ?? String(err), { cause: err });
}
