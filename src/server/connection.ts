import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { encodeTextFrame } from './frame.js';
import { TokenBucket } from './token-bucket.js';

export type ConnectionState = 'unregistered' | 'connected' | 'closed';

/** Sockets corked during this tick; uncorked together once the tick's work is done. */
const corked: Connection[] = [];
let flushScheduled = false;

function flushCorked(): void {
  flushScheduled = false;
  for (let i = 0; i < corked.length; i++) corked[i]?.uncork();
  corked.length = 0;
}

/**
 * One WebSocket peer and its c2 state. Writes go straight to the TCP socket as
 * pre-built frames (see frame.ts): every frame written in one tick of the event loop
 * leaves in one `writev` per socket.
 */
export class Connection {
  state: ConnectionState = 'unregistered';
  /** The NFC username, once connected. */
  username = '';
  /** The username's identity key (nameIdentity), once connected. */
  nameKey = '';
  operator = false;
  /** Where this user's own join sits in the join batch it joined in (see join-batch.ts). */
  joinBatch = 0;
  joinOffset = 0;
  /** Set when a WebSocket ping is outstanding; cleared by the pong. */
  awaitingPong = false;
  registrationTimer: NodeJS.Timeout | undefined;
  /** The flood bucket: MSG and UPDATE (commands that broadcast). */
  readonly bucket: TokenBucket;
  /** The frame budget: every frame the peer sends, of any kind. */
  readonly frameBudget: TokenBucket;
  /** Set while reading is paused because the peer is over its frame budget. */
  throttleTimer: NodeJS.Timeout | undefined;
  private readonly socket: Socket;
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    floodRate: number,
    floodBurst: number,
    private readonly maxBacklog: number,
    frameRate: number,
    frameBurst: number,
  ) {
    // ws keeps the net.Socket in a private field; we write pre-framed bytes to it
    // directly. This is safe because permessage-deflate is off, so ws never queues
    // frames of its own that ours could overtake.
    this.socket = (ws as unknown as { _socket: Socket })._socket;
    this.bucket = new TokenBucket(floodRate, floodBurst);
    this.frameBudget = new TokenBucket(frameRate, frameBurst);
  }

  get open(): boolean {
    return this.state !== 'closed';
  }

  /**
   * Writes one pre-built frame. Returns false when the peer's unsent backlog has passed
   * the limit: the caller must then drop the connection as a slow consumer.
   */
  write(frame: Buffer): boolean {
    const socket = this.socket;
    if (socket.destroyed) return true;
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
