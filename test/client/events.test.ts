import { afterEach, describe, expect, it } from 'vitest';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { settle, trackedClient } from './helpers.js';

let chat: ChatFixture;
afterEach(() => chat?.close());

describe('C2Client: events', () => {
  it('joins, renames and departures of others, with the user list in join order', async () => {
    chat = await withChatServer();
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    const bob = await chat.connect('bob');
    const carol = await chat.connect('carol');
    await eventually(() => events.join.length === 2, 'two joins');
    expect(events.join).toEqual([{ username: 'bob' }, { username: 'carol' }]);
    expect(client.users).toEqual(['alice', 'bob', 'carol']);

    bob.send('c2/UPDATE username; Robert');
    await eventually(() => events.rename.length === 1, 'the rename');
    expect(events.rename[0]).toEqual({ from: 'bob', to: 'Robert', own: false });
    expect(client.users).toEqual(['alice', 'Robert', 'carol']);

    bob.send('c2/DISCONNECT');
    carol.close(); // dropped without a close frame
    await eventually(() => events.leave.length === 2, 'two departures');
    expect(events.leave).toEqual([
      { username: 'Robert', reason: 'disconnect', own: false },
      { username: 'carol', reason: 'lost_connection', own: false },
    ]);
    expect(client.users).toEqual(['alice']);
    expect(events.users.map((u) => u.join(','))).toEqual([
      'alice',
      'alice,bob',
      'alice,bob,carol',
      'alice,Robert,carol',
      'alice,carol',
      'alice',
    ]);
  });

  it('a ban of someone else carries the ban message', async () => {
    chat = await withChatServer({ opPassword: 'pw' });
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    await chat.connect('mallory');
    expect(await client.query('op', 'pw')).toBe('you are now an operator');
    await client.query('ban', 'mallory', 'spamming; twice');
    expect(events.leave).toEqual([{ username: 'mallory', reason: 'ban', message: 'spamming; twice', own: false }]);
    expect(client.users).toEqual(['alice']);
  });

  it('being banned: the own leave event, pending requests rejected, closed without reconnecting', async () => {
    chat = await withChatServer({ opPassword: 'pw' });
    const op = await chat.connect('op');
    op.send('c2/QUERY op; pw');
    expect(await op.next()).toBe('c2/ACKNOWLEDGE you are now an operator');
    const { client, events } = trackedClient({ reconnect: { initialDelayMs: 10 } });
    await client.connect(chat.url, 'alice');
    await op.next(); // CONNECT alice

    op.send('c2/QUERY ban; alice; go away');
    await eventually(() => events.leave.length === 1, 'the ban');
    expect(events.leave[0]).toEqual({ username: 'alice', reason: 'ban', message: 'go away', own: true });
    const late = await settle(client.send('am I still here?'));
    expect(late.ok ? '' : late.error.code).toMatch(/^(banned|not_connected)$/);

    await eventually(() => events.close.length === 1, 'the close');
    expect(events.close[0]).toMatchObject({
      code: 1008,
      willReconnect: false,
      error: { code: 'banned', message: 'go away' },
    });
    expect(client.state).toBe('closed');
    expect(events.state.at(-1)).toMatchObject({ state: 'closed', error: { code: 'banned' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(events.state.some((s) => s.state === 'reconnecting')).toBe(false);
  });

  it('a server shutdown closes with 1001 and rejects what is pending', async () => {
    chat = await withChatServer();
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    await chat.server.close();
    await eventually(() => events.close.length === 1, 'the close');
    expect(events.close[0]).toMatchObject({ code: 1001, willReconnect: false, error: { code: 'closed' } });
    expect(events.close[0]?.error?.message).toContain('shutting down');
    expect(client.state).toBe('closed');
    expect(client.users).toEqual([]);
  });

  it('listeners that throw do not disturb the client', async () => {
    chat = await withChatServer();
    const { client } = trackedClient();
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      client.on('message', () => {
        throw new Error('listener bug');
      });
      await client.connect(chat.url, 'alice');
      expect(await client.send('one')).toMatchObject({ text: 'one' });
      expect(await client.send('two')).toMatchObject({ text: 'two' });
      await eventually(() => uncaught.length === 2, 'the listener errors to surface');
      expect((uncaught[0] as Error).message).toBe('listener bug');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
