import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { encodeTextFrame } from './frame.js';
import type { ChatLimits } from './options.js';
import { TokenBucket } from './token-bucket.js';

export type ConnectionState = 'unregistered' | 'connected' | 'closed';

/** Sockets corked during this tick; uncorked together once the tick's work is done. */
const corked: Connection[] = [];
let nextLocalId = 1;
let flushScheduled = false;

function flushCorked(): void {
  flushScheduled = false;
  for (let i = 0; i < corked.length; i++) corked[i]?.uncork();
  corked.length = 0;
}

/**
 * The `net.Socket` under a `ws` WebSocket. `ws` keeps it in the private field `_socket`
 * (ws 8, pinned to the minor version in package.json); we write pre-built frames to it
 * directly. This is safe because permessage-deflate is off, so ws never queues frames of
 * its own that ours could overtake. Checked here, where it is attached, so that a `ws`
 * that stops exposing it fails loudly at the first connection rather than on a write.
 */
function socketOf(ws: WebSocket): Socket {
  const socket = (ws as unknown as { _socket?: Partial<Socket> })._socket;
  if (
    socket === undefined ||
    typeof socket.write !== 'function' ||
    typeof socket.cork !== 'function' ||
    typeof socket.uncork !== 'function'
  ) {
    throw new Error(
      'ws no longer exposes its net.Socket as `_socket`: the chat server writes pre-built frames to it ' +
        '(src/server/connection.ts); use the ws version pinned in package.json',
    );
  }
  return socket as Socket;
}

/**
 * One WebSocket peer and its c2 state: its timers (registration, heartbeat, read
 * throttle), its flood bucket and frame budget, and its writes. Writes go straight to the
 * TCP socket as pre-built frames (see frame.ts): every frame written in one tick of the
 * event loop leaves in one `writev` per socket.
 */
export class Connection {
  state: ConnectionState = 'unregistered';
  /** The NFC username, once connected. */
  username = '';
  /** The username's identity key (nameIdentity), once connected. */
  nameKey = '';
  /** This connection on this node (a cluster's notices name a user's node and connection). */
  readonly localId = nextLocalId++;
  /**
   * Frames held while a request of this connection waits on the cluster (contract §4
   * ordering: they are handled, in order, once it is answered), and refusals to write in
   * their turn; null when none waits.
   */
  waiting: (string | (() => void))[] | null = null;
  /** This connection's MSGs on their way to the cluster (their copies not yet written). */
  pipelined = 0;
  /** The flood bucket: MSG and UPDATE (commands that broadcast). */
  readonly bucket: TokenBucket;
  private isOperator = false;
  /** The frame budget: every frame the peer sends, of any kind. */
  private readonly frameBudget: TokenBucket;
  /** Set while reading is paused because the peer is over its frame budget. */
  private throttleTimer: NodeJS.Timeout | undefined;
  private registrationTimer: NodeJS.Timeout | undefined;
  /** Set when a WebSocket ping is outstanding; cleared by the pong. */
  private awaitingPong = false;
  private readonly socket: Socket;
  private readonly maxBacklog: number;
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    limits: Pick<
      ChatLimits,
      'floodRatePerSecond' | 'floodBurst' | 'frameRatePerSecond' | 'frameBurst' | 'slowConsumerBytes'
    >,
  ) {
    this.socket = socketOf(ws);
    this.maxBacklog = limits.slowConsumerBytes;
    this.bucket = new TokenBucket(limits.floodRatePerSecond, limits.floodBurst);
    this.frameBudget = new TokenBucket(limits.frameRatePerSecond, limits.frameBurst);
  }

  get open(): boolean {
    return this.state !== 'closed';
  }

  get operator(): boolean {
    return this.isOperator;
  }

  /** The operator password was given (`c2/QUERY op`). */
  grantOperator(): void {
    this.isOperator = true;
  }

  // ---- timers ----------------------------------------------------------------------------

  /** (Re)starts the clock within which the peer must CONNECT; `expired` runs if it has not. */
  armRegistration(timeoutMs: number, expired: () => void): void {
    clearTimeout(this.registrationTimer);
    this.registrationTimer = setTimeout(() => {
      if (this.state === 'unregistered') expired();
    }, timeoutMs);
    this.registrationTimer.unref();
  }

  /** The peer has connected, or is going away: no registration clock any more. */
  stopRegistration(): void {
    clearTimeout(this.registrationTimer);
  }

  /**
   * One beat of the WebSocket heartbeat: false when the previous ping went unanswered (the
   * peer is gone), else a new ping is sent.
   */
  heartbeat(): boolean {
    if (this.awaitingPong) return false;
    this.awaitingPong = true;
    this.ws.ping();
    return true;
  }

  /** A pong arrived. */
  ponged(): void {
    this.awaitingPong = false;
  }

  /**
   * Charges one frame to the frame budget. Past it, reading from the socket pauses until
   * the budget has recovered (a fast sender is slowed by TCP backpressure, not refused).
   * True when this frame paused reading.
   */
  chargeFrame(): boolean {
    const wait = this.frameBudget.spend();
    if (wait === 0 || this.throttleTimer !== undefined) return false;
    this.ws.pause();
    this.resumeAfter(wait);
    return true;
  }

  private resumeAfter(wait: number): void {
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = undefined;
      const more = this.frameBudget.wait();
      if (more > 0) this.resumeAfter(more);
      else this.ws.resume();
    }, Math.ceil(wait));
  }

  /** The socket has closed: its timers stop. */
  disposeTimers(): void {
    clearTimeout(this.registrationTimer);
    clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
  }

  // ---- writes ----------------------------------------------------------------------------

  /**
   * Writes one pre-built frame. Returns false when the peer's unsent backlog has passed
   * the limit: the caller must then drop the connection as a slow consumer.
   */
  write(frame: Buffer): boolean {
    const socket = this.socket;
    // Closing (its close frame sent or its end read: the socket has ended) or gone: nothing
    // more reaches it. Writing anyway would cost an Error ("write after end") and a tick each.
    if (!socket.writable) return true;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      corked.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushCorked);
      }
    }
    socket.write(frame);
    return socket.writableLength <= this.maxBacklog;
  }

  /** Sends what this tick wrote (called once per tick by the flush). */
  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /** Encodes and writes a message for this connection alone. */
  send(text: string): boolean {
    return this.write(encodeTextFrame(text));
  }
}
