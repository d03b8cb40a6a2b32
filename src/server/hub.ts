import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { ErrorCode } from '../protocol/error-codes.js';
import { parseFrame, splitArgs } from '../protocol/grammar.js';
import { type DisconnectReason, formatServerMessage } from '../protocol/messages.js';
import { normalizeUsername, usernameKey, validateUsername } from '../protocol/rules.js';
import { BanList } from './bans.js';
import { COMMANDS } from './commands/index.js';
import { msg as msgCommand } from './commands/msg.js';
import { checkRow, type Outcome, type Refusal, refuse } from './commands/rules.js';
import { Connection } from './connection.js';
import { encodeTextFrame, encodeTextFrames } from './frame.js';
import { MessageLog } from './history.js';
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

/**
 * The chat itself, independent of HTTP: connections, the room, the dispatcher and the
 * operations command handlers call. Every frame is handled synchronously, in the order
 * it arrived, which is what makes the ordering promise of contract §4 hold.
 */
export class ChatHub {
  readonly room = new Room();
  readonly stats = new ChatStats();
  readonly bans: BanList;
  /** The message sequence and its history (contract §10), committed a group at a time. */
  readonly messages: MessageLog<Connection>;
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
    this.messages = new MessageLog<Connection>(store, options.historySize, () => this.flushMessages());
    this.operators = new OperatorGate(opPassword, {
      onServerThrottle: ({ failures, addresses, waitMs }) =>
        log.warn(
          { failures, addresses, waitMs },
          `operator password: ${failures} wrong in the last minute from ${addresses} address(es): every op attempt now waits (${waitMs / 1000} s, doubling)`,
        ),
    });
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
    // Every request but MSG answers after the messages before it are committed and sent
    // (server_info's lastSeq and history then count them; see settle).
    if (command !== msgCommand) this.settle();
    const args = splitArgs(content, command.arity);
    const refusal = checkRow(command, conn, args.length, this.options.limits);
    if (refusal) return this.refuse(conn, refusal);
    const outcome = command.handle(this, conn, args);
    if (outcome === undefined) return;
    if (command.rateLimited) conn.bucket.refund();
    this.refuse(conn, outcome);
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
    this.settle();
    if (this.joins.pendingFor(conn)) this.joins.flush();
    this.stats.messagesOut++;
    if (!conn.send(text)) this.dropSlow([conn]);
  }

  /** Encodes once and writes to every connected user (but `except`). */
  broadcast(text: string, except?: Connection): void {
    this.settle();
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
    this.acknowledge(conn, this.options.name);
    this.log.info({ user: username, remote: conn.remoteAddress }, 'user connected');
  }

  /**
   * A chat message: it takes the next seq of the sequence at once and is sent to everyone,
   * its sender included, once its group is durable (flushMessages, at the end of this turn
   * of the event loop or before anything else is written).
   */
  say(sender: Connection, text: string): void {
    this.messages.append(sender.username, text, Date.now(), sender);
  }

  /**
   * A message from the server itself (the operator console's /say), under the server's
   * name, committed and sent at once. Null when it was sent, else why not.
   */
  announce(text: string): string | null {
    this.messages.append(this.options.name, text, Date.now(), null);
    return this.flushMessages() ? null : 'the message could not be stored, so it was not sent (see the log)';
  }

  /**
   * Commits what the sequence has pending before anything else is written or answered, so
   * every frame leaves in the order its cause happened and a reply (server_info's lastSeq,
   * a history) sees every message before it.
   */
  settle(): void {
    if (this.messages.hasPending) this.flushMessages();
  }

  /**
   * Group commit: this turn's messages are written to the store in one transaction, then
   * sent as one buffer, one write per member. When the write fails none of them is sent and
   * each sender gets `[unavailable]`: a message is either durable and delivered, or refused.
   * Returns false when the write failed.
   */
  private flushMessages(): boolean {
    const commit = this.messages.commit();
    const { batch } = commit;
    if (batch.length === 0) return true;
    if (!commit.ok) {
      this.log.error({ err: commit.error, messages: batch.length }, 'could not store messages: they were not sent');
      for (const { sender } of batch) {
        if (sender?.open) this.error(sender, 'unavailable', 'the server could not store your message: it was not sent');
      }
      return false;
    }
    this.joins.flush();
    const frames = encodeTextFrames(batch, (p) =>
      formatServerMessage({ type: 'MSG', username: p.message.username, text: p.message.text }),
    );
    const { sent, slow } = this.room.writeAll(frames);
    this.stats.broadcasts += batch.length;
    this.stats.messagesOut += sent * batch.length;
    if (slow) this.dropSlow(slow);
    return true;
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
    this.log.info({ from: old, to: username }, 'user renamed');
  }

  /**
   * Whether joins and leaves are announced now: not while more than `--announce-limit`
   * users are connected (counting the one joining or leaving). Renames and bans always are.
   */
  private announces(): boolean {
    return this.room.size <= this.options.announceLimit;
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
