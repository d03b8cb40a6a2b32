/**
 * The chat server's defences that the corpus cannot show one frame at a time: the frame
 * budget (a fast sender is read more slowly, not refused), the size bound of a history
 * answer, and look-alike names (bans included, and bans stored before the rule).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { usernameKey } from '../../src/protocol/rules.js';
import { nameIdentity } from '../../src/server/name-identity.js';
import { ServerStore } from '../../src/server/store.js';
import { anyString } from '../helpers/arbitraries.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/tmp.js';
import { Opcode, RawWsClient } from './raw-ws.js';

let chat: ChatFixture | undefined;
afterEach(async () => {
  await chat?.close();
  chat = undefined;
});

describe('the frame budget', () => {
  it('reads a flooding connection more slowly, answers everything in order, and serves others meanwhile', async () => {
    chat = await withChatServer({ limits: { frameRatePerSecond: 20, frameBurst: 10 } });
    const flooder = await RawWsClient.connect(chat.server.port);
    const bystander = await chat.connect('alice');

    // 50 PINGs in one write: all read at once (they are in one chunk) and answered in order…
    flooder.sendRaw(Buffer.concat(Array.from({ length: 50 }, (_, i) => frameOf(`c2/PING ${i}`))));
    for (let i = 0; i < 50; i++) expect(await flooder.nextText()).toBe(`c2/PING ${i}; 7`);
    expect(chat.server.hub.stats.throttled).toBe(1);

    // …but the 40 frames of debt pause reading for 2 s at 20 a second: the next PING waits.
    const sent = performance.now();
    flooder.sendText('c2/PING 99');
    // Others are served while the flooder waits.
    bystander.send('c2/PING 1');
    expect(await bystander.next()).toBe('c2/PING 1; 7');
    expect(flooder.frames).toEqual([]);
    expect(await flooder.nextText(5000)).toBe('c2/PING 99; 7');
    expect(performance.now() - sent).toBeGreaterThanOrEqual(1500);
  });

  it('counts WebSocket pings too (ws answers them itself)', async () => {
    chat = await withChatServer({ limits: { frameRatePerSecond: 20, frameBurst: 10 } });
    const flooder = await RawWsClient.connect(chat.server.port);
    const pings = Array.from({ length: 50 }, () => frameOf('x', Opcode.ping));
    flooder.sendRaw(Buffer.concat(pings));
    await eventually(() => chat?.server.hub.stats.throttled === 1, 'the socket to be throttled', 3000);
    const sent = performance.now();
    flooder.sendText('c2/PING 5');
    expect(await flooder.nextText(5000)).toBe('c2/PING 5; 7');
    expect(performance.now() - sent).toBeGreaterThanOrEqual(1500);
  });

  it('is never tighter than a raised flood limit unless set', async () => {
    chat = await withChatServer({ limits: { floodRatePerSecond: 1000, floodBurst: 5000 } });
    expect(chat.server.options.limits).toMatchObject({ frameRatePerSecond: 1000, frameBurst: 5000 });
    await chat.close();
    chat = await withChatServer();
    expect(chat.server.options.limits).toMatchObject({ frameRatePerSecond: 50, frameBurst: 100 });
  });
});

describe('a history answer is bounded in size', () => {
  it('holds the newest messages that fit in 512 KiB, and never drops the client that asked', async () => {
    chat = await withChatServer();
    const long = '😀'.repeat(2000); // 8,000 bytes: 500 of them would be 4 MB
    for (let i = 0; i < 500; i++) chat.server.hub.messages.append('bob', `${i} ${long}`, 1_700_000_000_000 + i, null);
    chat.server.hub.settle();
    const reader = await chat.connect('reader');
    reader.send('c2/QUERY history; 500');
    const answer = await reader.next(5000);
    expect(answer.startsWith('c2/ACKNOWLEDGE [')).toBe(true);
    const json = answer.slice('c2/ACKNOWLEDGE '.length);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(512 * 1024);
    const messages = JSON.parse(json) as Array<{ text: string; time: number }>;
    // The newest that fit, oldest first, ending with the very last message.
    expect(messages.length).toBe(
      Math.floor(
        (512 * 1024 - 2) /
          (Buffer.byteLength(
            JSON.stringify({ seq: 101, username: 'bob', text: `100 ${long}`, time: 1_700_000_000_100 }),
          ) +
            1),
      ),
    );
    expect(messages.at(-1)?.text).toBe(`499 ${long}`);
    expect(messages.map((m) => m.time)).toEqual([...messages.map((m) => m.time)].sort((a, b) => a - b));
    // Still connected: the answer did not make it a "slow consumer".
    reader.send('c2/PING 3');
    expect(await reader.next()).toBe('c2/PING 3; 7');
    expect(chat.server.hub.stats.slowConsumersDropped).toBe(0);
  });
});

describe('look-alike names', () => {
  it('fold case, compatibility forms, confusables and I/l/1/|, but keep different names apart', () => {
    const alice = nameIdentity('alice');
    for (const same of [
      'ALICE',
      'ａｌｉｃｅ',
      'аlice',
      'alіcе',
      'ɑlice',
      'aIice',
      'a1ice',
      'a|ice',
      'alıce',
      'ΑLICE',
    ]) {
      expect(nameIdentity(same), same).toBe(alice);
    }
    expect(nameIdentity('rnartin')).toBe(nameIdentity('martin'));
    expect(nameIdentity('b0b')).toBe(nameIdentity('bob'));
    for (const other of ['alicia', 'alise', 'alicé', 'malice', 'bob'])
      expect(nameIdentity(other), other).not.toBe(alice);
  });

  it('the key of a key is itself, and the key of a case-folded name is the key of the name', () => {
    for (const names of [fc.string({ unit: 'grapheme', maxLength: 16 }), anyString({ maxLength: 16 })]) {
      fc.assert(
        fc.property(names, (s) => {
          const key = nameIdentity(s);
          return nameIdentity(key) === key && nameIdentity(usernameKey(s)) === key;
        }),
        { numRuns: 5000 },
      );
    }
  });

  it('a ban covers the look-alikes of the banned name', async () => {
    chat = await withChatServer({ opPassword: 'pw' });
    const op = await chat.connect('op');
    op.send('c2/QUERY op; pw');
    expect(await op.next()).toBe('c2/ACKNOWLEDGE you are now an operator');
    op.send('c2/QUERY ban; mallory');
    expect(await op.next()).toBe('c2/ACKNOWLEDGE banned "mallory"');
    const evader = await chat.open();
    for (const name of ['MALLORY', 'mаllory', 'ma1lory', 'maIlory', 'mallorỵ', 'mallory\u0331']) {
      evader.send(`c2/CONNECT ${name}`);
      const stored = name.normalize('NFC');
      expect(await evader.next()).toBe(`c2/ERROR [banned] username "${stored}" is banned from this server`);
    }
  });

  it('says which connected name a look-alike imitates', async () => {
    chat = await withChatServer();
    await chat.connect('alice');
    const c = await chat.open();
    c.send('c2/CONNECT аlice');
    expect(await c.next()).toBe('c2/ERROR [name_taken] username "аlice" is already taken: it looks like "alice"');
    c.send('c2/CONNECT ALICE');
    expect(await c.next()).toBe('c2/ERROR [name_taken] username "ALICE" is already taken');
  });

  it('moves a ban stored under the older key to the look-alike key when the server starts', async () => {
    const dataDir = tempDir();
    const store = new ServerStore(dataDir);
    // As the server before this rule stored it: the key without the confusables skeleton.
    store.addBan({ nameKey: 'mallory', username: 'mallory', message: 'old ban', bannedAt: 1 });
    store.close();
    chat = await withChatServer({ dataDir });
    const evader = await chat.open();
    evader.send('c2/CONNECT ma1lory');
    expect(await evader.next()).toMatch(/^c2\/ERROR .*is banned/);
    expect(chat.server.hub.bans.list()).toEqual([
      { nameKey: nameIdentity('mallory'), username: 'mallory', message: 'old ban', bannedAt: 1 },
    ]);
  });
});

function frameOf(text: string, opcode: number = Opcode.text): Buffer {
  return Buffer.from(encode(text, opcode));
}

function encode(text: string, opcode: number): Buffer {
  // A masked frame with a zero key (the payload stays as is): small and cheap to build.
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

describe('names a reader cannot tell apart (issue 13, item 5)', () => {
  /** Not a character, or one that shows as nothing: refused outright. */
  const REFUSED = [
    'alice\u{1D159}', // musical null notehead
    'alice\uE000', // private use
    'alice\u0378', // unassigned
    'ali\u200Bce', // zero-width space
    'alice\uFE0F', // variation selector
    'alice\u202E', // right-to-left override
    'alice\u3164', // Hangul filler
    '\u0323alice', // a mark on nothing
  ];
  /** Marks a reader does not see under "alice": the name is alice's. */
  const ALICE_LOOKALIKES = ['alice\u0323', 'alice\u0331', 'alic\u0327e', 'ali\u0307ce'];

  it('CONNECT: refuses invisible and unassigned characters, and treats marks below as the same name', async () => {
    chat = await withChatServer({ name: 'Chatter Server' });
    const alice = await chat.connect('alice');
    const c = await chat.open();
    for (const name of REFUSED) {
      c.send(`c2/CONNECT ${name}`);
      expect(await c.next(), JSON.stringify(name)).toMatch(/^c2\/ERROR \[bad_username\] username may /);
    }
    for (const name of ALICE_LOOKALIKES) {
      c.send(`c2/CONNECT ${name}`);
      expect(await c.next(), JSON.stringify(name)).toBe(
        `c2/ERROR [name_taken] username "${name.normalize('NFC')}" is already taken: it looks like "alice"`,
      );
    }
    // Runs of spaces count as one: the server's own name, spaced out, is still its name.
    for (const name of ['Chatter  Server', 'Chatter\u00A0\u3000Server']) {
      c.send(`c2/CONNECT ${name}`);
      expect(await c.next()).toBe(
        'c2/ERROR [name_reserved] username "Chatter Server" is reserved: it is the server\'s name, used for its announcements',
      );
    }
    // …and a name with a run of spaces is stored with one.
    c.send('c2/CONNECT Big   Al');
    expect(await c.next()).toBe('c2/ACKNOWLEDGE Chatter Server');
    expect(await alice.next()).toBe('c2/CONNECT Big Al');
    const d = await chat.open();
    d.send('c2/CONNECT Big Al');
    expect(await d.next()).toBe('c2/ERROR [name_taken] username "Big Al" is already taken');
    expect(chat.server.hub.room.size).toBe(2);
  });

  it('UPDATE: the same names are refused or taken, and a rename stores one space', async () => {
    chat = await withChatServer({ name: 'Chatter Server' });
    const alice = await chat.connect('alice');
    const bob = await chat.connect('bob');
    await alice.next(); // bob joined
    for (const name of REFUSED) {
      bob.send(`c2/UPDATE username; ${name}`);
      expect(await bob.next(), JSON.stringify(name)).toMatch(/^c2\/ERROR \[bad_username\] username may /);
    }
    for (const name of ALICE_LOOKALIKES) {
      bob.send(`c2/UPDATE username; ${name}`);
      expect(await bob.next(), JSON.stringify(name)).toMatch(/^c2\/ERROR \[name_taken\] .*it looks like "alice"$/);
    }
    bob.send('c2/UPDATE username; Chatter  Server');
    expect(await bob.next()).toMatch(/^c2\/ERROR \[name_reserved\] /);
    bob.send('c2/UPDATE username; bob  the\u2003builder');
    expect(await bob.next()).toBe('c2/ACKNOWLEDGE bob the builder');
    expect(await alice.next()).toBe('c2/UPDATE bob; username; bob the builder');
  });
});
