/**
 * One load generator process. It holds many WebSocket clients on raw `net` sockets: a real
 * HTTP upgrade (the Sec-WebSocket-Accept is checked) and the server's join handshake, then
 * frames are cut off the byte stream by their headers into one shared read buffer, with no
 * per-frame allocation. Every chat message carries its sender's index, a sequence number
 * and its send time, so each client checks that it got every message of every sender,
 * once and in order, and can time it.
 *
 * NATS clients are the same, speaking NATS's text protocol instead: after the server's
 * `INFO {…}`, `CONNECT {…}`, `SUB chat 1` and `PING`, joined at the `PONG`; a message is sent
 * as `PUB chat 30` and arrives as `MSG chat 1 30` followed by its 30 bytes, cut off the stream
 * by that length; the server's `PING`s are answered with `PONG`.
 *
 * Sockets are opened from the loopback source addresses the orchestrator gives (127.0.0.2,
 * 127.0.0.3, …), so a run of 100,000 clients does not run out of ephemeral ports (each
 * source address has its own ~28,000).
 *
 * Message text (30 bytes): `SSSS-QQQQQQQQQQ-TTTTTTTTTTTT~~` — sender index, sequence
 * number, send time in µs since the run's epoch (see clock.mjs).
 *
 * A cluster (several nodes of one server, or of one Socket.IO app): `connect` is given one
 * port per node, and client i connects to node i mod n. Each client then also keeps a digest
 * of the order in which it got every message (all senders together), so the orchestrator can
 * tell whether every receiver saw one order; only messages crossing nodes (sender and
 * receiver on different ones) are timed. A sender's window slot is freed when its message
 * has reached its partners, the clients next to it (one on each other node), rather than
 * when its own copy comes back: a server whose own node answers at once while the others
 * fall behind (Socket.IO's redis adapter) is held to the pace of its slowest node, as c2 is.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { childArgs, processStats, serveRpc } from './child.mjs';
import { nowUs, sleep } from './clock.mjs';
import { Histogram } from './histogram.mjs';

const TEXT_LENGTH = 30;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** What every NATS subscriber gets before a chat message's 30 bytes (subject `chat`, sid 1). */
const NATS_MSG = `MSG chat 1 ${TEXT_LENGTH}\r\n`;
/** A whole NATS chat message as received: control line, payload, CRLF. */
const NATS_MSG_LENGTH = NATS_MSG.length + TEXT_LENGTH + 2;
/** The longest NATS control line accepted (the server's INFO is a few hundred bytes). */
const NATS_MAX_LINE = 64 * 1024;

/**
 * How each server is spoken to. `recv` is what a chat message looks like on the way in
 * (its text starts right after it: every client name has the same length), `send` how a
 * client sends one (in a WebSocket frame, or as is for NATS).
 */
const KINDS = {
  c2: {
    path: '/',
    recv: (sender) => `c2/MSG ${sender}; `,
    send: ['c2/MSG ', ''],
    prefix: 'c2/MSG ',
  },
  ws: {
    path: '/',
    recv: (sender) => `c2/MSG ${sender}; `,
    send: ['c2/MSG ', ''],
    prefix: 'c2/MSG ',
  },
  sio: {
    path: '/socket.io/?EIO=4&transport=websocket',
    recv: (sender) => `42["msg","${sender}","`,
    send: ['42["msg","', '"]'],
    prefix: '42["msg"',
  },
  nats: {
    nats: true,
    recv: () => NATS_MSG,
    send: [`PUB chat ${TEXT_LENGTH}\r\n`, '\r\n'],
    prefix: NATS_MSG,
  },
};

/** Client names: all the same length, so a message's text is at a fixed offset. */
export const clientName = (i) => `u${String(i).padStart(5, '0')}`;

const { id: workerId = 0 } = childArgs();

// ---- shared state of this process -------------------------------------------------------

/** One read buffer for every socket: each read is parsed at once, leftovers are copied. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const g = {
  kind: 'c2',
  spec: KINDS.c2,
  /** Speaking NATS rather than WebSocket. */
  nats: false,
  prefix: Buffer.alloc(0),
  textOffset: 0,
  nSenders: 0,
  epochUs: 0,
  /** Messages received (all clients). */
  delivered: 0,
  /** A sequence number jumped forward: frames missing (counted by how many). */
  gapFrames: 0,
  /** A sequence number went backwards: a duplicate or a reordering. */
  backwards: 0,
  /** Frames with a sender index out of range. */
  invalid: 0,
  /** Other text frames after joining (joins of others, acks…). */
  other: 0,
  /** Sockets the server closed, or that failed, after they had joined. */
  lost: 0,
  lostReasons: [],
  sending: false,
  window: 0,
  /** Latency recording: messages sent at or after this time (µs since epoch) are timed. */
  recordFrom: -1,
  readNow: 0,
  hist: new Histogram(),
  /** Template of a sent frame, and where its text starts. */
  template: Buffer.alloc(0),
  textAt: 0,
  /** A cluster: each client keeps the digest of its order of messages (see Conn.onMessage). */
  orderDigest: false,
  /** A cluster: the node of each sender (by sender index); empty when there is one node. */
  senderNodes: new Int32Array(0),
  /** A cluster: the senders of this process by sender index (their partners free their slots). */
  senderConns: [],
};

/** @type {Conn[]} */
let conns = [];
/** @type {Conn[]} */
let senders = [];
let rateTimer;

function writeDigits(buf, at, width, value) {
  let v = value;
  for (let i = at + width - 1; i >= at; i--) {
    buf[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}

function readDigits(buf, at, width) {
  let v = 0;
  for (let i = at; i < at + width; i++) v = v * 10 + buf[i] - 48;
  return v;
}

/** A masked client frame (the mask key is zero, so the payload goes as is). */
function clientFrame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? 6 : 8;
  const frame = Buffer.allocUnsafe(head + len);
  frame[0] = 0x80 | opcode;
  if (len < 126) {
    frame[1] = 0x80 | len;
  } else {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  }
  frame.fill(0, head - 4, head);
  payload.copy(frame, head);
  return frame;
}

const textFrame = (text) => clientFrame(0x1, Buffer.from(text, 'utf8'));

/** Index just past the `\n` ending the line that starts at `at`, or -1 if it is not all there. */
function lineEnd(buf, at, end) {
  for (let i = at; i < end; i++) if (buf[i] === 10) return i + 1;
  return -1;
}

/**
 * Length of the NATS protocol item starting at `at`: its control line, and for `MSG` the
 * payload (its size is the line's last field) and CRLF after it; -1 if the line is not all
 * there (the payload may still be missing: compare with what is there).
 */
function natsItemLength(buf, at, end) {
  const after = lineEnd(buf, at, end);
  if (after < 0) return -1;
  if (buf[at] !== 77 || buf[at + 1] !== 83 || buf[at + 2] !== 71 || buf[at + 3] !== 32) return after - at; // not "MSG "
  let i = after - 2;
  if (buf[i] === 13) i--;
  let size = 0;
  for (let scale = 1; i > at && buf[i] >= 48 && buf[i] <= 57; i--, scale *= 10) size += (buf[i] - 48) * scale;
  return after - at + size + 2;
}

/** Total length of the frame starting at `at`, or -1 when its header is not all there. */
function frameLength(buf, at, end) {
  const avail = end - at;
  if (avail < 2) return -1;
  const b1 = buf[at + 1];
  const masked = b1 & 0x80 ? 4 : 0;
  const len = b1 & 0x7f;
  if (len < 126) return 2 + masked + len;
  if (len === 126) return avail < 4 ? -1 : 4 + masked + buf.readUInt16BE(at + 2);
  return avail < 10 ? -1 : 10 + masked + buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6);
}

// ---- one client ---------------------------------------------------------------------------

const HANDSHAKE = 0;
const JOINING = 1;
const JOINED = 2;
const CLOSED = 3;

class Conn {
  constructor(index, port, localAddress, onJoined, node = 0) {
    this.index = index;
    /** The node it is connected to (0 with one node). */
    this.node = node;
    /** FNV-1a-like digest of the order of every message it got (cluster only). */
    this.digest = 0x811c9dc5;
    /** A cluster: the sender whose messages free a window slot when they reach this client… */
    this.acksFor = -1;
    /** …as its partner number ackSlot. */
    this.ackSlot = 0;
    /** A cluster sender: messages each of its partners has got. */
    this.acks = null;
    this.name = clientName(index);
    this.state = HANDSHAKE;
    this.onJoined = onJoined;
    this.handshake = '';
    this.key = randomBytes(16).toString('base64');
    /** Unparsed bytes of a frame split between reads (a copy). */
    this.rest = null;
    /** Next sequence number expected from each sender. */
    this.next = new Float64Array(g.nSenders);
    this.sender = -1;
    this.seq = 0;
    this.inflight = 0;
    this.nextDue = 0;
    this.periodUs = 0;
    this.socket = net.connect({
      host: '127.0.0.1',
      port,
      localAddress,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => this.onRead(buf, n) },
    });
    this.socket.setNoDelay(true);
    // A NATS client waits for the server's INFO (see onNatsLine).
    if (!g.nats) this.upgrade(port);
    this.socket.on('error', (err) => this.onGone(`socket error: ${err.message}`));
    this.socket.on('close', () => this.onGone('closed by the server'));
  }

  upgrade(port) {
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${g.spec.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  }

  onGone(reason) {
    if (this.state === CLOSED) return;
    const was = this.state;
    this.state = CLOSED;
    if (was === JOINED) {
      g.lost++;
      if (g.lostReasons.length < 5) g.lostReasons.push(`${this.name}: ${reason}`);
    }
    if (was !== JOINED) this.onJoined?.(this, reason);
    this.onJoined = undefined;
  }

  fail(reason) {
    if (this.state === JOINED) {
      // A protocol error after joining: the client is lost.
      this.onGone(reason);
      this.socket.destroy();
      return;
    }
    const callback = this.onJoined;
    this.onJoined = undefined;
    this.state = CLOSED;
    this.socket.destroy();
    callback?.(this, reason);
  }

  onRead(buf, n) {
    if (g.nats) {
      if (g.recordFrom >= 0) g.readNow = nowUs() - g.epochUs;
      this.parseNats(buf, 0, n);
    } else {
      if (this.state === HANDSHAKE) return this.onHandshake(buf, n);
      if (g.recordFrom >= 0) g.readNow = nowUs() - g.epochUs;
      this.parse(buf, 0, n);
    }
    if (this.sender >= 0 && g.sending && g.window > 0 && this.inflight < g.window) {
      this.sendMessages(g.window - this.inflight);
    }
    if (this.acksFor >= 0 && g.sending && g.window > 0) {
      const sender = g.senderConns[this.acksFor];
      if (sender.inflight < g.window) sender.sendMessages(g.window - sender.inflight);
    }
  }

  onHandshake(buf, n) {
    this.handshake += buf.toString('latin1', 0, n);
    const end = this.handshake.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.handshake.length > 8192) this.fail('handshake response too long');
      return;
    }
    const head = this.handshake.slice(0, end);
    const accept = createHash('sha1')
      .update(this.key + GUID)
      .digest('base64');
    const given = /\r\nsec-websocket-accept:[ \t]*([^\r]*)/i.exec(head)?.[1]?.trim();
    if (!/^HTTP\/1\.1 101 /.test(head) || given !== accept) {
      return this.fail(`bad handshake: ${head.split('\r\n', 1)[0]}`);
    }
    const after = Buffer.from(this.handshake.slice(end + 4), 'latin1');
    this.handshake = '';
    this.state = JOINING;
    if (g.kind !== 'sio') this.write(textFrame(`c2/CONNECT ${this.name}`));
    if (after.length > 0) this.parse(after, 0, after.length);
  }

  write(buf) {
    if (this.state !== CLOSED) this.socket.write(buf);
  }

  parse(buf, start, end) {
    let at = start;
    if (this.rest !== null) {
      let joined = this.rest;
      this.rest = null;
      let total = frameLength(joined, 0, joined.length);
      if (total < 0) {
        joined = Buffer.concat([joined, buf.subarray(at, Math.min(end, at + 14))]);
        total = frameLength(joined, 0, joined.length);
        at = Math.min(end, at + 14);
        if (total < 0) {
          this.rest = joined;
          return;
        }
      }
      const need = total - joined.length;
      if (need > end - at) {
        this.rest = Buffer.concat([joined, buf.subarray(at, end)]);
        return;
      }
      // `need` may be negative when the 14 bytes taken for the header overshot the frame.
      const frame = need >= 0 ? Buffer.concat([joined, buf.subarray(at, at + need)]) : joined;
      this.frame(frame, 0, total);
      at += need;
    }
    while (true) {
      const avail = end - at;
      if (avail < 2) break;
      const b1 = buf[at + 1] & 0x7f;
      let head = 2;
      let len = b1;
      if (b1 === 126) {
        if (avail < 4) break;
        len = (buf[at + 2] << 8) | buf[at + 3];
        head = 4;
      } else if (b1 === 127) {
        if (avail < 10) break;
        len = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6);
        head = 10;
      }
      if (avail < head + len) break;
      this.frame(buf, at, at + head + len);
      at += head + len;
    }
    if (at < end) this.rest = Buffer.from(buf.subarray(at, end));
  }

  /** One whole frame, header included, in buf[at, end). */
  frame(buf, at, end) {
    const opcode = buf[at] & 0x0f;
    const len = buf[at + 1] & 0x7f;
    const start = at + (len < 126 ? 2 : len === 126 ? 4 : 10);
    if (opcode === 0x1) {
      if (this.state === JOINED && end - start >= g.textOffset + TEXT_LENGTH && this.isMessage(buf, start)) {
        this.onMessage(buf, start + g.textOffset);
      } else if (this.state === JOINED && g.kind !== 'sio') {
        // Another text frame once joined (a c2 join announcement: 50 million in a 10,000-user
        // CONNECT) is only counted, as onText would: not decoded.
        g.other++;
      } else {
        this.onText(buf.toString('utf8', start, end));
      }
    } else if (opcode === 0x9) {
      this.write(clientFrame(0xa, Buffer.from(buf.subarray(start, end))));
    } else if (opcode === 0x8) {
      this.onGone(`close frame ${end - start >= 2 ? buf.readUInt16BE(start) : ''}`);
      this.socket.destroy();
    } else {
      g.other++;
    }
  }

  /**
   * NATS: cuts the protocol items off buf[start, end). A chat message is recognised by its
   * whole control line (`MSG chat 1 30`), then its payload is at a fixed offset; anything
   * else goes through natsItemLength. An item split between reads is completed from the
   * next read (only its own bytes are copied), as for WebSocket frames.
   */
  parseNats(buf, start, end) {
    let at = start;
    if (this.rest !== null) {
      let joined = this.rest;
      this.rest = null;
      if (lineEnd(joined, 0, joined.length) < 0) {
        const after = lineEnd(buf, at, end);
        if (after < 0) {
          this.rest = Buffer.concat([joined, buf.subarray(at, end)]);
          if (this.rest.length > NATS_MAX_LINE) this.fail('NATS control line too long');
          return;
        }
        joined = Buffer.concat([joined, buf.subarray(at, after)]);
        at = after;
      }
      const total = natsItemLength(joined, 0, joined.length);
      const need = total - joined.length;
      if (need > end - at) {
        this.rest = Buffer.concat([joined, buf.subarray(at, end)]);
        return;
      }
      if (need > 0) joined = Buffer.concat([joined, buf.subarray(at, at + need)]);
      at += need;
      if (total === NATS_MSG_LENGTH && this.state === JOINED && this.isMessage(joined, 0)) this.natsMessage(joined, 0);
      else this.natsItem(joined, 0, total);
    }
    while (at < end && this.state !== CLOSED) {
      if (end - at >= NATS_MSG_LENGTH && this.state === JOINED && this.isMessage(buf, at)) {
        this.natsMessage(buf, at);
        at += NATS_MSG_LENGTH;
        continue;
      }
      const length = natsItemLength(buf, at, end);
      if (length < 0 || length > end - at) break;
      this.natsItem(buf, at, at + length);
      at += length;
    }
    if (at < end && this.state !== CLOSED) {
      this.rest = Buffer.from(buf.subarray(at, end));
      if (this.rest.length > NATS_MAX_LINE + 1024 * 1024) this.fail('NATS item too long');
    }
  }

  /** A NATS chat message (its control line checked) at `at`. */
  natsMessage(buf, at) {
    if (buf[at + NATS_MSG_LENGTH - 2] !== 13 || buf[at + NATS_MSG_LENGTH - 1] !== 10) {
      return this.fail('NATS message without CRLF after its payload');
    }
    this.onMessage(buf, at + NATS_MSG.length);
  }

  /** A NATS item other than a chat message of a joined client: buf[at, end). */
  natsItem(buf, at, end) {
    if (buf[at] === 77 && buf[at + 1] === 83 && buf[at + 2] === 71 && buf[at + 3] === 32) {
      // A MSG of another shape (subject, sid, size), or one before the PONG that joins.
      if (this.state === JOINED) g.invalid++;
      else g.other++;
      return;
    }
    this.onNatsLine(buf.toString('latin1', at, buf[end - 2] === 13 ? end - 2 : end - 1));
  }

  onNatsLine(line) {
    if (line === 'PING') return this.write('PONG\r\n');
    if (line.startsWith('INFO ') && this.state === HANDSHAKE) {
      this.state = JOINING;
      const options = {
        verbose: false,
        pedantic: false,
        name: this.name,
        lang: 'node',
        version: 'c2-bench',
        echo: true,
      };
      return this.write(`CONNECT ${JSON.stringify(options)}\r\nSUB chat 1\r\nPING\r\n`);
    }
    if (line === 'PONG' && this.state === JOINING) return this.joined();
    if (line.startsWith('-ERR')) {
      // A NATS error is a failure of the run: before joining, a refusal; after, a lost client.
      return this.fail(this.state === JOINED ? `NATS error: ${line}` : `refused: ${line}`);
    }
    g.other++; // +OK, PONG, an INFO update
  }

  isMessage(buf, start) {
    const prefix = g.prefix;
    for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
    return true;
  }

  onMessage(buf, t) {
    const sender = readDigits(buf, t, 4);
    const seq = readDigits(buf, t + 5, 10);
    g.delivered++;
    if (sender >= g.nSenders) {
      g.invalid++;
      return;
    }
    const next = this.next;
    const expected = next[sender];
    if (seq === expected) next[sender] = expected + 1;
    else if (seq > expected) {
      g.gapFrames += seq - expected;
      next[sender] = seq + 1;
    } else g.backwards++;
    if (g.orderDigest) this.digest = Math.imul(this.digest ^ (sender * 1_000_003 + seq), 0x01000193) >>> 0;
    if (g.recordFrom >= 0 && (g.senderNodes.length === 0 || g.senderNodes[sender] !== this.node)) {
      const sentAt = readDigits(buf, t + 16, 12);
      if (sentAt >= g.recordFrom) g.hist.record(g.readNow - sentAt);
    }
    if (g.senderConns.length === 0) {
      if (sender === this.sender) this.inflight--;
    } else if (sender === this.acksFor) {
      // In flight: sent, and not yet at every partner.
      const s = g.senderConns[sender];
      s.acks[this.ackSlot]++;
      let least = s.acks[0];
      for (let i = 1; i < s.acks.length; i++) if (s.acks[i] < least) least = s.acks[i];
      s.inflight = s.seq - least;
    }
  }

  onText(text) {
    if (g.kind === 'sio') {
      if (text === '2') return this.write(textFrame('3')); // Engine.IO ping → pong
      if (this.state === JOINING) {
        if (text.startsWith('0{')) return this.write(textFrame(`40{"name":"${this.name}"}`));
        if (text.startsWith('40')) return this.joined();
        return this.fail(`refused: ${text}`);
      }
    } else if (this.state === JOINING) {
      if (text.startsWith('c2/ACKNOWLEDGE')) return this.joined();
      return this.fail(`refused: ${text}`);
    }
    g.other++;
  }

  joined() {
    this.state = JOINED;
    const callback = this.onJoined;
    this.onJoined = undefined;
    callback?.(this, null);
  }

  /** Sends `count` messages in one write, stamped with `at` (µs since epoch) or now. */
  sendMessages(count, at = 0) {
    if (this.state !== JOINED || count <= 0) return;
    const size = g.template.length;
    const out = Buffer.allocUnsafe(size * count);
    const stamp = at > 0 ? at : Math.round(nowUs() - g.epochUs);
    for (let i = 0; i < count; i++) {
      const base = i * size;
      g.template.copy(out, base);
      writeDigits(out, base + g.textAt, 4, this.sender);
      writeDigits(out, base + g.textAt + 5, 10, this.seq++);
      writeDigits(out, base + g.textAt + 16, 12, stamp);
    }
    this.inflight += count;
    this.socket.write(out);
  }
}

// ---- commands from the orchestrator ------------------------------------------------------

function setup({ kind, nSenders, epochUs }) {
  const spec = KINDS[kind];
  if (spec === undefined) throw new Error(`unknown server kind ${kind}`);
  g.kind = kind;
  g.spec = spec;
  g.nats = spec.nats === true;
  g.prefix = Buffer.from(spec.prefix);
  g.textOffset = Buffer.byteLength(spec.recv(clientName(0)));
  g.nSenders = nSenders;
  g.epochUs = epochUs;
  const text = `0000-0000000000-000000000000${'~'.repeat(TEXT_LENGTH - 28)}`;
  if (g.nats) {
    g.template = Buffer.from(spec.send[0] + text + spec.send[1], 'latin1');
    g.textAt = Buffer.byteLength(spec.send[0]);
  } else {
    g.template = textFrame(spec.send[0] + text + spec.send[1]);
    g.textAt = 6 + Buffer.byteLength(spec.send[0]);
  }
}

/**
 * Opens clients [first, first + count), at most `concurrency` handshakes at a time, and
 * resolves when all have joined (or failed). `senderOf` maps client index → sender index;
 * client i's socket is opened from `sources[i % sources.length]` (none: the kernel's choice).
 * `port` is one port, or one per node of a cluster: client i connects to `port[i % n]`.
 */
function connect({ kind, port, first, count, concurrency, nSenders, epochUs, senderOf, sources = [], deadlineMs = 0 }) {
  setup({ kind, nSenders, epochUs });
  const ports = Array.isArray(port) ? port : [port];
  g.orderDigest = ports.length > 1;
  g.senderNodes = new Int32Array(ports.length > 1 ? nSenders : 0);
  for (const [index, sender] of Object.entries(senderOf ?? {})) {
    if (ports.length > 1) g.senderNodes[sender] = Number(index) % ports.length;
  }
  const t0 = nowUs();
  let started = 0;
  let done = 0;
  let failed = 0;
  let settled = false;
  const errors = [];
  conns = [];
  senders = [];
  return new Promise((resolve) => {
    const settle = (timedOut) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      const joined = conns.reduce((n, c) => n + (c.state === JOINED ? 1 : 0), 0);
      if (ports.length > 1) pairSenders(first, count, ports.length);
      resolve({ t0, t1: nowUs(), joined, failed, pending: count - joined - failed, timedOut, errors });
    };
    // Past the deadline no more clients are started, and those joined so far are reported.
    const deadline = deadlineMs > 0 ? setTimeout(() => settle(true), deadlineMs) : undefined;
    const launch = () => {
      const index = first + started++;
      const source = sources.length > 0 ? sources[index % sources.length] : undefined;
      const node = index % ports.length;
      const conn = new Conn(
        index,
        ports[node],
        source,
        (c, error) => {
          done++;
          if (error !== null) {
            failed++;
            if (errors.length < 5) errors.push(`${c.name}: ${error}`);
          }
          if (settled) return;
          if (started < count) launch();
          else if (done === count) settle(false);
        },
        node,
      );
      const sender = senderOf?.[index];
      if (sender !== undefined) {
        conn.sender = sender;
        senders.push(conn);
      }
      conns.push(conn);
    };
    if (count === 0) settle(false);
    for (let i = 0; i < Math.min(concurrency, count); i++) launch();
  });
}

/**
 * Starts the senders: a closed loop of `window` messages in flight per sender (each one's
 * own copy coming back frees its slot), or an open loop of `rateHz` messages a second per
 * sender, on a fixed schedule. Called once per round: sequence numbers go on from the last
 * round (so every frame of every round is checked), the latency histogram starts afresh.
 */
function start({ window = 0, rateHz = 0, startAtUs = 0, recordFromUs = -1 }) {
  g.sending = true;
  g.window = window;
  g.recordFrom = recordFromUs;
  g.hist = new Histogram();
  if (window > 0) {
    for (const conn of senders) conn.sendMessages(window - conn.inflight);
  } else if (rateHz > 0) {
    const period = 1e6 / rateHz;
    senders.forEach((conn) => {
      conn.periodUs = period;
      conn.nextDue = startAtUs + (period * conn.sender) / g.nSenders;
    });
    // Node's timers tick by the millisecond: a message goes out up to ~1 ms after its slot,
    // stamped with the time it is actually written (what the server sees), so the
    // generator's timer granularity is not counted as server latency.
    rateTimer = setInterval(() => {
      if (!g.sending) return;
      const now = nowUs() - g.epochUs;
      for (const conn of senders) {
        let due = 0;
        while (conn.nextDue <= now) {
          due++;
          conn.nextDue += conn.periodUs;
        }
        if (due > 0) conn.sendMessages(due, 0);
      }
    }, 1);
  }
  return true;
}

function mark() {
  const stats = processStats(nowUs);
  return { t: stats.t, cpu: stats.cpu, delivered: g.delivered };
}

function stopSending() {
  g.sending = false;
  clearInterval(rateTimer);
  const sent = {};
  for (const conn of senders) sent[conn.sender] = conn.seq;
  return sent;
}

/**
 * Waits until every client has every message each sender sent (`expected[s]`), or the
 * time is up; then reports what is missing, out of order or lost.
 */
async function drain({ expected, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  const behind = () => {
    let missing = 0;
    for (const conn of conns) {
      for (let s = 0; s < expected.length; s++) {
        const gap = expected[s] - conn.next[s];
        if (gap > 0) missing += gap;
      }
    }
    return missing;
  };
  let missing = behind();
  while (missing > 0 && Date.now() < deadline) {
    await sleep(20);
    missing = behind();
  }
  return {
    missing,
    gapFrames: g.gapFrames,
    backwards: g.backwards,
    invalid: g.invalid,
    lost: g.lost,
    lostReasons: g.lostReasons,
    delivered: g.delivered,
    other: g.other,
    hist: g.hist.toJSON(),
    orders: g.orderDigest ? orders() : null,
  };
}

/**
 * A cluster of `nodes` nodes: each sender's partners, the nodes - 1 clients after it (before
 * it, near the end of this process's clients), one on each other node (client i is on node
 * i mod n). Every client connected before any message, so a partner gets every message.
 */
function pairSenders(first, count, nodes) {
  g.senderConns = [];
  for (const conn of senders) {
    g.senderConns[conn.sender] = conn;
    conn.acks = new Float64Array(nodes - 1);
    const step = conn.index + nodes - 1 < first + count ? 1 : -1;
    for (let k = 1; k < nodes; k++) {
      const partner = conns[conn.index + k * step - first];
      if (partner === undefined || partner.sender >= 0 || partner.acksFor >= 0) {
        throw new Error(`no partner on every other node for sender ${conn.sender}`);
      }
      partner.acksFor = conn.sender;
      partner.ackSlot = k - 1;
    }
  }
}

/** A cluster: how many receivers saw each order of messages (digest → receivers). */
function orders() {
  const out = {};
  for (const conn of conns) if (conn.state === JOINED) out[conn.digest] = (out[conn.digest] ?? 0) + 1;
  return out;
}

function status() {
  let open = 0;
  for (const conn of conns) if (conn.state === JOINED) open++;
  return { open, lost: g.lost, lostReasons: g.lostReasons, other: g.other };
}

serveRpc({
  connect,
  start,
  mark,
  stopSending,
  drain,
  status,
  exit: () => {
    setImmediate(() => process.exit(0));
    return workerId;
  },
});
