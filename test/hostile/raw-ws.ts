/**
 * A raw WebSocket client that does the RFC 6455 handshake itself and writes whatever
 * bytes a test asks for: fragments, reserved bits, unknown opcodes, unmasked frames,
 * invalid UTF-8, lying lengths. It parses what the server sends (unmasked frames),
 * answers pings (unless told not to) and reports the close code.
 *
 * It is also the lean client of the load test: with `onFrame` it keeps no queue and
 * hands each frame over as a slice of the received bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const Opcode = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface FrameSpec {
  /** Default true. */
  fin?: boolean;
  /** The three reserved bits as a number 0–7 (RSV1 = 4). Default 0. */
  rsv?: number;
  opcode: number;
  /** Client frames must be masked (RFC 6455 §5.1); default true. */
  masked?: boolean;
  payload?: Buffer | string;
  /** Claim this payload length in the header instead of the real one. */
  lengthOverride?: number;
}

export interface ReceivedFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Encodes one frame exactly as specified (a masked frame gets a random key). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'utf8') : (spec.payload ?? Buffer.alloc(0));
  const masked = spec.masked ?? true;
  const length = spec.lengthOverride ?? payload.length;
  const header: number[] = [((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f)];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) header.push(maskBit | length);
  else if (length < 65_536) header.push(maskBit | 126, length >> 8, length & 255);
  else {
    header.push(maskBit | 127);
    const big = BigInt(length);
    for (let i = 7; i >= 0; i--) header.push(Number((big >> BigInt(i * 8)) & 255n));
  }
  if (!masked) return Buffer.concat([Buffer.from(header), payload]);
  const key = randomBytes(4);
  const body = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = (payload[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([Buffer.from(header), key, body]);
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface RawWsOptions {
  host?: string;
  path?: string;
  /** Answer the server's pings with pongs (default true). */
  autoPong?: boolean;
  /** Lean mode: every data frame goes here and nothing is queued. */
  onFrame?: (frame: ReceivedFrame) => void;
  /** Bounds the TCP connect and the handshake (default 5000 ms). */
  timeoutMs?: number;
}

export interface CloseInfo {
  /** The code of the server's close frame; 1006 when the TCP connection ended without one. */
  code: number;
  reason: string;
}

export class RawWsClient {
  /** Data frames not yet taken (not in lean mode). */
  readonly frames: ReceivedFrame[] = [];
  closeInfo: CloseInfo | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  private waiters: Array<() => void> = [];
  private readonly closedPromise: Promise<CloseInfo>;
  private resolveClosed!: (info: CloseInfo) => void;
  private sentClose = false;

  private constructor(
    readonly socket: Socket,
    private readonly options: RawWsOptions,
  ) {
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  static connect(port: number, options: RawWsOptions = {}): Promise<RawWsClient> {
    const host = options.host ?? '127.0.0.1';
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.setNoDelay(true);
      const client = new RawWsClient(socket, options);
      const key = randomBytes(16).toString('base64');
      const expectedAccept = createHash('sha1')
        .update(key + GUID)
        .digest('base64');
      let head = Buffer.alloc(0);
      let upgraded = false;
      const timer = setTimeout(() => fail(new Error(`no WebSocket upgrade within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onHead);
        clearTimeout(timer);
        upgraded = true;
        const text = head.subarray(0, end).toString('latin1');
        if (!/^HTTP\/1\.1 101 /.test(text)) return fail(new Error(`upgrade refused: ${text.split('\r\n')[0]}`));
        const accept = /^sec-websocket-accept:\s*(\S+)\s*$/im.exec(text)?.[1];
        if (accept !== expectedAccept) return fail(new Error('bad Sec-WebSocket-Accept'));
        socket.on('data', (data: Buffer) => client.onData(data));
        socket.on('close', () => client.onSocketClosed());
        resolve(client);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) client.onData(rest);
      };
      socket.on('data', onHead);
      // Before the upgrade an error fails the connect; after it, the close that follows says it all.
      socket.on('error', (err) => {
        if (!upgraded) fail(err);
      });
      socket.once('connect', () => {
        socket.write(
          `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  // ---- sending -------------------------------------------------------------------------

  /** Writes raw bytes, frames or not. */
  sendRaw(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  sendFrame(spec: FrameSpec): void {
    this.sendRaw(encodeFrame(spec));
  }

  sendText(text: string): void {
    this.sendFrame({ opcode: Opcode.text, payload: text });
  }

  /** A close frame with a code (and reason), as a well-behaved client ends a connection. */
  sendClose(code = 1000, reason = ''): void {
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.sentClose = true;
    this.sendFrame({ opcode: Opcode.close, payload });
  }

  /** Stops reading: the server's frames pile up in the kernel, then in the server. */
  stall(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- receiving -----------------------------------------------------------------------

  private onData(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const b0 = b[0] as number;
      const b1 = b[1] as number;
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = b.readUInt32BE(2) * 2 ** 32 + b.readUInt32BE(6);
        offset = 10;
      }
      if (b1 & 0x80) offset += 4; // servers never mask, but tolerate it in the count
      if (b.length < offset + length) return;
      const payload = b.subarray(offset, offset + length);
      this.buffer = b.subarray(offset + length);
      this.onFrame({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    }
  }

  private onFrame(frame: ReceivedFrame): void {
    if (frame.opcode === Opcode.ping) {
      if (this.options.autoPong ?? true) this.sendFrame({ opcode: Opcode.pong, payload: frame.payload });
      return;
    }
    if (frame.opcode === Opcode.pong) return;
    if (frame.opcode === Opcode.close) {
      const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
      this.closeInfo ??= { code, reason: frame.payload.subarray(2).toString('utf8') };
      if (!this.sentClose) this.sendClose(code === 1005 ? 1000 : code);
      this.socket.end();
      this.wake();
      return;
    }
    let complete = frame;
    if (frame.opcode === Opcode.continuation || !frame.fin) {
      if (frame.opcode !== Opcode.continuation) this.fragmentOpcode = frame.opcode;
      this.fragments.push(Buffer.from(frame.payload));
      if (!frame.fin) return;
      complete = { fin: true, opcode: this.fragmentOpcode, payload: Buffer.concat(this.fragments) };
      this.fragments = [];
    }
    if (this.options.onFrame) this.options.onFrame(complete);
    else {
      this.frames.push({ ...complete, payload: Buffer.from(complete.payload) });
      this.wake();
    }
  }

  private onSocketClosed(): void {
    this.closeInfo ??= { code: 1006, reason: '' };
    this.resolveClosed(this.closeInfo);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next data frame, waiting at most `timeoutMs`. */
  async next(timeoutMs = 3000): Promise<ReceivedFrame> {
    await this.waitFor(() => this.frames.length > 0 || this.socket.destroyed, timeoutMs, 'no frame');
    const frame = this.frames.shift();
    if (frame === undefined) {
      throw new Error(`connection closed (${this.closeInfo?.code ?? 'no close frame'}) with no frame pending`);
    }
    return frame;
  }

  /** The next frame, which must be a text frame. */
  async nextText(timeoutMs = 3000): Promise<string> {
    const frame = await this.next(timeoutMs);
    if (frame.opcode !== Opcode.text) throw new Error(`expected a text frame, got opcode ${frame.opcode}`);
    return frame.payload.toString('utf8');
  }

  /** Resolves when the TCP connection has ended, with the close code seen. */
  async waitClose(timeoutMs = 3000): Promise<CloseInfo> {
    return Promise.race([
      this.closedPromise,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the connection did not close within ${timeoutMs} ms`)), timeoutMs),
      ),
    ]);
  }

  get closed(): boolean {
    return this.socket.destroyed || this.closeInfo !== undefined;
  }
}
