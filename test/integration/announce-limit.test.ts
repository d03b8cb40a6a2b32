import { afterEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';

let chat: ChatFixture;
afterEach(() => chat.close());

/** Large rooms (PROTOCOL.md): `--announce-limit` and the paged `active_users`. */
describe('announce limit', () => {
  it('announces joins and leaves up to the limit, then only renames and bans', async () => {
    chat = await withChatServer({ announceLimit: 2, opPassword: 'pw' });
    const a = await chat.connect('alice');
    const b = await chat.connect('bob'); // the 2nd user: announced
    expect(await a.next()).toBe('c2/CONNECT bob');
    const c = await chat.connect('carol'); // the 3rd: more than 2, not announced
    b.send('c2/DISCONNECT'); // 3 connected counting bob: not announced
    expect(await b.next()).toBe('c2/ACKNOWLEDGE');
    c.send('c2/UPDATE username; caroline'); // renames always are
    expect(await c.next()).toBe('c2/ACKNOWLEDGE caroline');
    expect(await a.next()).toBe('c2/UPDATE carol; username; caroline');
    c.send('c2/DISCONNECT'); // 2 connected counting caroline: announced again
    expect(await a.next()).toBe('c2/DISCONNECT disconnect; caroline');
    a.send('c2/QUERY server_info');
    const info = JSON.parse((await a.next()).slice('c2/ACKNOWLEDGE '.length));
    expect(info).toMatchObject({ connectedUsers: 1, announceLimit: 2 });
    await a.quiet();
  });

  it('a user joining past the limit gets no announcement of a join before its own', async () => {
    // bob (the 2nd: announced) and carol (the 3rd: not) join in one turn, while bob's
    // announcement waits in the join batch: carol's first frame must be her ACKNOWLEDGE.
    chat = await withChatServer({ announceLimit: 2 });
    const a = await chat.connect('alice');
    const b = await chat.open();
    const c = await chat.open();
    b.send('c2/CONNECT bob');
    c.send('c2/CONNECT carol');
    expect(await b.next()).toBe('c2/ACKNOWLEDGE Test');
    expect(await c.next()).toBe('c2/ACKNOWLEDGE Test');
    expect(await a.next()).toBe('c2/CONNECT bob');
    await c.quiet();
  });

  it('bans are announced above the limit', async () => {
    chat = await withChatServer({ announceLimit: 0, opPassword: 'pw' });
    const a = await chat.connect('alice');
    const b = await chat.connect('bob');
    a.send('c2/QUERY op; pw');
    await a.next();
    a.send('c2/QUERY ban; bob; spam');
    expect(await b.next()).toBe('c2/DISCONNECT ban; bob; spam');
    expect(await a.next()).toBe('c2/DISCONNECT ban; bob; spam');
  });
});

describe('active_users pages', () => {
  it('answers a page of the join order, at most 1,000 names', async () => {
    chat = await withChatServer({ announceLimit: 0, maxUsers: 1_100 });
    const names = ['u0', 'u1', 'u2', 'u3', 'u4'];
    const users = [];
    for (const name of names) users.push(await chat.connect(name));
    const a = users[0];
    if (!a) throw new Error('no user');
    a.send('c2/QUERY active_users; 1; 2');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE ["u1","u2"]');
    a.send('c2/QUERY active_users; 3');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE ["u3","u4"]');
    a.send('c2/QUERY active_users; 9; 5');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE []');
    a.send(`c2/QUERY active_users; 0; ${'9'.repeat(64)}`);
    expect(await a.next()).toBe(`c2/ACKNOWLEDGE ${JSON.stringify(names)}`);
    a.send('c2/QUERY active_users');
    expect(await a.next()).toBe(`c2/ACKNOWLEDGE ${JSON.stringify(names)}`);
  });

  it('refuses bad pages and keeps the connection', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    for (const bad of ['x', '-1', '1.5', '0; 0', '0; x', '0; 1; 2', '1'.repeat(65)]) {
      a.send(`c2/QUERY active_users; ${bad}`);
      expect(await a.next()).toMatch(/^c2\/ERROR \[bad_argument\] active_users needs /);
    }
    a.send('c2/QUERY active_users');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE ["alice"]');
  });

  it('a page holds at most 1,000 names; the whole list past the answer bound is refused', async () => {
    // A small slow-consumer limit makes the answer bound (half of it) small enough to pass.
    chat = await withChatServer({ announceLimit: 0, maxUsers: 1_100, limits: { slowConsumerBytes: 16 * 1024 } });
    const a = await chat.connect('user0');
    // The others join concurrently, so their order is checked only by name set and position 0.
    for (let i = 1; i < 1_001; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(i + 100, 1_001); j++) batch.push(chat.connect(`user${j}`));
      await Promise.all(batch);
    }
    a.send('c2/QUERY active_users; 0; 1000000');
    const page = JSON.parse((await a.next()).slice('c2/ACKNOWLEDGE '.length)) as string[];
    expect(page.length).toBe(1_000);
    expect(page[0]).toBe('user0');
    a.send('c2/QUERY active_users; 1000');
    const rest = JSON.parse((await a.next()).slice('c2/ACKNOWLEDGE '.length)) as string[];
    expect(rest.length).toBe(1);
    expect(new Set([...page, ...rest]).size).toBe(1_001);
    a.send('c2/QUERY active_users');
    expect(await a.next()).toMatch(/^c2\/ERROR \[too_large\] 1001 users are connected/);
  }, 60_000);
});
