import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';

let chat: ChatFixture;
beforeEach(async () => {
  chat = await withChatServer({ maxUsers: 20 });
});
afterEach(() => chat.close());

function ackJson(frame: string): unknown {
  expect(frame).toMatch(/^c2\/ACKNOWLEDGE /);
  return JSON.parse(frame.slice('c2/ACKNOWLEDGE '.length));
}

describe('QUERY', () => {
  it('help lists every query with name, args and description', async () => {
    const c = await chat.connect('alice');
    c.send('c2/QUERY help');
    const list = ackJson(await c.next()) as Array<{ name: string; args: string[]; description: string }>;
    expect(list.map((q) => q.name)).toEqual(expect.arrayContaining(['help', 'active_users', 'server_info']));
    for (const q of list) {
      expect(Array.isArray(q.args)).toBe(true);
      expect(q.description.length).toBeGreaterThan(10);
    }
  });

  it('active_users lists connected users in join order, renames keeping their place', async () => {
    const a = await chat.connect('alice');
    await chat.connect('bob');
    const c = await chat.connect('carol');
    a.send('c2/UPDATE username; zed');
    expect(await a.until((f) => f.startsWith('c2/ACKNOWLEDGE'))).toBe('c2/ACKNOWLEDGE zed');
    c.send('c2/QUERY active_users');
    expect(ackJson(await c.until((f) => f.startsWith('c2/ACKNOWLEDGE')))).toEqual(['zed', 'bob', 'carol']);
  });

  it('server_info describes the server', async () => {
    const c = await chat.connect('alice');
    await chat.connect('bob');
    c.send('c2/QUERY server_info');
    expect(ackJson(await c.until((f) => f.startsWith('c2/ACKNOWLEDGE')))).toEqual({
      id: 7,
      name: 'Test',
      connectedUsers: 2,
      maxUsers: 20,
      announceLimit: 1000,
      version: VERSION,
      epoch: chat.server.hub.messages.epoch,
      lastSeq: 0,
      you: 'alice',
    });
  });

  it('refuses unknown, empty and operator-only queries', async () => {
    const c = await chat.connect('alice');
    for (const frame of ['c2/QUERY nope', 'c2/QUERY', 'c2/QUERY HELP', 'c2/QUERY help ']) {
      c.send(frame);
      expect(await c.next(), frame).toMatch(/^c2\/ERROR /);
    }
  });
});

describe('UPDATE username', () => {
  it('acknowledges and tells everyone, the renamer included', async () => {
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    await a.next();
    a.send('c2/UPDATE username; Alicia');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE Alicia');
    expect(await a.next()).toBe('c2/UPDATE alice; username; Alicia');
    expect(await b.next()).toBe('c2/UPDATE alice; username; Alicia');
    a.send('c2/MSG hi');
    expect(await b.next()).toBe('c2/MSG Alicia; hi');
  });

  it('lets a user change the case of their own name, and frees the old name', async () => {
    const a = await chat.connect('alice');
    a.send('c2/UPDATE username; ALICE');
    expect(await a.take(2)).toEqual(['c2/ACKNOWLEDGE ALICE', 'c2/UPDATE alice; username; ALICE']);
    a.send('c2/UPDATE username; bert');
    expect(await a.take(2)).toEqual(['c2/ACKNOWLEDGE bert', 'c2/UPDATE ALICE; username; bert']);
    await chat.connect('Alice');
  });

  it('acknowledges a rename to the same name without a broadcast', async () => {
    const a = await chat.connect('alice');
    a.send('c2/UPDATE username; alice');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE alice');
    await a.quiet();
  });

  it('answers the name as stored (NFC) in the ACKNOWLEDGE and in server_info', async () => {
    const a = await chat.connect('Zoe\u0301'); // "Zoé" with a combining accent
    a.send('c2/QUERY server_info');
    expect(ackJson(await a.next())).toMatchObject({ you: 'Zo\u00e9' });
    a.send('c2/UPDATE username; Andre\u0301');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE Andr\u00e9');
    expect(await a.next()).toBe('c2/UPDATE Zo\u00e9; username; Andr\u00e9');
    a.send('c2/QUERY server_info');
    expect(ackJson(await a.next())).toMatchObject({ you: 'Andr\u00e9' });
  });

  it('refuses a query that takes no arguments when given some', async () => {
    const a = await chat.connect('alice');
    a.send('c2/QUERY server_info; x');
    expect(await a.next()).toBe('c2/ERROR [too_many_arguments] server_info takes no arguments');
    a.send('c2/QUERY server_info; ');
    expect(ackJson(await a.next())).toMatchObject({ you: 'alice' });
    // active_users takes a page (PROTOCOL.md, Large rooms); an empty argument is none.
    a.send('c2/QUERY active_users; ');
    expect(ackJson(await a.next())).toEqual(['alice']);
    a.send('c2/QUERY active_users; x');
    expect(await a.next()).toMatch(/^c2\/ERROR \[bad_argument\] active_users needs a whole number offset/);
  });

  it('refuses taken names, invalid names and unknown properties', async () => {
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    await a.next();
    for (const frame of [
      'c2/UPDATE username; BOB',
      'c2/UPDATE username; ',
      'c2/UPDATE username; a;b',
      `c2/UPDATE username; ${'x'.repeat(17)}`,
      'c2/UPDATE username',
      'c2/UPDATE colour; red',
      'c2/UPDATE',
    ]) {
      a.send(frame);
      expect(await a.next(), frame).toMatch(/^c2\/ERROR /);
    }
    await b.quiet();
  });
});
