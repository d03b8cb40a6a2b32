import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { parseFrame, splitArgs } from '../protocol/grammar.js';
import { type DisconnectReason, formatServerMessage } from '../protocol/messages.js';
import { normalizeUsername, usernameKey, validateUsername } from '../protocol/rules.js';
import { BanList } from './bans.js';
import { COMMANDS } from './commands/index.js';
import { checkRow, type Outcome, type Refusal, refuse } from './commands/rules.js';
import { Connection } from './connection.js';
import { encodeTextFrame } from './frame.js';
import { History } from './history.js';
import { JoinBatch } from './join-batch.js';
import { ChatStats } from './metrics.js';
import { nameIdentity } from './name-identity.js';
import { OperatorGate } from './operators.js';
import { HISTORY_QUERY_MAX, type ResolvedChatOptions } from './options.js';
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

/**
 * The chat itself, independent of HTTP: connections, the room, the dispatcher and the
 * operations command handlers call. Every frame is handled synchronously, in the order
 * it arrived, which is what makes the ordering promise of contract §4 hold.
 */
export class ChatHub {
  readonly room = new Room();
  readonly stats = new ChatStats();
  readonly bans: BanList;
  readonly history: History;
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
    store: ServerStore,
    opPassword: string | undefined,
  ) {
    this.bans = new BanList(store);
    this.history = new History(store, HISTORY_QUERY_MAX, options.historySize, (err) =>
      log.error({ err }, 'could not write message history'),
    );
    this.operators = new OperatorGate(opPassword);
    this.serverNameKey = nameIdentity(normalizeUsername(options.name));
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
    const parsed = parseFrame(data);
    if (!parsed.ok) return this.error(conn, 'malformed', parsed.reason);
    const { type, content } = parsed.frame;
    const command = COMMANDS.get(type);
    if (!command) return this.error(conn, 'unknown_type', `unknown message type "${type}"`);
    const args = splitArgs(content, command.arity);
    const refusal = checkRow(command, conn, args.length, this.options.limits);
    if (refusal) return this.refuse(conn, refusal);
    command.handle(this, conn, args);
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

  error(conn: Connection, code: string, reason: string): void {
    this.stats.countError(code);
    this.sendTo(conn, formatServerMessage({ type: 'ERROR', reason }));
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
    if (this.joins.pendingFor(conn)) this.joins.flush();
    this.stats.messagesOut++;
    if (!conn.send(text)) this.dropSlow([conn]);
  }

  /** Encodes once and writes to every connected user (but `except`). */
  broadcast(text: string, except?: Connection): void {
    this.joins.flush();
    const { sent, slow } = this.room.broadcast(text, except);
    this.stats.broadcasts++;
    this.stats.messagesOut += sent;
    if (slow) this.dropSlow(slow);
  }

  /** Writes the queued join announcements: one write per member for the whole batch. */
  private writeJoins(): void {
    const batch = this.joins.take();
    if (!batch) return;
    let slow: Connection[] | null = null;
    for (const member of this.room) {
      const part = batch.partFor(member);
      if (part === null) continue;
      this.stats.messagesOut += batch.count;
      if (member.write(part)) continue;
      if (slow === null) slow = [];
      slow.push(member);
    }
    this.stats.broadcasts += batch.count;
    if (slow) this.dropSlow(slow);
  }

  // ---- operations the handlers call ----------------------------------------------------

  /**
   * Whether `conn` may take `raw` as its username, to join (CONNECT) or to rename (UPDATE):
   * a valid name, a free seat when joining, and a name nobody holds (the connection's own
   * excepted), that is not banned nor the server's own. Checked in that order.
   */
  claimName(conn: Connection, raw: string): NameClaim {
    const username = normalizeUsername(raw);
    const problem = validateUsername(username, this.options.limits.usernameMaxLength);
    if (problem) return refuse('bad_username', problem);
    if (conn.state !== 'connected' && this.room.size >= this.options.maxUsers) {
      return refuse('server_full', `server is full (${this.options.maxUsers} users)`);
    }
    const key = nameIdentity(username);
    if (this.bans.has(key)) return refuse('banned', `username "${username}" is banned from this server`);
    if (key === this.serverNameKey) {
      return refuse(
        'name_reserved',
        `username "${username}" is reserved: it is the server's name, used for its announcements`,
      );
    }
    const holder = this.room.get(key);
    if (holder && holder !== conn) {
      const taken = `username "${username}" is already taken`;
      // A look-alike rather than the same name in another case: say whose name it imitates.
      return refuse(
        'name_taken',
        usernameKey(username) === usernameKey(holder.username) ? taken : `${taken}: it looks like "${holder.username}"`,
      );
    }
    return { ok: true, username, key };
  }

  join(conn: Connection, username: string, key: string): void {
    conn.stopRegistration();
    conn.state = 'connected';
    conn.username = username;
    conn.nameKey = key;
    this.room.add(conn);
    this.usersChanged();
    // Queued before the ACKNOWLEDGE, so the joiner is placed after its own announcement.
    this.joins.add(encodeTextFrame(formatServerMessage({ type: 'CONNECT', username })), conn);
    this.acknowledge(conn, this.options.name);
    this.log.info({ user: username, remote: conn.remoteAddress }, 'user connected');
  }

  /** Broadcasts a chat message and records it in the history. */
  say(username: string, text: string): void {
    this.broadcast(formatServerMessage({ type: 'MSG', username, text }));
    this.history.record(username, text, Date.now());
  }

  /** A message from the server itself (the operator console's /say), under the server's name. */
  announce(text: string): void {
    this.say(this.options.name, text);
  }

  /**
   * Bans a username (case-insensitive, kept across restarts). A connected holder of the name
   * is announced to everyone, themself included, then closed with 1008.
   */
  ban(rawName: string, message: string): Outcome {
    const username = normalizeUsername(rawName);
    const problem = validateUsername(username, this.options.limits.usernameMaxLength);
    if (problem) return { ok: false, code: 'bad_username', text: problem };
    const key = nameIdentity(username);
    this.bans.add(key, username, message);
    this.log.info({ user: username, message }, 'username banned');
    const holder = this.room.get(key);
    if (holder) {
      this.broadcast(formatServerMessage({ type: 'DISCONNECT', reason: 'ban', username: holder.username, message }));
      holder.state = 'closed';
      this.room.remove(holder);
      this.usersChanged();
      holder.ws.close(CloseCode.policy, 'banned');
    }
    return { ok: true, text: `banned "${username}"${holder ? ' and disconnected them' : ''}` };
  }

  unban(rawName: string): Outcome {
    const username = normalizeUsername(rawName);
    if (!this.bans.remove(nameIdentity(username))) {
      return { ok: false, code: 'not_banned', text: `"${username}" is not banned` };
    }
    this.log.info({ user: username }, 'username unbanned');
    return { ok: true, text: `unbanned "${username}"` };
  }

  rename(conn: Connection, username: string, key: string): void {
    const old = conn.username;
    this.acknowledge(conn);
    if (old === username) return;
    const oldKey = conn.nameKey;
    conn.username = username;
    conn.nameKey = key;
    this.room.rekey(conn, oldKey);
    this.broadcast(formatServerMessage({ type: 'UPDATE', username: old, property: 'username', value: username }));
    this.log.info({ from: old, to: username }, 'user renamed');
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
    if (wasConnected && this.room.remove(conn)) {
      this.usersChanged();
      this.broadcast(formatServerMessage({ type: 'DISCONNECT', reason, username: conn.username }));
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
    this.history.flush();
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
