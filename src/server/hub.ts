import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { ErrorCode } from '../protocol/error-codes.js';
import { parseFrame, splitArgs } from '../protocol/grammar.js';
import { type DisconnectReason, formatServerMessage } from '../protocol/messages.js';
import { normalizeUsername, usernameKey, validateUsername } from '../protocol/rules.js';
import { COMMANDS } from './commands/index.js';
import { msg as msgCommand } from './commands/msg.js';
import { checkRow, type Outcome, type Refusal, refuse } from './commands/rules.js';
import { Connection } from './connection.js';
import { LocalEngine } from './engine/local.js';
import { andThen, type Delivery, type EngineHost, type Maybe, type RoomEngine } from './engine/types.js';
import { encodeTextFrame, encodeTextFrames } from './frame.js';
import type { MessageLog } from './history.js';
import { JoinBatch } from './join-batch.js';
import { ChatStats } from './metrics.js';
import { nameIdentity } from './name-identity.js';
import { OperatorGate } from './operators.js';
import type { ResolvedChatOptions } from './options.js';
import { Room } from './room.js';
import type { ServerStore } from './store.js';

/** WebSocket close codes the server uses (contract §4, §5). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
} as const;

/** A username `conn` may take: as the server holds it (NFC) and its identity key. */
export type NameClaim = { ok: true; username: string; key: string } | Refusal;

/** Requests a connection may have waiting behind one that waits on the cluster (contract §4 ordering). */
const MAX_WAITING_FRAMES = 256;
/**
 * MSGs of one connection on their way to the cluster at once. They need not wait for each
 * other: the engine appends them in the order they were sent, so their copies (the
 * responses) come back in that order; anything else the connection sends waits for them.
 */
const MAX_PIPELINED_MSGS = 64;

/**
 * The chat itself, independent of HTTP: connections, the room, the dispatcher and the
 * operations command handlers call. Every frame is handled in the order it arrived, which
 * is what makes the ordering promise of contract §4 hold: synchronously, or, when a request
 * waits on the cluster (RedisEngine), with that connection's later frames held until it is
 * answered. What must be the same on every node of a server (seats, names, bans, the
 * sequence) is the room engine's (`engine/`); the rules and the sockets are here.
 */
export class ChatHub implements EngineHost {
  /** This node's connected users (the whole server's without a cluster). */
  readonly room = new Room();
  readonly stats = new ChatStats();
  readonly engine: RoomEngine;
  readonly operators: OperatorGate;
  private readonly sockets = new Set<Connection>();
  private readonly joins = new JoinBatch(() => this.writeJoins());
  private readonly serverNameKey: string;
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;
  /** Called whenever the number of connected users changes (the listing registration listens). */
  onUsersChanged: (() => void) | undefined;

  constructor(
    readonly options: ResolvedChatOptions,
    readonly log: Logger,
    store: ServerStore | ((host: EngineHost) => RoomEngine),
    opPassword: string | undefined,
  ) {
    this.engine =
      typeof store === 'function' ? store(this) : new LocalEngine(this, store, options.historySize, options.maxUsers);
    this.operators = new OperatorGate(opPassword, {
      onServerThrottle: ({ failures, addresses, waitMs }) =>
        log.warn(
          { failures, addresses, waitMs },
          `operator password: ${failures} wrong in the last minute from ${addresses} address(es): every op attempt now waits (${waitMs / 1000} s, doubling)`,
        ),
    });
    this.serverNameKey = nameIdentity(normalizeUsername(options.name));
  }

  /** The single process's message log (tests and tools; not on a cluster node). */
  get messages(): MessageLog<Connection> {
    if (!(this.engine instanceof LocalEngine)) throw new Error('messages: a cluster node has no local log');
    return this.engine.messages;
  }

  /** The single process's ban list (not on a cluster node). */
  get bans(): LocalEngine['bans'] {
    if (!(this.engine instanceof LocalEngine)) throw new Error('bans: a cluster node keeps them in Redis');
    return this.engine.bans;
  }

  start(): void {
    this.heartbeat = setInterval(() => this.sweep(), this.options.limits.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Takes over a freshly upgraded WebSocket. */
  attach(ws: WebSocket, remoteAddress: string): Connection {
    const conn = new Connection(ws, remoteAddress, this.options.limits);
    this.sockets.add(conn);
    this.stats.openSockets++;
    this.armRegistrationTimer(conn);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data, isBinary));
    ws.on('pong', () => {
      conn.ponged();
      this.chargeFrame(conn);
    });
    // ws answers pings itself; they count against the frame budget like any frame.
    ws.on('ping', () => this.chargeFrame(conn));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after a protocol error (1009 too big, 1007 bad UTF-8…).
      this.log.debug({ err: err.message, code: err.code, remote: remoteAddress }, 'websocket error');
    });
    ws.on('close', () => this.onClose(conn));
    return conn;
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (!conn.open) return; // frames after DISCONNECT, a ban or a drop are ignored
    this.stats.messagesIn++;
    this.chargeFrame(conn);
    if (isBinary) return this.error(conn, 'binary_frame', 'binary frames are not accepted: send c2 messages as text');
    this.dispatch(conn, (data as Buffer).toString('utf8'));
  }

  /**
   * The dispatcher: finds the command's row, has `checkRow` enforce its declared rules
   * (the one place they are enforced, for queries too), then calls its handler.
   */
  dispatch(conn: Connection, data: string): void {
    if (conn.waiting !== null) {
      this.hold(conn, data);
      return;
    }
    const parsed = parseFrame(data);
    const command = parsed.ok ? COMMANDS.get(parsed.frame.type) : undefined;
    // Behind this connection's MSGs still on their way to the cluster, only another MSG goes
    // on at once (its response, its copy, comes after theirs); anything else waits for them.
    if (conn.pipelined > 0 && (command !== msgCommand || conn.pipelined >= MAX_PIPELINED_MSGS)) {
      conn.waiting = [data];
      return;
    }
    if (!parsed.ok) return this.error(conn, 'malformed', parsed.reason);
    const { type, content } = parsed.frame;
    if (!command) return this.error(conn, 'unknown_type', `unknown message type "${type}"`);
    // Every request but MSG answers after the messages before it are committed and sent
    // (server_info's lastSeq and history then count them; see settle).
    if (command !== msgCommand) this.settle();
    const args = splitArgs(content, command.arity);
    const refusal = checkRow(command, conn, args.length, this.options.limits);
    if (refusal) return this.answerInTurn(conn, () => this.refuse(conn, refusal));
    const outcome = command.handle(this, conn, args);
    if (outcome instanceof Promise) {
      if (command === msgCommand) return this.pipeline(conn, outcome);
      return this.wait(conn, outcome, command.rateLimited);
    }
    if (outcome === undefined) return;
    if (command.rateLimited) conn.bucket.refund();
    this.answerInTurn(conn, () => this.refuse(conn, outcome));
  }

  /** A frame held behind a request that waits on the cluster. */
  private hold(conn: Connection, data: string): void {
    const waiting = conn.waiting as (string | (() => void))[];
    if (waiting.length >= MAX_WAITING_FRAMES) {
      conn.state = 'closed';
      conn.ws.close(CloseCode.policy, 'too many requests waiting');
      return;
    }
    waiting.push(data);
  }

  /**
   * A refusal of a MSG sent while earlier MSGs of the connection are on their way to the
   * cluster: written after their responses (contract §4), so it waits with the held frames.
   */
  private answerInTurn(conn: Connection, answer: () => void): void {
    if (conn.pipelined === 0) return answer();
    conn.waiting = [answer];
  }

  /**
   * A MSG on its way to the cluster: the connection's next MSG may follow at once (up to
   * MAX_PIPELINED_MSGS); its other requests wait until every one of them is answered.
   */
  private pipeline(conn: Connection, pending: Promise<Refusal | undefined>): void {
    conn.pipelined++;
    const done = (outcome: Refusal | undefined): void => {
      conn.pipelined--;
      if (outcome !== undefined && conn.open) {
        conn.bucket.refund();
        this.refuse(conn, outcome);
      }
      if (conn.pipelined === 0) this.release(conn);
    };
    pending.then(done, (err: unknown) => {
      this.log.error({ err }, 'request failed');
      done({ ok: false, code: 'unavailable', text: 'the server could not complete this request: try again' });
    });
  }

  /** Handles, in order, what was held while requests of the connection waited on the cluster. */
  private release(conn: Connection): void {
    const held = conn.waiting ?? [];
    conn.waiting = null;
    for (let i = 0; i < held.length; i++) {
      if (!conn.open) return;
      if (conn.waiting !== null) {
        (conn.waiting as (string | (() => void))[]).push(...held.slice(i));
        return;
      }
      const next = held[i] as string | (() => void);
      if (typeof next === 'function') next();
      else this.dispatch(conn, next);
    }
  }

  /**
   * A request that waits on the cluster: the connection's later frames are held (in order)
   * until it is answered, so responses still leave in the order of the requests.
   */
  private wait(conn: Connection, pending: Promise<Refusal | undefined>, rateLimited: boolean): void {
    conn.waiting = [];
    const done = (outcome: Refusal | undefined): void => {
      if (outcome !== undefined && conn.open) {
        if (rateLimited) conn.bucket.refund();
        this.refuse(conn, outcome);
      }
      this.release(conn);
    };
    pending.then(done, (err: unknown) => {
      this.log.error({ err }, 'request failed');
      done({ ok: false, code: 'unavailable', text: 'the server could not complete this request: try again' });
    });
  }

  /**
   * The frame budget. A frame past it is still handled (it has been read, and the ordering
   * promise holds), but reading from the socket pauses until the budget has recovered:
   * a fast sender is slowed by TCP backpressure, not refused, and cannot keep the event
   * loop to itself. A peer paused past the heartbeat cannot answer it and is dropped.
   */
  private chargeFrame(conn: Connection): void {
    if (conn.chargeFrame()) this.stats.throttled++;
  }

  // ---- replies -------------------------------------------------------------------------

  /** `c2/ERROR [<code>] <reason>`: the stable machine code first (PROTOCOL.md lists them), then the text. */
  error(conn: Connection, code: ErrorCode, reason: string): void {
    this.stats.countError(code);
    this.sendTo(conn, formatServerMessage({ type: 'ERROR', code, reason }));
  }

  refuse(conn: Connection, refusal: Refusal): void {
    this.error(conn, refusal.code, refusal.text);
  }

  /** A handler's outcome: `c2/ACKNOWLEDGE <text>` or `c2/ERROR <reason>`. */
  reply(conn: Connection, outcome: Outcome): void {
    if (outcome.ok) this.acknowledge(conn, outcome.text);
    else this.refuse(conn, outcome);
  }

  acknowledge(conn: Connection, text = ''): void {
    this.sendTo(conn, formatServerMessage({ type: 'ACKNOWLEDGE', text }));
  }

  pong(conn: Connection, timestamp: string | undefined): void {
    if (conn.state === 'unregistered') this.armRegistrationTimer(conn);
    const serverId = String(this.options.id);
    this.sendTo(
      conn,
      formatServerMessage(timestamp === undefined ? { type: 'PING', serverId } : { type: 'PING', timestamp, serverId }),
    );
  }

  private sendTo(conn: Connection, text: string): void {
    this.engine.settle();
    if (this.joins.pendingFor(conn)) this.joins.flush();
    this.stats.messagesOut++;
    if (!conn.send(text)) this.dropSlow([conn]);
  }

  /** Encodes once and writes to every connected user (but `except`). */
  broadcast(text: string, except?: Connection): void {
    this.engine.settle();
    this.joins.flush();
    const { sent, slow } = this.room.broadcast(text, except);
    this.stats.broadcasts++;
    this.stats.messagesOut += sent;
    if (slow) this.dropSlow(slow);
  }

  /** Writes the queued join announcements: one write per member for the whole batch. Returns the writes. */
  private writeJoins(): number {
    const batch = this.joins.take();
    if (!batch) return 0;
    let slow: Connection[] | null = null;
    let writes = 0;
    for (const member of this.room) {
      const part = batch.partFor(member);
      if (part === null) continue;
      writes++;
      this.stats.messagesOut += batch.count;
      if (member.write(part)) continue;
      if (slow === null) slow = [];
      slow.push(member);
    }
    this.stats.broadcasts += batch.count;
    if (slow) this.dropSlow(slow);
    return writes;
  }

  // ---- operations the handlers call ----------------------------------------------------

  /**
   * Whether `conn` may take `raw` as its username, to join (CONNECT) or to rename (UPDATE):
   * a valid name that is not the server's own, then (the engine, cluster-wide) a free seat
   * when joining, a name that is not banned, and one nobody holds (the connection's own
   * excepted). Checked in that order. On success the seat or name is the connection's.
   */
  claimName(conn: Connection, raw: string): Maybe<NameClaim> {
    const username = normalizeUsername(raw);
    const problem = validateUsername(username, this.options.limits.usernameMaxLength);
    if (problem) return refuse('bad_username', problem);
    const key = nameIdentity(username);
    if (key === this.serverNameKey) {
      return refuse(
        'name_reserved',
        `username "${username}" is reserved: it is the server's name, used for its announcements`,
      );
    }
    return andThen(this.engine.seat(conn, username, key, conn.state !== 'connected'), (seat): NameClaim => {
      if (seat.ok) return { ok: true, username, key };
      if (seat.why === 'full') return refuse('server_full', `server is full (${this.options.maxUsers} users)`);
      if (seat.why === 'banned') return refuse('banned', `username "${username}" is banned from this server`);
      const taken = `username "${username}" is already taken`;
      // A look-alike rather than the same name in another case: say whose name it imitates.
      return refuse(
        'name_taken',
        usernameKey(username) === usernameKey(seat.holder) ? taken : `${taken}: it looks like "${seat.holder}"`,
      );
    });
  }

  join(conn: Connection, username: string, key: string): void {
    if (!conn.open) {
      // Gone while its seat was being taken: give it back.
      conn.username = username;
      conn.nameKey = key;
      this.engine.left(conn, 'lost_connection');
      return;
    }
    // A user receives the messages of the sequence from its join on: none committed before it.
    this.settle();
    conn.stopRegistration();
    conn.state = 'connected';
    conn.username = username;
    conn.nameKey = key;
    this.room.add(conn);
    this.usersChanged();
    // Queued before the ACKNOWLEDGE, so the joiner is placed after its own announcement.
    if (this.announces()) this.joins.add(encodeTextFrame(formatServerMessage({ type: 'CONNECT', username })), conn);
    else this.joins.skip(conn);
    this.engine.joined(conn);
    this.acknowledge(conn, this.options.name);
    this.log.info({ user: username, remote: conn.remoteAddress }, 'user connected');
  }

  /**
   * A chat message: the next message of the sequence, sent to everyone, its sender included,
   * once durable (the local engine: at the end of this turn of the event loop or before
   * anything else is written; a cluster node: once Redis has it and this node reads it back).
   */
  say(sender: Connection, text: string): Maybe<void> {
    return this.engine.append(sender.username, text, sender);
  }

  /**
   * A message from the server itself (the operator console's /say), under the server's
   * name, committed and sent at once. Null when it was sent, else why not.
   */
  announce(text: string): Maybe<string | null> {
    const failed = 'the message could not be stored, so it was not sent (see the log)';
    const appended = this.engine.append(this.options.name, text, null);
    if (appended instanceof Promise)
      return appended.then(
        () => null,
        () => failed,
      );
    return this.engine.settle() ? null : failed;
  }

  /**
   * Commits what the sequence has pending before anything else is written or answered, so
   * every frame leaves in the order its cause happened and a reply (server_info's lastSeq,
   * a history) sees every message before it.
   */
  settle(): void {
    this.engine.settle();
  }

  /** EngineHost: messages of the sequence, in seq order, as one buffer, one write per member. */
  deliver(batch: readonly Delivery[]): void {
    this.joins.flush();
    const frames = encodeTextFrames(batch, (p) =>
      formatServerMessage({ type: 'MSG', username: p.message.username, text: p.message.text }),
    );
    const { sent, slow } = this.room.writeAll(frames);
    this.stats.broadcasts += batch.length;
    this.stats.messagesOut += sent * batch.length;
    if (slow) this.dropSlow(slow);
  }

  /** EngineHost: a message that could not be stored. */
  unstored(sender: Connection): void {
    if (sender.open) this.error(sender, 'unavailable', 'the server could not store your message: it was not sent');
  }

  /** EngineHost: another node's notice (a join or leave only while the cluster is within the announce limit). */
  notice(text: string, counted?: number): void {
    if (counted !== undefined && counted > this.options.announceLimit) return;
    this.broadcast(text);
  }

  /**
   * Bans a username (case-insensitive, kept across restarts). A connected holder of the name
   * is announced to everyone, themself included, then closed with 1008 (`banned`).
   */
  ban(rawName: string, message: string, by?: Connection): Maybe<Outcome> {
    const username = normalizeUsername(rawName);
    const problem = validateUsername(username, this.options.limits.usernameMaxLength);
    if (problem) return { ok: false, code: 'bad_username', text: problem };
    const key = nameIdentity(username);
    // The holder's address when it is on this node (the clients' own: X-Forwarded-For behind a trusted proxy).
    const remote = this.room.get(key)?.remoteAddress;
    return andThen(this.engine.ban(key, username, message), (held): Outcome => {
      this.log.info(
        {
          user: username,
          message,
          remote,
          by: by === undefined ? 'console' : { user: by.username, remote: by.remoteAddress },
        },
        'username banned',
      );
      return { ok: true, text: `banned "${username}"${held ? ' and disconnected them' : ''}` };
    });
  }

  /** EngineHost: the ban of a connected user, told to everyone; its holder, when here, is closed. */
  banned(username: string, message: string, holder: Connection | undefined): void {
    this.broadcast(formatServerMessage({ type: 'DISCONNECT', reason: 'ban', username, message }));
    if (!holder?.open) return;
    holder.state = 'closed';
    holder.stopRegistration();
    this.room.remove(holder);
    this.usersChanged();
    holder.ws.close(CloseCode.policy, 'banned');
  }

  /** EngineHost: users whose seats the cluster has taken back; their clients reconnect. */
  evicted(conns: readonly Connection[]): void {
    for (const conn of conns) {
      if (!conn.open) continue;
      conn.ws.terminate();
      this.leave(conn, 'lost_connection');
    }
  }

  unban(rawName: string): Maybe<Outcome> {
    const username = normalizeUsername(rawName);
    return andThen(this.engine.unban(nameIdentity(username)), (removed): Outcome => {
      if (!removed) return { ok: false, code: 'not_banned', text: `"${username}" is not banned` };
      this.log.info({ user: username }, 'username unbanned');
      return { ok: true, text: `unbanned "${username}"` };
    });
  }

  /** The UPDATE's ACKNOWLEDGE carries the name as stored (NFC), then everyone is told. */
  rename(conn: Connection, username: string, key: string): void {
    const old = conn.username;
    this.acknowledge(conn, username);
    if (old === username) return;
    const oldKey = conn.nameKey;
    conn.username = username;
    conn.nameKey = key;
    this.room.rekey(conn, oldKey);
    this.broadcast(formatServerMessage({ type: 'UPDATE', username: old, property: 'username', value: username }));
    this.engine.renamed(conn, old, oldKey);
    this.log.info({ from: old, to: username }, 'user renamed');
  }

  /**
   * Whether joins and leaves are announced now: not while more than `--announce-limit`
   * users are connected (counting the one joining or leaving). Renames and bans always are.
   */
  private announces(): boolean {
    return this.engine.users <= this.options.announceLimit;
  }

  private usersChanged(): void {
    this.stats.connectedUsers = this.room.size;
    this.onUsersChanged?.();
  }

  /**
   * Removes a connected user and tells everyone still connected why. `disconnect` closes
   * the socket with 1000; `lost_connection` is for sockets already gone or being dropped.
   */
  leave(conn: Connection, reason: Exclude<DisconnectReason, 'ban'>, closeCode: number = CloseCode.normal): void {
    const wasConnected = conn.state === 'connected';
    conn.state = 'closed';
    conn.stopRegistration();
    if (wasConnected && this.room.includes(conn)) {
      // Counted with the one leaving, as a join is counted with the one joining.
      const announced = this.announces();
      this.room.remove(conn);
      this.usersChanged();
      if (announced) this.broadcast(formatServerMessage({ type: 'DISCONNECT', reason, username: conn.username }));
      this.engine.left(conn, reason);
      this.log.info({ user: conn.username, reason }, 'user left');
    }
    if (reason === 'disconnect') conn.ws.close(closeCode);
  }

  private dropSlow(conns: Connection[]): void {
    for (const conn of conns) {
      if (!conn.open) continue;
      this.stats.slowConsumersDropped++;
      this.log.warn({ user: conn.username || undefined, remote: conn.remoteAddress }, 'dropping slow consumer');
      conn.ws.terminate();
      this.leave(conn, 'lost_connection');
    }
  }

  private onClose(conn: Connection): void {
    conn.disposeTimers();
    this.sockets.delete(conn);
    this.stats.openSockets--;
    if (conn.open) this.leave(conn, 'lost_connection');
  }

  private armRegistrationTimer(conn: Connection): void {
    conn.armRegistration(this.options.limits.registrationTimeoutMs, () => {
      conn.state = 'closed';
      conn.ws.close(CloseCode.policy, 'no c2/CONNECT in time');
    });
  }

  /** The WebSocket heartbeat: a peer that has not answered the previous ping is gone. */
  private sweep(): void {
    for (const conn of this.sockets) {
      if (conn.heartbeat()) continue;
      this.log.info({ user: conn.username || undefined, remote: conn.remoteAddress }, 'heartbeat missed');
      conn.ws.terminate();
      if (conn.open) this.leave(conn, 'lost_connection');
    }
  }

  /** Shutdown: every socket closed with 1001, no departure broadcasts. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.heartbeat);
    this.settle();
    this.joins.flush();
    for (const conn of this.sockets) {
      conn.stopRegistration();
      conn.state = 'closed';
      conn.ws.close(CloseCode.goingAway, 'server shutting down');
    }
  }

  /** The end of the shutdown grace period: sockets that did not finish the close handshake. */
  terminateAll(): void {
    for (const conn of this.sockets) conn.ws.terminate();
  }

  /** Connections still open (for shutdown to wait on). */
  get openSockets(): number {
    return this.sockets.size;
  }
}
