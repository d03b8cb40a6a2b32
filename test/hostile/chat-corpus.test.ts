/**
 * Hostile input to the chat server: every case of test/corpus/chat-frames.jsonl on its own
 * attacker connection (raw WebSocket, so that any bytes can be sent), against one real
 * server with its default limits. For each case:
 *
 * - the attacker gets exactly the expected answers, in order, and nothing else: after
 *   them a PING must be answered next (the ordering promise as a barrier), or the
 *   connection must close with the expected code;
 * - no ERROR reason carries a control character (it is shown to users);
 * - the server stays up, and the bystander "alice" receives exactly the broadcasts the
 *   case should cause, and keeps chatting.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, splitErrorReason } from '../../src/protocol/error-codes.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import type { TestClient } from '../helpers/ws-client.js';
import { type CorpusCase, loadCorpus, stepBytes } from './corpus.js';
import { RawWsClient } from './raw-ws.js';

const SERVER_ID = 7;
const corpus = loadCorpus();
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let chat: ChatFixture;
let alice: TestClient;
let chatted = 0;
let lastChat = 0;

beforeAll(async () => {
  chat = await withChatServer({ id: SERVER_ID, name: 'Corpus' });
  alice = await chat.connect('alice');
});
afterAll(async () => {
  await chat?.close();
});

/** Reads the bystander's frames until the server holds nobody but alice; returns what came meanwhile. */
async function bystanderFrames(): Promise<string[]> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 100; attempt++) {
    alice.send('c2/QUERY active_users');
    for (;;) {
      const frame = await alice.next();
      if (!frame.startsWith('c2/ACKNOWLEDGE ')) {
        seen.push(frame);
        continue;
      }
      if (frame === 'c2/ACKNOWLEDGE ["alice"]') return seen;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the server still holds more users than alice; alice saw ${JSON.stringify(seen)}`);
}

async function attack(c: CorpusCase, client: RawWsClient, attacker: string, fill: (t: string) => string) {
  if (c.as === 'connected') {
    client.sendText(`c2/CONNECT ${attacker}`);
    expect(await client.nextText()).toBe('c2/ACKNOWLEDGE Corpus');
  }
  client.sendRaw(Buffer.concat(c.send.map((step) => stepBytes(step, fill))));

  let closed = false;
  for (const e of c.expect) {
    if ('close' in e) {
      const info = await client.waitClose();
      expect(
        client.frames.map((f) => f.payload.toString()),
        'frames before the close',
      ).toEqual([]);
      expect(info.code, 'close code').toBe(e.close);
      closed = true;
      continue;
    }
    const times = 'repeat' in e ? (e.repeat ?? 1) : 1;
    for (let i = 0; i < times; i++) {
      const frame = await client.nextText();
      if ('error' in e) {
        expect(frame).toMatch(/^c2\/ERROR /);
        // Every reason starts with a documented code; the case's regex reads the text after it.
        const reason = splitErrorReason(frame.slice('c2/ERROR '.length));
        expect(Object.keys(ERROR_CODES), 'the ERROR code').toContain(reason.code);
        if (e.code !== undefined) expect(reason.code).toBe(e.code);
        expect(reason.text).toMatch(new RegExp(fill(e.error), 'u'));
        expect(reason.text, 'control character in an ERROR').not.toMatch(CONTROL);
      } else if ('frame' in e) {
        expect(frame).toBe(fill(e.frame));
      } else {
        expect(frame).toMatch(new RegExp(fill(e.match), 'u'));
      }
    }
  }
  if (!closed) {
    // Nothing else was sent to the attacker: the next answer is the PING's.
    client.sendText('c2/PING 4242');
    expect(await client.nextText()).toBe(`c2/PING 4242; ${SERVER_ID}`);
  }
}

async function runCase(c: CorpusCase, index: number): Promise<void> {
  const attacker = `atk${index}`;
  const fill = (text: string) =>
    text
      .replaceAll('{attacker}', attacker)
      .replaceAll('{id}', String(SERVER_ID))
      .replaceAll('{epoch}', chat.server.hub.messages.epoch);
  // The attacker's part; a failure is raised only after the bystander is back in step.
  let failure: unknown;
  const client = await RawWsClient.connect(chat.server.port);
  try {
    await attack(c, client, attacker, fill);
  } catch (err) {
    failure = err;
  } finally {
    client.destroy();
  }
  const received = await bystanderFrames();
  if (failure !== undefined) throw failure;

  const expected = [
    ...(c.as === 'connected' ? [`c2/CONNECT ${attacker}`] : []),
    ...(c.bystander ?? (c.as === 'connected' ? ['c2/DISCONNECT lost_connection; {attacker}'] : [])),
  ].map(fill);
  expect(received, 'what the bystander received').toEqual(expected);

  // The bystander's own conversation goes on, within its flood limit (5 a second).
  if (performance.now() - lastChat >= 250) {
    alice.send(`c2/MSG still here after case ${index}`);
    expect(await alice.next()).toBe(`c2/MSG alice; still here after case ${index}`);
    lastChat = performance.now();
    chatted++;
  }
}

describe('the hostile-frame corpus', () => {
  it('has at least 200 cases with unique names', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  describe.each(corpus.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    it('is answered as expected, and the bystander is untouched', async () => {
      await runCase(c, i);
    });
  });

  it('the server is still up and holds only the bystander', async () => {
    const health = await fetch(`http://127.0.0.1:${chat.server.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', connectedUsers: 1 });
    expect(chat.server.hub.openSockets).toBe(1);
    expect(chatted).toBeGreaterThan(1);
  });
});
