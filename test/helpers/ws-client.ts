import WebSocket from 'ws';

let sentinels = 0;

/**
 * A raw WebSocket test client that queues every text frame it receives, so a test can
 * await them in order with a bounded wait.
 */
export class TestClient {
  readonly frames: string[] = [];
  /** WebSocket pings received (the server's heartbeat). */
  pings = 0;
  closeCode: number | undefined;
  closeReason = '';
  private waiters: Array<() => void> = [];
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? `<binary ${(data as Buffer).length}>` : (data as Buffer).toString('utf8'));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.wake();
        resolve(code);
      });
    });
    ws.on('ping', () => {
      this.pings++;
    });
    ws.on('error', () => {});
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Opens a socket and CONNECTs as `username`, consuming the ACKNOWLEDGE. */
  static async connect(url: string, username: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const client = await TestClient.open(url, options);
    client.send(`c2/CONNECT ${username}`);
    const ack = await client.next();
    if (!ack.startsWith('c2/ACKNOWLEDGE')) throw new Error(`CONNECT ${username} failed: ${ack}`);
    return client;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  send(frame: string | Buffer): void {
    this.ws.send(frame);
  }

  /** The next frame not yet taken, waiting at most `timeoutMs`. */
  async next(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) with no frame pending`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift() as string;
  }

  /** Takes the next `n` frames. */
  async take(n: number, timeoutMs = 3000): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Skips frames until one satisfies `match`, returning it. */
  async until(match: (frame: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (match(frame)) return frame;
    }
  }

  /**
   * Asserts that nothing more arrives, without a sleep: sends `c2/PING <n>`, whose answer
   * the server writes after everything it wrote to this socket before (the ordering
   * promise, contract §4), so any frame ahead of the answer is unexpected. It proves
   * nothing about what the server has not handled yet: first wait for the server to have
   * handled what could cause a frame (an answer to it, or `hub.openSockets` for a close).
   */
  async quiet(): Promise<void> {
    const stamp = String(++sentinels);
    this.send(`c2/PING ${stamp}`);
    const unexpected: string[] = [];
    for (;;) {
      const frame = await this.next();
      if (frame.startsWith(`c2/PING ${stamp}; `)) break;
      unexpected.push(frame);
    }
    if (unexpected.length > 0) throw new Error(`unexpected frames: ${JSON.stringify(unexpected)}`);
  }

  /** Resolves with the close code, waiting at most `timeoutMs`. */
  async waitClose(timeoutMs = 3000): Promise<number> {
    return Promise.race([
      this.closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error('socket did not close')), timeoutMs)),
    ]);
  }

  close(): void {
    this.ws.terminate();
  }
}
