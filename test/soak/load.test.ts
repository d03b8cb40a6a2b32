/**
 * Load and slow consumers: 1,000 clients on one chat server (in a process of its own, so
 * that its memory is its own), 50 of them stalled readers. Bounded: a fixed number of
 * messages, no timed assertions.
 *
 * - Every message reaches every live reader exactly once and in order: all 950 live
 *   readers see the same sequence of frames (equal count and SHA-256 of every payload),
 *   and five of them decode it whole: each sent message once, each sender's in its order.
 * - The 50 stalled readers are dropped as slow consumers (contract §5), and every live
 *   reader is told so exactly once for each.
 * - The server's resident memory stays bounded while they pile up.
 *
 * A stalled reader is dropped once its socket's kernel buffers are full (about 4 MB on
 * loopback) and 256 KiB more wait in the server. So that all 950 live readers need not
 * read 4 MB of chat as well, each stalled reader first fills 3 MB of its own buffers with
 * the answers to its own history queries, one at a time; the chat (2 MB) then overflows
 * it. One whose buffers grew larger asks for more history until it overflows too.
 * (bin/c2.js and the server child run dist/: `npm run build` first.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { Opcode, RawWsClient, type ReceivedFrame } from '../hostile/raw-ws.js';

const CLIENTS = 1000;
const STALLED = 50;
const SENDERS = 20;
const PER_SENDER = 100;
const ROUND = 10;
const TEXT_BYTES = 1000;
const FULL_READERS = 5;
const SLOW_CONSUMER_BYTES = 256 * 1024;
/** History queries (128 KiB answers) each stalled reader sends first: 3 MB of its ~4 MB of kernel buffers. */
const FILL_QUERIES = 24;
/** …and at most afterwards, if the chat did not overflow it. */
const MAX_TOP_UPS = 60;

const CHILD = fileURLToPath(new URL('./server-child.mjs', import.meta.url));
let server: ChildProcess | undefined;
const sockets: RawWsClient[] = [];
afterAll(() => {
  for (const s of sockets) s.destroy();
  server?.kill('SIGKILL');
});

function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

async function startServer(): Promise<{ port: number; pid: number }> {
  const options = {
    host: '127.0.0.1',
    port: 0,
    id: 7,
    name: 'Load',
    maxUsers: CLIENTS + 10,
    limits: { floodRatePerSecond: 1e6, floodBurst: 1e6, slowConsumerBytes: SLOW_CONSUMER_BYTES },
  };
  const child = spawn(process.execPath, [CHILD, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  server = child;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before it was ready`)));
  });
  return { port, pid: child.pid as number };
}

/** What one live reader saw. */
class Reader {
  readonly hash: Hash = createHash('sha256');
  count = 0;
  begun = false;
  ends = 0;
  readonly drops = new Map<string, number>();
  /** Decoded MSG frames after BEGIN (full readers only). */
  readonly messages: string[] | undefined;
  done!: () => void;
  readonly finished = new Promise<void>((resolve) => {
    this.done = resolve;
  });

  constructor(
    readonly name: string,
    full: boolean,
  ) {
    this.messages = full ? [] : undefined;
  }

  onFrame = (frame: ReceivedFrame): void => {
    if (frame.opcode !== Opcode.text) return;
    const p = frame.payload;
    // c2/DISCONNECT lost_connection; stalledN — counted whenever it comes.
    if (p[3] === 0x44 && p.length < 80) {
      const text = p.toString('utf8');
      const m = /^c2\/DISCONNECT lost_connection; (stalled\d+)$/.exec(text);
      if (m) this.drops.set(m[1] as string, (this.drops.get(m[1] as string) ?? 0) + 1);
    }
    if (!this.begun) {
      if (p.length < 40 && p.toString('utf8') === 'c2/MSG sender0; BEGIN') this.begun = true;
      return;
    }
    this.hash.update(p);
    this.count++;
    if (this.messages) this.messages.push(p.toString('utf8'));
    if (p.length < 40 && /^c2\/MSG sender\d+; END$/.test(p.toString('utf8')) && ++this.ends === SENDERS) this.done();
  };
}

describe(`${CLIENTS} clients, ${STALLED} of them stalled readers`, () => {
  it('every message reaches every live reader once and in order; stalled readers are dropped; memory stays bounded', async () => {
    const { port, pid } = await startServer();

    // History (500 messages of 1,000 bytes), for stalled readers that need topping up.
    const seeder = await RawWsClient.connect(port);
    sockets.push(seeder);
    seeder.sendText('c2/CONNECT seeder');
    expect(await seeder.nextText()).toBe('c2/ACKNOWLEDGE Load');
    seeder.sendRaw(
      Buffer.concat(Array.from({ length: 500 }, (_, i) => frameOf(`c2/MSG ${i} ${'h'.repeat(TEXT_BYTES)}`))),
    );
    for (let i = 0; i < 500; i++) await seeder.nextText();
    seeder.sendText('c2/DISCONNECT');
    await seeder.waitClose();

    // 1,000 clients, connected a few at a time.
    const readers: Reader[] = [];
    const clients: RawWsClient[] = [];
    const stalled: RawWsClient[] = [];
    const joined: Array<Promise<void>> = [];
    for (let i = 0; i < CLIENTS; i++) {
      const isStalled = i % (CLIENTS / STALLED) === CLIENTS / STALLED - 1;
      const name = isStalled
        ? `stalled${stalled.length}`
        : clients.length < SENDERS
          ? `sender${clients.length}`
          : `reader${i}`;
      let client: RawWsClient;
      let acknowledged!: () => void;
      joined.push(
        new Promise<void>((resolve) => {
          acknowledged = resolve;
        }),
      );
      if (isStalled) {
        client = await RawWsClient.connect(port, {
          onFrame: (f) => {
            if (f.payload.toString('utf8', 0, 14) === 'c2/ACKNOWLEDGE') acknowledged();
          },
        });
        stalled.push(client);
      } else {
        const reader = new Reader(name, readers.length < FULL_READERS);
        readers.push(reader);
        client = await RawWsClient.connect(port, {
          onFrame: (f) => {
            if (f.payload.length > 14 && f.payload.toString('utf8', 0, 15) === 'c2/ACKNOWLEDGE ') acknowledged();
            reader.onFrame(f);
          },
        });
        clients.push(client);
      }
      sockets.push(client);
      client.sendText(`c2/CONNECT ${name}`);
      if (i % 50 === 49) await Promise.all(joined);
    }
    await Promise.all(joined);
    const baseline = rssBytes(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 50);

    try {
      // The stalled readers stop reading, and fill most of their kernel buffers with the
      // answers to their own history queries, one answer at a time.
      await new Promise((r) => setTimeout(r, 500));
      for (const s of stalled) s.stall();
      await topUp(stalled, FILL_QUERIES);
      const droppedBefore = await droppedSoFar(port);

      // The chat: 20 senders, 100 messages each, between BEGIN and their ENDs, in rounds of
      // 10 each (200 KB): a round is sent once every live reader has read the one before,
      // so a reader that keeps up is never 256 KiB behind, while the stalled ones fall
      // further behind with every round.
      const senders = clients.slice(0, SENDERS);
      senders[0]?.sendText('c2/MSG BEGIN');
      await waitBegun(readers);
      for (let round = 0; round < PER_SENDER / ROUND; round++) {
        for (const client of senders) {
          const frames = Array.from({ length: ROUND }, (_, i) =>
            frameOf(`c2/MSG ${String(round * ROUND + i).padStart(3, '0')} ${'x'.repeat(TEXT_BYTES)}`),
          );
          client.sendRaw(Buffer.concat(frames));
        }
        await waitRead(readers, (round + 1) * ROUND * SENDERS, port);
      }
      for (const client of senders) client.sendText('c2/MSG END');
      await Promise.race([
        Promise.all(readers.map((r) => r.finished)),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the ENDs did not arrive in 30 s')), 30_000)),
      ]);
      const droppedInChat = (await droppedSoFar(port)) - droppedBefore;
      // A stalled socket whose kernel buffers grew large may still hold out: it asks for
      // history (answered to it alone) until its pipe overflows too, one answer at a time
      // (answers to requests pipelined in one go wait in the server together, and count
      // together against the limit).
      for (let q = 0; q < MAX_TOP_UPS && (await droppedSoFar(port)) < STALLED; q += 5) await topUp(stalled, 5);
      const drops = await waitForDrops(readers);
      clearInterval(sampler);
      peak = Math.max(peak, rssBytes(pid));

      // Exactly once, in order: one sequence for all 950 live readers…
      const expectedCount = SENDERS * (PER_SENDER + 1) + drops.afterBegin;
      const digests = new Set(readers.map((r) => `${r.count}:${r.hash.digest('hex')}`));
      expect(readers.length).toBe(CLIENTS - STALLED);
      expect([...digests]).toHaveLength(1);
      expect([...digests][0]?.startsWith(`${expectedCount}:`)).toBe(true);
      // …which holds every message once, each sender's in the order sent.
      for (const reader of readers.filter((r) => r.messages)) {
        const next = new Map<string, number>();
        for (const frame of reader.messages ?? []) {
          const m = /^c2\/MSG (sender\d+); (\d{3}) x+$/.exec(frame);
          if (!m) continue;
          const seq = Number(m[2]);
          expect(seq, `${m[1]} out of order for ${reader.name}`).toBe(next.get(m[1] as string) ?? 0);
          next.set(m[1] as string, seq + 1);
        }
        expect([...next.values()]).toEqual(Array.from({ length: SENDERS }, () => PER_SENDER));
      }
      // Every live reader was told once of every stalled reader's drop.
      for (const reader of readers) {
        expect(reader.drops.size, reader.name).toBe(STALLED);
        expect(
          [...reader.drops.values()].every((n) => n === 1),
          reader.name,
        ).toBe(true);
      }
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^c2_slow_consumers_dropped_total ${STALLED}$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^c2_connected_users ${CLIENTS - STALLED}$`, 'm'));
      // Memory: 50 stalled readers may each hold 256 KiB plus one answer in the server;
      // without the limit each would hold everything past its kernel buffers.
      const growth = peak - baseline;
      process.stdout.write(
        `[load] ${CLIENTS} clients, ${SENDERS * PER_SENDER} messages × ${CLIENTS - STALLED} live readers; ` +
          `${STALLED} stalled dropped (${droppedBefore} before, ${droppedInChat} during the chat); server RSS ${mb(baseline)} → peak ${mb(peak)}\n`,
      );
      expect(growth).toBeLessThan(64 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
      for (const s of sockets) s.destroy();
      server?.kill('SIGTERM');
    }
  }, 120_000);
});

/** Each stalled reader asks for history `n` times, 100 ms apart, so that each answer is written on its own. */
async function topUp(stalled: RawWsClient[], n: number): Promise<void> {
  for (let q = 0; q < n; q++) {
    for (const s of stalled) s.sendRaw(frameOf('c2/QUERY history; 500'));
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function droppedSoFar(port: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^c2_slow_consumers_dropped_total (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Waits until every live reader has read `count` frames since BEGIN; a live reader dropped is a failure. */
async function waitRead(readers: Reader[], count: number, port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (readers.some((r) => r.count < count)) {
    if ((await droppedSoFar(port)) > STALLED) throw new Error('a live reader was dropped as a slow consumer');
    if (Date.now() > deadline) throw new Error(`a reader is stuck below ${count} frames`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitBegun(readers: Reader[]): Promise<void> {
  await eventually(() => readers.every((r) => r.begun), 'BEGIN to reach every reader', 20_000);
}

/** Waits until every reader has seen all 50 drops; how many came after BEGIN (same for all). */
async function waitForDrops(readers: Reader[]): Promise<{ afterBegin: number }> {
  await eventually(
    () => readers.every((r) => r.drops.size === STALLED),
    () => `all ${STALLED} stalled readers to be dropped (only ${Math.min(...readers.map((r) => r.drops.size))} were)`,
    20_000,
  );
  // A drop after BEGIN is part of every reader's hashed sequence; the full readers count them.
  const full = readers.find((r) => r.messages) as Reader;
  const afterBegin = (full.messages ?? []).filter((m) => m.startsWith('c2/DISCONNECT lost_connection; stalled')).length;
  return { afterBegin };
}

/** A masked text frame with a zero key (the payload unchanged), built cheaply. */
function frameOf(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const header =
    n < 126
      ? Buffer.from([0x81, 0x80 | n])
      : n < 65_536
        ? Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255])
        : Buffer.from([0x81, 0x80 | 127, 0, 0, 0, 0, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  return Buffer.concat([header, Buffer.alloc(4), payload]);
}
