/**
 * The bench's NATS peer (bench/lib/loadgen-worker.mjs, bench/lib/nats-server.mjs): the load
 * generator's NATS client against a scripted NATS server (items split at every boundary,
 * a server PING, a gap, a reordering, a message of another shape: every one must be
 * counted), and against the real nats-server (nothing lost; CPU read from /proc).
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

interface BenchChild {
  pid: number;
  call<T = unknown>(cmd: string, args?: object, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}
/** What the generator's `drain` answers. */
interface Drain {
  missing: number;
  delivered: number;
  gapFrames: number;
  backwards: number;
  invalid: number;
  lost: number;
  lostReasons: string[];
}
interface ProcsModule {
  Child: new (name: string, script: string, args?: object, execArgv?: string[]) => BenchChild;
  procStats(pid: number, nowUs: () => number): { t: number; cpu: number; mem: { rss: number } };
}
interface NatsModule {
  findNatsServer(): string | null;
  startNatsServer(file: string): Promise<BenchChild & { port: number }>;
}

const lib = new URL('../../bench/lib/', import.meta.url);
// The bench is plain JavaScript (no declarations): imported by URL, typed above.
const procs: ProcsModule = await import(new URL('procs.mjs', lib).href);
const natsLib: NatsModule = await import(new URL('nats-server.mjs', lib).href);
const worker = () => new procs.Child('load generator', new URL('loadgen-worker.mjs', lib).pathname, { id: 0 });

const started: Array<{ stop(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const p of started.splice(0)) await p.stop();
});

/** The 30-byte text the generator sends and checks: sender, sequence number, send time. */
const text = (sender: number, seq: number) =>
  `${String(sender).padStart(4, '0')}-${String(seq).padStart(10, '0')}-${'0'.repeat(12)}~~`;
const msg = (sender: number, seq: number) => `MSG chat 1 30\r\n${text(sender, seq)}\r\n`;

/**
 * A scripted NATS server: greets with INFO, answers the client's PING with PONG once it has
 * had CONNECT and SUB, and records what each client sent and where it came from.
 */
async function scriptedNats() {
  const clients: Array<{ socket: net.Socket; received: string; address: string }> = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const client = { socket, received: '', address: socket.remoteAddress ?? '' };
    clients.push(client);
    socket.on('data', (chunk) => {
      const before = client.received;
      client.received += chunk.toString('latin1');
      if (!before.includes('PING\r\n') && client.received.includes('PING\r\n')) {
        expect(client.received).toMatch(/^CONNECT \{[^\r]*"echo":true[^\r]*\}\r\nSUB chat 1\r\nPING\r\n/);
        socket.write('PONG\r\n');
      }
    });
    socket.on('error', () => {});
    socket.write('INFO {"server_id":"scripted","version":"2.9.10","proto":1,"max_payload":1048576}\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  started.push({
    stop: () => {
      for (const c of clients) c.socket.destroy();
      server.close();
    },
  });
  return { port: (server.address() as net.AddressInfo).port, clients };
}

/** Writes `data` in pieces of 1 to 7 bytes, a few milliseconds apart, so reads split it anywhere. */
async function trickle(socket: net.Socket, data: string): Promise<void> {
  for (let at = 0, n = 1; at < data.length; at += n, n = (n % 7) + 1) {
    socket.write(data.slice(at, at + n));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('bench load generator, NATS', () => {
  it('counts every message: split items, a server PING, a gap, a reordering, a foreign MSG', async () => {
    const fake = await scriptedNats();
    const w = worker();
    started.push(w);
    const connected = await w.call('connect', {
      kind: 'nats',
      port: fake.port,
      first: 0,
      count: 3,
      concurrency: 3,
      nSenders: 1,
      epochUs: 0,
      senderOf: {},
      sources: ['127.0.0.2', '127.0.0.3'],
    });
    expect(connected).toMatchObject({ joined: 3, failed: 0 });
    // Client i was opened from sources[i % 2].
    expect(fake.clients.map((c) => c.address).sort()).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.3']);

    // 0, 1, PING, 2, a foreign MSG, 4 (3 is missing here), 3 (late: backwards).
    const stream = `${msg(0, 0)}${msg(0, 1)}PING\r\n${msg(0, 2)}MSG other 1 5\r\nhello\r\n${msg(0, 4)}${msg(0, 3)}`;
    const [first, ...others] = fake.clients;
    await Promise.all([trickle(first!.socket, stream), ...others.map((c) => c.socket.write(stream))]);
    const drained = await w.call<Drain>('drain', { expected: [5], timeoutMs: 5000 });
    expect(drained).toMatchObject({
      missing: 0,
      delivered: 15,
      gapFrames: 3,
      backwards: 3,
      invalid: 3,
      lost: 0,
    });
    // Every client answered the server's PING.
    for (const c of fake.clients) expect(c.received.endsWith('PING\r\nPONG\r\n')).toBe(true);
  });

  it('reports a message that never came as missing, and a NATS -ERR as a lost client', async () => {
    const fake = await scriptedNats();
    const w = worker();
    started.push(w);
    await w.call('connect', {
      kind: 'nats',
      port: fake.port,
      first: 0,
      count: 2,
      concurrency: 2,
      nSenders: 1,
      epochUs: 0,
      senderOf: {},
    });
    for (const c of fake.clients) c.socket.write(msg(0, 0) + msg(0, 1));
    fake.clients[1]!.socket.write("-ERR 'Slow Consumer'\r\n");
    const drained = await w.call<Drain>('drain', { expected: [3], timeoutMs: 300 });
    expect(drained).toMatchObject({ missing: 2, gapFrames: 0, backwards: 0, invalid: 0, lost: 1 });
    expect(drained.lostReasons[0]).toContain("NATS error: -ERR 'Slow Consumer'");
  });

  const natsServer = natsLib.findNatsServer();
  it.skipIf(natsServer === null)(
    'loses nothing through the real nats-server, whose CPU is read from /proc',
    async () => {
      const server = await natsLib.startNatsServer(natsServer as string);
      started.push(server);
      const w = worker();
      started.push(w);
      const before = procs.procStats(server.pid, () => 0);
      await w.call('connect', {
        kind: 'nats',
        port: server.port,
        first: 0,
        count: 50,
        concurrency: 16,
        nSenders: 2,
        epochUs: 0,
        senderOf: { 10: 0, 35: 1 },
        sources: ['127.0.0.2'],
      });
      await w.call('start', { window: 16 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const sent = await w.call<Record<string, number>>('stopSending');
      const expected = [sent[0] ?? 0, sent[1] ?? 0];
      expect(expected[0]).toBeGreaterThan(16);
      const drained = await w.call<Drain>('drain', { expected, timeoutMs: 10_000 });
      expect(drained).toMatchObject({ missing: 0, gapFrames: 0, backwards: 0, invalid: 0, lost: 0 });
      expect(drained.delivered).toBe(50 * (expected[0]! + expected[1]!));
      const after = procs.procStats(server.pid, () => 0);
      expect(after.cpu).toBeGreaterThan(before.cpu);
      expect(after.mem.rss).toBeGreaterThan(0);
    },
  );
});
