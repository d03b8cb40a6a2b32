import { afterEach, describe, expect, it } from 'vitest';
import { C2Error } from '../../src/client/errors.js';
import { NodeC2Client } from '../../src/client/node.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { settle, trackedClient } from './helpers.js';

let chat: ChatFixture;
afterEach(() => chat?.close());

describe('C2Client: connect', () => {
  it('resolves with the server name, knows the users and reports its states', async () => {
    chat = await withChatServer({ name: 'Test Room' });
    const bob = await chat.connect('bob');
    const { client, events } = trackedClient();
    expect(client.state).toBe('idle');
    expect(await client.connect(chat.url, 'alice')).toBe('Test Room');
    expect(client.state).toBe('connected');
    expect(client.serverName).toBe('Test Room');
    expect(client.username).toBe('alice');
    expect(client.users).toEqual(['bob', 'alice']);
    expect(events.users.at(-1)).toEqual(['bob', 'alice']);
    expect(events.state.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(events.state[1]).toMatchObject({ state: 'connected', serverName: 'Test Room' });
    expect(await bob.next()).toBe('c2/CONNECT alice');
  });

  it('joins under the NFC form of the name, as the server holds it', async () => {
    chat = await withChatServer();
    const { client } = trackedClient();
    await client.connect(chat.url, 'Rene\u0301');
    expect(client.username).toBe('René');
    // The own-message echo is recognised under the normalised name.
    expect(await client.send('salut')).toMatchObject({ username: 'René', own: true });
  });

  it("rejects with the server's own reason, and can then connect again", async () => {
    chat = await withChatServer();
    await chat.connect('alice');
    const { client, events } = trackedClient();
    const refused = await settle(client.connect(chat.url, 'ALICE'));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error).toBeInstanceOf(C2Error);
    expect(refused.error.code).toBe('server');
    expect(refused.error.message).toBe('username "ALICE" is already taken');
    expect((refused.error as C2Error).serverCode).toBe('name_taken');
    expect((refused.error as C2Error).isNameProblem).toBe(true);
    expect(client.state).toBe('closed');
    expect(events.state.at(-1)).toMatchObject({ state: 'closed', error: { code: 'server' } });

    const bad = await settle(client.connect(chat.url, 'semi;colon'));
    expect(bad.ok ? '' : bad.error.message).toBe('username may not contain ";"');
    expect(bad.ok ? '' : (bad.error as C2Error).serverCode).toBe('bad_username');

    expect(await client.connect(chat.url, 'alice2')).toBe('Test');
    expect(client.users).toEqual(['alice', 'alice2']);
  });

  it("tells a name the server will not take from a refusal that is not the name's fault", async () => {
    chat = await withChatServer({ maxUsers: 1 });
    await chat.connect('alice');
    const full = await settle(new NodeC2Client().connect(chat.url, 'bob'));
    expect(full.ok).toBe(false);
    if (full.ok) return;
    expect(full.error).toMatchObject({
      code: 'server',
      serverCode: 'server_full',
      message: 'server is full (1 users)',
    });
    expect((full.error as C2Error).isNameProblem).toBe(false);
  });

  it('rejects readable errors for a bad URL and an unreachable server', async () => {
    chat = await withChatServer();
    const { client } = trackedClient();
    await expect(client.connect('http://127.0.0.1:1', 'a')).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('not a WebSocket URL'),
    });
    await expect(client.connect('not a url', 'a')).rejects.toMatchObject({ code: 'invalid_argument' });
    // A port nobody listens on: the chat server's, once it is closed.
    const { port } = chat.server;
    await chat.server.close();
    await expect(client.connect(`ws://127.0.0.1:${port}`, 'a')).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringMatching(/cannot connect to ws:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/),
    });
    expect(client.state).toBe('closed');
  });

  it('refuses a second connect while connected, and requests while not connected', async () => {
    chat = await withChatServer();
    const { client } = trackedClient();
    await expect(client.send('x')).rejects.toMatchObject({ code: 'not_connected' });
    await expect(client.ping()).rejects.toMatchObject({ code: 'not_connected' });
    await expect(client.query('active_users')).rejects.toMatchObject({ code: 'not_connected' });
    await expect(client.rename('x')).rejects.toMatchObject({ code: 'not_connected' });
    await client.connect(chat.url, 'alice');
    await expect(client.connect(chat.url, 'alice')).rejects.toMatchObject({ code: 'invalid_state' });
    expect(client.state).toBe('connected');
  });
});

describe('C2Client: requests', () => {
  it('send resolves with the echo; others receive the text verbatim (trailing argument)', async () => {
    chat = await withChatServer();
    const bob = await chat.connect('bob');
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    await bob.next();
    const echo = await client.send('hello; world\n\tsecond line');
    expect(echo).toMatchObject({ username: 'alice', text: 'hello; world\n\tsecond line', own: true });
    expect(typeof echo.time).toBe('number');
    expect(events.message).toEqual([echo]);
    expect(await bob.next()).toBe('c2/MSG alice; hello; world\n\tsecond line');

    bob.send('c2/MSG hi alice');
    await eventually(() => events.message.length === 2, 'bob’s message');
    expect(events.message[1]).toMatchObject({ username: 'bob', text: 'hi alice', own: false });
  });

  it("send rejects with the server's ERROR and the connection stays usable", async () => {
    chat = await withChatServer({ limits: { messageMaxLength: 5 } });
    const { client } = trackedClient();
    await client.connect(chat.url, 'alice');
    await expect(client.send('   ')).rejects.toMatchObject({ code: 'server', message: 'message is only white space' });
    await expect(client.send('toolong')).rejects.toMatchObject({ message: 'message is longer than 5 characters' });
    await expect(client.send('a\rb')).rejects.toMatchObject({ code: 'server' });
    expect(await client.send('fine')).toMatchObject({ text: 'fine' });
  });

  it('query parses JSON answers and passes text answers through', async () => {
    chat = await withChatServer({ opPassword: 'correct horse' });
    const bob = await chat.connect('bob');
    const { client } = trackedClient();
    await client.connect(chat.url, 'alice');
    await client.send('one');
    await client.send('two; three');

    expect(await client.query('active_users')).toEqual(['bob', 'alice']);
    expect(await client.query('server_info')).toEqual({
      id: 7,
      name: 'Test',
      connectedUsers: 2,
      maxUsers: 50,
      announceLimit: 1000,
      version: expect.any(String),
      epoch: expect.stringMatching(/^[0-9a-f]{16}$/),
      lastSeq: 2,
      you: 'alice',
    });
    const history = await client.query('history', '1');
    expect(history).toEqual([{ seq: 2, username: 'alice', text: 'two; three', time: expect.any(Number) }]);
    const help = await client.query('help');
    expect(help.map((h) => h.name)).toEqual(expect.arrayContaining(['help', 'history', 'op', 'ban', 'unban']));

    await expect(client.query('op', 'wrong')).rejects.toMatchObject({ code: 'server' });
    await expect(client.query('ban', 'bob')).rejects.toMatchObject({ message: 'ban is for operators only' });
    expect(await client.query('op', 'correct horse')).toBe('you are now an operator');
    expect(await client.query('ban', 'bob', 'spamming; again')).toBe('banned "bob" and disconnected them');
    expect(await bob.until((f) => f.startsWith('c2/DISCONNECT'))).toBe('c2/DISCONNECT ban; bob; spamming; again');
    expect(await client.query('unban', 'bob')).toBe('unbanned "bob"');

    await expect(client.query('nope')).rejects.toMatchObject({
      code: 'server',
      message: 'unknown query "nope": c2/QUERY help lists them',
    });
  });

  it('query refuses what it cannot put on the wire faithfully', async () => {
    chat = await withChatServer();
    const { client } = trackedClient();
    await client.connect(chat.url, 'alice');
    await expect(client.query('')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(client.query('history; 5')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(client.query('ban', 'a; b', 'msg')).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('rename changes our name, announces it, and rejects a taken name', async () => {
    chat = await withChatServer();
    const bob = await chat.connect('bob');
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    await bob.next();
    await client.rename('Alicia');
    expect(client.username).toBe('Alicia');
    expect(await bob.next()).toBe('c2/UPDATE alice; username; Alicia');
    await eventually(() => events.rename.length === 1, 'the rename event');
    expect(events.rename[0]).toEqual({ from: 'alice', to: 'Alicia', own: true });
    expect(client.users).toEqual(['bob', 'Alicia']);

    await expect(client.rename('BOB')).rejects.toMatchObject({ message: 'username "BOB" is already taken' });
    expect(client.username).toBe('Alicia');
    // Renaming to the same name is acknowledged without a broadcast.
    await client.rename('Alicia');
    expect(await client.send('still me')).toMatchObject({ username: 'Alicia', own: true });
  });

  it('ping resolves with the round trip and the server id', async () => {
    chat = await withChatServer({ id: 9_007_199_254_740_991 });
    const { client } = trackedClient();
    await client.connect(chat.url, 'alice');
    const result = await client.ping();
    expect(result.serverId).toBe(9_007_199_254_740_991);
    expect(result.rttMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(result.rttMs)).toBe(true);
  });

  it('disconnect resolves after the ACKNOWLEDGE and the close; the others are told', async () => {
    chat = await withChatServer();
    const bob = await chat.connect('bob');
    const { client, events } = trackedClient();
    await client.connect(chat.url, 'alice');
    await bob.next();
    const sent = client.send('bye all');
    await client.disconnect();
    // Requests made before disconnect() are answered first.
    expect(await sent).toMatchObject({ text: 'bye all' });
    expect(client.state).toBe('closed');
    expect(events.close).toEqual([{ code: 1000, reason: '', willReconnect: false }]);
    expect(await bob.next()).toBe('c2/MSG alice; bye all');
    expect(await bob.next()).toBe('c2/DISCONNECT disconnect; alice');
    await expect(client.send('too late')).rejects.toMatchObject({ code: 'not_connected' });
    await client.disconnect(); // a second call is harmless
    await eventually(() => chat.server.hub.openSockets === 1, 'the server to see the socket closed');
  });

  it('bounds the requests in flight', async () => {
    chat = await withChatServer();
    const { client } = trackedClient({ maxInFlight: 3 });
    await client.connect(chat.url, 'alice');
    const results = await Promise.all([1, 2, 3, 4].map(() => settle(client.query('server_info'))));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3]?.ok ? '' : results[3]?.error.code).toBe('too_many_requests');
    // Once answered, the slots are free again.
    expect(await client.query('active_users')).toEqual(['alice']);
  });
});
