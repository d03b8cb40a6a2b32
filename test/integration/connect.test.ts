import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { TestClient } from '../helpers/ws-client.js';

let chat: ChatFixture;
beforeEach(async () => {
  chat = await withChatServer({ maxUsers: 3, limits: { registrationTimeoutMs: 300 } });
});
afterEach(() => chat.close());

describe('CONNECT', () => {
  it('acknowledges with the server name and announces the join to the others only', async () => {
    const alice = await chat.open();
    alice.send('c2/CONNECT alice');
    expect(await alice.next()).toBe('c2/ACKNOWLEDGE Test');
    const bob = await chat.open();
    bob.send('c2/CONNECT bob');
    expect(await bob.next()).toBe('c2/ACKNOWLEDGE Test');
    expect(await alice.next()).toBe('c2/CONNECT bob');
    await bob.quiet();
  });

  it('refuses invalid usernames with an ERROR and keeps the socket open', async () => {
    const c = await chat.open();
    for (const bad of ['', ' x', 'x ', 'a;b', 'a'.repeat(17), 'a\u200bb', '\u202ealice', 'a\u0007b']) {
      c.send(`c2/CONNECT ${bad}`);
      expect(await c.next(), JSON.stringify(bad)).toMatch(/^c2\/ERROR /);
    }
    c.send('c2/CONNECT fine');
    expect(await c.next()).toBe('c2/ACKNOWLEDGE Test');
  });

  it('announces the NFC form of a name', async () => {
    const a = await chat.connect('watcher');
    const b = await chat.open();
    b.send('c2/CONNECT Rene\u0301');
    expect(await b.next()).toBe('c2/ACKNOWLEDGE Test');
    expect(await a.next()).toBe('c2/CONNECT René');
  });

  it('keeps usernames unique case-insensitively, look-alikes included', async () => {
    await chat.connect('Alice');
    const c = await chat.open();
    for (const taken of ['alice', 'ALICE', 'ａｌｉｃｅ']) {
      c.send(`c2/CONNECT ${taken}`);
      expect(await c.next()).toMatch(/^c2\/ERROR .*already taken/);
    }
  });

  it('frees a name when its user leaves', async () => {
    const a = await chat.connect('alice');
    a.send('c2/DISCONNECT');
    await a.waitClose();
    await chat.connect('ALICE');
  });

  it('refuses a second CONNECT on a connected socket', async () => {
    const a = await chat.connect('alice');
    a.send('c2/CONNECT other');
    expect(await a.next()).toMatch(/^c2\/ERROR \[already_connected\] already connected/);
  });

  it('refuses CONNECT when the server is full', async () => {
    await chat.connect('a');
    await chat.connect('b');
    await chat.connect('c');
    const d = await chat.open();
    d.send('c2/CONNECT d');
    expect(await d.next()).toMatch(/^c2\/ERROR \[server_full\] server is full/);
  });

  it('accepts only CONNECT and PING before connecting', async () => {
    const c = await chat.open();
    for (const frame of ['c2/MSG hi', 'c2/QUERY help', 'c2/UPDATE username; x', 'c2/DISCONNECT']) {
      c.send(frame);
      expect(await c.next(), frame).toMatch(/^c2\/ERROR .*needs a connection/);
    }
    c.send('c2/PING');
    expect(await c.next()).toBe('c2/PING 7');
  });

  it('closes a connection that neither connects nor pings in time', async () => {
    const idle = await chat.open();
    expect(await idle.waitClose(2000)).toBe(1008);
    const connected = await chat.connect('stays');
    // Another idle socket, opened after: once it is closed, the first one's clock has run out too.
    const later = await chat.open();
    expect(await later.waitClose(2000)).toBe(1008);
    await connected.quiet();
    expect(connected.closeCode).toBeUndefined();
  });

  it('lets a PING restart the registration clock', async () => {
    const c = await chat.open();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 150));
      c.send('c2/PING');
      expect(await c.next()).toBe('c2/PING 7');
    }
    expect(c.closeCode).toBeUndefined();
  });
});

describe('unknown and malformed frames', () => {
  it('answers ERROR and keeps the connection', async () => {
    const c = await TestClient.open(chat.url);
    for (const frame of ['hello', '', 'c2/', 'c2/msg hi', 'c2/NOPE x', 'C2/MSG x', 'c2/MSGx']) {
      c.send(frame);
      expect(await c.next(), frame).toMatch(/^c2\/ERROR ./);
    }
    c.send('c2/CONNECT alice');
    expect(await c.next()).toBe('c2/ACKNOWLEDGE Test');
    c.close();
  });
});
