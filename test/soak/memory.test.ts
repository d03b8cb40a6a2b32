import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { heapGrowth, heapSummary } from '../helpers/heap.js';
import { tempDir } from '../helpers/tmp.js';

// Memory over hours (issue 13, item 9): nothing of a connection may outlive it. The long
// proof is the soak (`npm run test:soak -- --minutes 60`, heap after a forced GC flat over
// its last 40 minutes); this checks the same at its cause, in seconds: connections from
// many distinct addresses, ending every way a connection can end, and afterwards not one
// of them is still reachable and the program's data in the heap has not grown with their
// number (heap snapshots of this process, compared leaving out V8's compiled code, which
// grows as the JIT warms up: see test/soak/heap-diff.mjs).

let chat: ChatFixture;
afterEach(() => chat.close());

/** 127.0.0.0/8 is all loopback on Linux: one address per connection. */
function address(i: number): string {
  return `127.1.${Math.floor(i / 250) % 256}.${1 + (i % 250)}`;
}

/** Opens a socket from `localAddress`; resolves with a next-frame reader. */
async function open(url: string, localAddress: string) {
  const ws = new WebSocket(url, { localAddress, perMessageDeflate: false });
  const frames: string[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (d) => {
    frames.push(d.toString());
    wake?.();
  });
  ws.on('error', () => {});
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (): Promise<string> => {
    while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return frames.shift() as string;
  };
  return { ws, next, closed };
}

/** One connection's whole life, ending in one of five ways. */
async function lifecycle(url: string, i: number): Promise<void> {
  const c = await open(url, address(i));
  switch (i % 5) {
    case 0: // joins, leaves with DISCONNECT
      c.ws.send(`c2/CONNECT user${i}`);
      await c.next();
      c.ws.send('c2/DISCONNECT');
      break;
    case 1: // joins, talks, and the socket is torn down without a close frame
      c.ws.send(`c2/CONNECT user${i}`);
      await c.next();
      c.ws.send(`c2/MSG hello from ${i}`);
      await c.next();
      c.ws.terminate();
      break;
    case 2: // never registers: a PING, then a close frame
      c.ws.send('c2/PING');
      await c.next();
      c.ws.close();
      break;
    case 3: // joins, renames, asks for history, leaves with DISCONNECT
      c.ws.send(`c2/CONNECT user${i}`);
      await c.next();
      c.ws.send(`c2/UPDATE username; renamed${i}`);
      await c.next();
      c.ws.send('c2/QUERY history; 5');
      await c.next();
      c.ws.send('c2/DISCONNECT');
      break;
    default: // refused (a bad name, a binary frame), then a close frame
      c.ws.send('c2/CONNECT bad name;');
      await c.next();
      c.ws.send(Buffer.from([1, 2, 3]));
      await c.next();
      c.ws.close();
  }
  await c.closed;
}

async function cycles(url: string, from: number, count: number): Promise<void> {
  const parallel = 16;
  for (let i = from; i < from + count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, from + count - i) }, (_, k) => lifecycle(url, i + k)));
  }
}

describe('memory: nothing of a connection outlives it', () => {
  // On a loaded machine this once failed 1 run in 15 with 388 KB more data: the server had
  // written broadcasts to sockets already ending (their close frames exchanged), each write an
  // Error ("write after end") whose stack vitest maps through the source maps of the server's
  // files, decoded on first use (4 `DecodedMap`s, 3,000 arrays: this process's heap). Fixed at
  // its cause (Connection.write skips a socket that is no longer writable; the test is in
  // test/integration/departures.test.ts); a failure now names the groups that grew.
  it('after connections from 1,500 addresses ended every way, none is reachable and no data grew with them', {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir('c2-memory-');
    // A small history, so its ring is full before the measurement.
    chat = await withChatServer({ historySize: 50 });
    const { hub } = chat.server;
    // Someone who stays, so every join and departure is broadcast to a member (what it
    // receives is counted, not kept: this process's heap is the one measured).
    const watcher = await open(chat.url, '127.0.0.1');
    watcher.ws.send('c2/CONNECT watcher');
    expect(await watcher.next()).toBe('c2/ACKNOWLEDGE Test');
    let broadcasts = 0;
    watcher.ws.removeAllListeners('message');
    watcher.ws.on('message', () => broadcasts++);

    // Warm-up: the history ring fills, the code paths are compiled.
    await cycles(chat.url, 0, 500);
    await settled(hub, watcher.ws);
    const count = ['Connection', 'TokenBucket', 'WebSocket'];
    heapSummary(dir, count); // the first snapshot leaves some of its own bookkeeping behind
    const before = heapSummary(dir, count);
    await cycles(chat.url, 500, 1_000);
    await settled(hub, watcher.ws);
    const after = heapSummary(dir, count);

    expect(hub.openSockets).toBe(1);
    expect(hub.room.size).toBe(1);
    expect(broadcasts).toBeGreaterThan(1_500);
    // Of the server's connections only the watcher's is still reachable.
    expect(after.counts.Connection).toBe(1);
    expect(after.counts.TokenBucket).toBe(before.counts.TokenBucket);
    expect(after.counts.WebSocket).toBe(before.counts.WebSocket);
    // A map keeping ~50 bytes for each of the 1,000 addresses or connections would add 50 KB.
    // Today: 10–13 KB (the history ring's last strings, a few object shapes).
    const grown = after.dataBytes - before.dataBytes;
    expect(
      grown,
      `bytes of data left by 1,000 connections; grown most:\n${grown < 32 * 1024 ? '' : heapGrowth(before, after)}`,
    ).toBeLessThan(32 * 1024);
    watcher.ws.close();
  });
});

/** The last join batch written, the last closes handled. */
/**
 * Every other socket closed, and everything sent to the watcher received: its PING is
 * answered after the notices queued before it (joins are batched for up to 500 ms in a storm,
 * and on a loaded machine the watcher reads late), so no frame is in flight in this process
 * when the heap is measured.
 */
async function settled(hub: ChatFixture['server']['hub'], watcher: WebSocket): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (hub.openSockets > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const token = String(++pings);
  await new Promise<void>((resolve) => {
    const onMessage = (data: unknown): void => {
      if (!String(data).startsWith(`c2/PING ${token};`)) return;
      watcher.off('message', onMessage);
      resolve();
    };
    watcher.on('message', onMessage);
    watcher.send(`c2/PING ${token}`);
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
}
let pings = 0;
