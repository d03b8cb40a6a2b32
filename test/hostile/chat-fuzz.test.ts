/**
 * Random frames and random frame sequences against a live server (fast-check, bounded
 * runs). The oracle is the ordering promise: every frame gets exactly one response, in
 * order (ERROR, ACKNOWLEDGE, the PING reply, or the sender's own MSG), until a
 * DISCONNECT is acknowledged; nothing else reaches the sender but the broadcast of its own
 * rename; every frame is well-formed and no ERROR carries a control character; at the
 * WebSocket level a frame is either answered or closes the connection with a documented
 * code. After every run the server holds only the bystander, who keeps chatting.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerMessage } from '../../src/protocol/messages.js';
import { normalizeUsername } from '../../src/protocol/rules.js';
import { anyString } from '../helpers/arbitraries.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import type { TestClient } from '../helpers/ws-client.js';
import { encodeFrame, type FrameSpec, Opcode, RawWsClient } from './raw-ws.js';

const RUNS = 300;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let chat: ChatFixture;
let bystander: TestClient;
const stats = { frames: 0, wsFrames: 0, closes: new Map<number, number>() };

beforeAll(async () => {
  // The flood and frame limits stay at their defaults: a run is at most 30 frames.
  chat = await withChatServer({ name: 'Fuzz' });
  bystander = await chat.connect('bystander');
});
afterAll(async () => {
  await chat?.close();
  process.stdout.write(
    `[fuzz] ${stats.frames} c2 frames and ${stats.wsFrames} WebSocket frames tried; closes: ${JSON.stringify([...stats.closes])}\n`,
  );
});

const type = fc.constantFrom(
  'CONNECT',
  'MSG',
  'QUERY',
  'UPDATE',
  'DISCONNECT',
  'PING',
  'msg',
  'Ping',
  'X',
  '',
  'ERROR',
);
const arg = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  anyString({ maxLength: 8 }),
  fc.constantFrom(
    'alice',
    'bystander',
    'BYSTANDER',
    'bуstander',
    'username',
    'help',
    'history',
    'active_users',
    'op',
    'ban',
    '1700000000000',
    '-1',
    '',
    ' ',
    '; ',
    '\u202e',
    '\u3164',
  ),
);
/** A frame: mostly c2-shaped with random parts, sometimes anything at all. */
const frame = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(type, fc.array(arg, { maxLength: 4 }))
      .map(([t, args]) => (args.length ? `c2/${t} ${args.join('; ')}` : `c2/${t}`)),
  },
  { weight: 1, arbitrary: anyString({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `c2/${s}`) },
);

/** Every response answers exactly one request; the rename broadcast follows its ACK. */
async function checkSequence(frames: string[]): Promise<void> {
  const client = await RawWsClient.connect(chat.server.port);
  try {
    const bytes = Buffer.concat(
      [...frames, 'c2/PING 31337'].map((f) => encodeFrame({ opcode: Opcode.text, payload: f })),
    );
    stats.frames += frames.length;
    client.sendRaw(bytes);
    let name: string | undefined;
    for (const sent of frames) {
      const reply = await client.nextText();
      const parsed = parseServerMessage(reply);
      expect(parsed.ok, reply).toBe(true);
      if (!parsed.ok) return;
      const m = parsed.message;
      if (m.type === 'ERROR') {
        expect(m.reason, 'control character in an ERROR').not.toMatch(CONTROL);
        continue;
      }
      if (m.type === 'PING') {
        expect(sent.startsWith('c2/PING')).toBe(true);
        continue;
      }
      if (m.type === 'MSG') {
        expect(sent.startsWith('c2/MSG ')).toBe(true);
        expect(m.username).toBe(name);
        continue;
      }
      expect(m.type, `${reply} answering ${JSON.stringify(sent)}`).toBe('ACKNOWLEDGE');
      if (sent.startsWith('c2/CONNECT ')) {
        name = normalizeUsername(sent.slice('c2/CONNECT '.length));
      } else if (sent.startsWith('c2/UPDATE username; ')) {
        const next = normalizeUsername(sent.slice('c2/UPDATE username; '.length));
        if (next !== name) expect(await client.nextText()).toBe(`c2/UPDATE ${name}; username; ${next}`);
        name = next;
      } else if (sent.startsWith('c2/DISCONNECT')) {
        expect((await client.waitClose()).code).toBe(1000);
        expect(client.frames).toEqual([]);
        return;
      } else {
        expect(sent.startsWith('c2/QUERY ')).toBe(true);
      }
    }
    expect(await client.nextText()).toBe('c2/PING 31337; 7');
  } finally {
    client.destroy();
  }
}

/** Waits until the server holds only the bystander, and checks the bystander still chats. */
async function bystanderAlone(): Promise<void> {
  for (;;) {
    bystander.send('c2/QUERY active_users');
    const answer = await bystander.until((f) => f.startsWith('c2/ACKNOWLEDGE '));
    if (answer === 'c2/ACKNOWLEDGE ["bystander"]') break;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const wsFrame: fc.Arbitrary<FrameSpec> = fc.record({
  fin: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  rsv: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) }),
  opcode: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
  ),
  masked: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  payload: fc.oneof(
    fc.string({ maxLength: 30 }).map((s) => Buffer.from(`c2/PING ${s}`)),
    fc.uint8Array({ maxLength: 140 }).map((a) => Buffer.from(a)),
  ),
});

describe('fuzzing the chat server', () => {
  it(`random c2 frame sequences (${RUNS} runs): one response per request, in order`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 30 }), async (frames) => {
        await checkSequence(frames);
        await bystanderAlone();
      }),
      { numRuns: RUNS },
    );
    bystander.send('c2/MSG the fuzz is over');
    expect(await bystander.until((f) => f.startsWith('c2/MSG bystander;'))).toBe('c2/MSG bystander; the fuzz is over');
  });

  it(`random WebSocket frames (${RUNS} runs): answered, or closed with a documented code`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(wsFrame, { minLength: 1, maxLength: 6 }), async (specs) => {
        const client = await RawWsClient.connect(chat.server.port);
        try {
          stats.wsFrames += specs.length;
          client.sendRaw(
            Buffer.concat([...specs.map(encodeFrame), encodeFrame({ opcode: Opcode.text, payload: 'c2/PING 8' })]),
          );
          // Either the final PING is answered (possibly after answers to earlier frames), or
          // the server closed the connection with a code the protocol documents.
          for (;;) {
            const next = await Promise.race([
              client.next(3000).then((f) => ({ f })),
              client.waitClose(3000).then((c) => ({ c })),
            ]);
            if ('c' in next) {
              // A Close frame the client sent is answered with its own code (RFC 6455 5.5.1;
              // a valid one may be 3000-4999, say), so those codes are allowed too.
              const echoed = specs
                .filter((s) => s.opcode === Opcode.close)
                .map((s) => Buffer.from(s.payload ?? ''))
                .filter((payload) => payload.length >= 2)
                .map((payload) => payload.readUInt16BE(0));
              expect([1000, 1002, 1005, 1007, 1009, ...echoed]).toContain(next.c.code);
              stats.closes.set(next.c.code, (stats.closes.get(next.c.code) ?? 0) + 1);
              break;
            }
            const text = next.f.payload.toString('utf8');
            expect(next.f.opcode).toBe(Opcode.text);
            expect(parseServerMessage(text).ok, text).toBe(true);
            if (text === 'c2/PING 8; 7') break;
          }
        } finally {
          client.destroy();
        }
      }),
      { numRuns: RUNS },
    );
    await bystanderAlone();
    bystander.send('c2/PING 2');
    expect(await bystander.until((f) => f.startsWith('c2/PING'))).toBe('c2/PING 2; 7');
  });
});
