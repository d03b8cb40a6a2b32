/** The terminal client (Ink) on a fake terminal, against a real chat server. */
import { afterEach, describe, expect, it } from 'vitest';
import { NodeC2Client } from '../../src/client/node.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { dropOnServer } from './helpers.js';
import { KEY, renderChat } from './tui-helpers.js';

let chat: ChatFixture;
afterEach(() => chat?.close());

describe('c2 chat (terminal client)', () => {
  it('joins, shows the room, sends with Enter and shows what others do', async () => {
    chat = await withChatServer({ opPassword: 'pw' });
    const bob = await chat.connect('bob');
    const ui = renderChat(chat.url, 'alice');
    await ui.waitFor('connected to Test as alice');
    expect(ui.lines()[0]).toMatch(/c2 · Test · ws:\/\/127\.0\.0\.1:\d+ · alice .*● connected/);
    expect(ui.frame()).toContain('users (2)');
    expect(ui.frame()).toMatch(/│ bob\s*\n.*│ alice \(you\)/);

    await ui.type('hello; bob', KEY.enter);
    await ui.waitFor(/\d\d:\d\d <alice> hello; bob/);
    expect(await bob.until((f) => f.startsWith('c2/MSG'))).toBe('c2/MSG alice; hello; bob');
    expect(ui.input()).toBe('>');

    bob.send('c2/MSG hi alice');
    await ui.waitFor('<bob> hi alice');
    const carol = await chat.connect('carol');
    await ui.waitFor('→ carol joined');
    expect(ui.frame()).toContain('users (3)');
    bob.send('c2/UPDATE username; Robert');
    await ui.waitFor('bob is now known as Robert');
    await eventually(() => ui.frame().includes('│ Robert'), 'the user list to follow the rename');
    carol.close();
    await ui.waitFor('← carol lost the connection');
    bob.send('c2/DISCONNECT');
    await ui.waitFor('← Robert left');
    expect(ui.frame()).toContain('users (1)');

    const mallory = await chat.connect('mallory');
    await ui.waitFor('→ mallory joined');
    await ui.type('/op pw', KEY.enter);
    await ui.waitFor('you are now an operator');
    await ui.type('/ban mallory no spam; please', KEY.enter);
    await ui.waitFor('✖ mallory was banned: no spam; please');
    await ui.waitFor('banned "mallory" and disconnected them');
    expect(await mallory.until((f) => f.startsWith('c2/DISCONNECT'))).toBe(
      'c2/DISCONNECT ban; mallory; no spam; please',
    );
  });

  it('runs the slash commands and shows every server error', async () => {
    chat = await withChatServer();
    const bob = await chat.connect('bob');
    bob.send('c2/MSG earlier words');
    const ui = renderChat(chat.url, 'alice');
    await ui.waitFor('connected to Test as alice');

    await ui.type('/users', KEY.enter);
    await ui.waitFor('2 users: bob, alice');
    await ui.type('/history 5', KEY.enter);
    await ui.waitFor('── the last 1 message ──');
    expect(ui.frame()).toMatch(/<bob> earlier words\s*│\n.*── end of history ──/);
    await ui.type('/ping', KEY.enter);
    await ui.waitFor(/pong from server 7 in [\d.]+ ms/);
    await ui.type('/query server_info', KEY.enter);
    await ui.waitFor('"maxUsers": 50');
    await ui.type('/query history; 1', KEY.enter);
    await ui.waitFor('"text": "earlier words"');

    await ui.type('/nick bob', KEY.enter);
    await ui.waitFor('✗ /nick: username "bob" is already taken');
    await ui.type('/query nope', KEY.enter);
    await ui.waitFor('✗ /query: unknown query "nope"');
    await ui.type('/op wrong', KEY.enter);
    await ui.waitFor(/✗ \/op: .*operator/);
    await ui.type('/ban bob', KEY.enter);
    await ui.waitFor('✗ /ban: ban is for operators only');
    await ui.type('   x   ', KEY.enter); // fine: not only white space
    await ui.type('/history x', KEY.enter);
    await ui.waitFor('✗ usage: /history [N]');
    await ui.type('/frobnicate', KEY.enter);
    await ui.waitFor('✗ unknown command /frobnicate: /help lists the commands');

    await ui.type('//slash at the start', KEY.enter);
    await ui.waitFor('<alice> /slash at the start');
    await ui.type('/nick alicia', KEY.enter);
    await ui.waitFor('you are now known as alicia');
    expect(ui.lines()[0]).toContain('· alicia');
    expect(await bob.until((f) => f.startsWith('c2/UPDATE'))).toBe('c2/UPDATE alice; username; alicia');

    await ui.type('/help', KEY.enter);
    await ui.waitFor('/quit');
    expect(ui.frame()).toContain('/history [N]');
    await ui.type('/clear', KEY.enter);
    await eventually(() => !ui.frame().includes('/history [N]'), 'the pane to clear');
  });

  it('shows a message that was refused, without sending it', async () => {
    chat = await withChatServer({ limits: { messageMaxLength: 10 } });
    const ui = renderChat(chat.url, 'alice');
    await ui.waitFor('connected to Test');
    await ui.type('this is far too long', KEY.enter);
    await ui.waitFor('✗ not sent: message is longer than 10 characters');
    expect(ui.frame()).not.toContain('<alice>');
  });

  it('edits the input line and walks its history with up and down', async () => {
    chat = await withChatServer();
    const ui = renderChat(chat.url, 'alice');
    await ui.waitFor('connected to Test');
    await ui.type('first', KEY.enter, 'second', KEY.enter);
    await ui.waitFor('<alice> second');

    await ui.type('draft');
    await ui.type(KEY.up);
    expect(ui.input()).toBe('> second');
    await ui.type(KEY.up);
    expect(ui.input()).toBe('> first');
    await ui.type(KEY.up); // the oldest: stays
    expect(ui.input()).toBe('> first');
    await ui.type(KEY.down);
    expect(ui.input()).toBe('> second');
    await ui.type(KEY.down);
    expect(ui.input()).toBe('> draft');

    await ui.type(KEY.left, KEY.left, 'X', KEY.backspace, 'Y');
    expect(ui.input()).toBe('> draYft');
    await ui.type(KEY.ctrlU);
    expect(ui.input()).toBe('> ft');
    await ui.type(KEY.ctrlW, ' two words', KEY.ctrlW);
    expect(ui.input()).toBe('>  two ft');
    await ui.type(KEY.ctrlU, 'ali', KEY.tab);
    expect(ui.input()).toBe('> alice: ft');
    await ui.type(KEY.ctrlU);
    expect(ui.input()).toBe('> ft');
  });

  it('asks for a name when none is given, and again when the server refuses it', async () => {
    chat = await withChatServer();
    await chat.connect('bob');
    const ui = renderChat(chat.url);
    await ui.waitFor('Your name:');
    expect(ui.frame()).toContain(`Joining ${chat.url}`);
    await ui.type('a;b', KEY.enter);
    await ui.waitFor('✗ username may not contain ";"');
    await ui.type(KEY.ctrlU, 'BOB', KEY.enter);
    await ui.waitFor('✗ username "BOB" is already taken');
    expect(ui.frame()).toContain('Your name: BOB');
    await ui.type(KEY.ctrlU, 'alice', KEY.enter);
    await ui.waitFor('connected to Test as alice');
  });

  it('asks for another name only when the name is the problem: a full server ends it', async () => {
    chat = await withChatServer({ maxUsers: 1 });
    await chat.connect('bob');
    const ui = renderChat(chat.url, 'alice');
    const exit = await ui.waitExit();
    expect(exit.code).toBe(1);
    expect(exit.message).toBe('server is full (1 users)');
  });

  it('exits 1 with a readable message when the server cannot be reached', async () => {
    chat = await withChatServer();
    const url = chat.url;
    await chat.server.close();
    const ui = renderChat(url, 'alice');
    const exit = await ui.waitExit();
    expect(exit.code).toBe(1);
    expect(exit.message).toMatch(/^cannot connect to ws:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('/quit and Ctrl+C leave with the DISCONNECT acknowledged and exit 0', async () => {
    chat = await withChatServer();
    const bob = await chat.connect('bob');
    const ui = renderChat(chat.url, 'alice');
    await ui.waitFor('connected to Test');
    await ui.type('/quit', KEY.enter);
    expect(await ui.waitExit()).toEqual({ code: 0 });
    expect(ui.client.state).toBe('closed');
    expect(await bob.until((f) => f.startsWith('c2/DISCONNECT'))).toBe('c2/DISCONNECT disconnect; alice');

    const again = renderChat(chat.url, 'carol');
    await again.waitFor('connected to Test');
    await again.type(KEY.ctrlC);
    expect(await again.waitExit()).toEqual({ code: 0 });
    expect(await bob.until((f) => f.startsWith('c2/DISCONNECT'))).toBe('c2/DISCONNECT disconnect; carol');
  });

  it('exits 1 when banned, with the ban message', async () => {
    chat = await withChatServer({ opPassword: 'pw' });
    const op = await chat.connect('op');
    op.send('c2/QUERY op; pw');
    await op.next();
    const ui = renderChat(chat.url, 'alice', new NodeC2Client({ reconnect: true }));
    await ui.waitFor('connected to Test');
    op.send('c2/QUERY ban; alice; behave');
    await ui.waitFor('✖ you were banned: behave');
    expect(await ui.waitExit()).toEqual({ code: 1, message: 'banned from Test: behave' });
  });

  it('shows reconnecting in the status bar, restores what was said meanwhile, and carries on after', async () => {
    chat = await withChatServer();
    const client = new NodeC2Client({ reconnect: { initialDelayMs: 800, jitter: 0 } });
    const ui = renderChat(chat.url, 'alice', client);
    await ui.waitFor('connected to Test');
    const bob = await chat.connect('bob');
    bob.send('c2/MSG before');
    await ui.waitFor('<bob> before');
    dropOnServer(chat.server, 'alice');
    await ui.waitFor('◌ reconnecting (attempt 1, 800 ms)');
    await ui.waitFor('disconnected (the connection was lost); reconnecting in 800 ms');
    bob.send('c2/MSG missed one');
    bob.send('c2/MSG missed two');
    await bob.until((f) => f === 'c2/MSG bob; missed two');
    await ui.waitFor('Reconnected — 2 missed messages restored');
    expect(ui.lines()[0]).toContain('● connected');
    const shown = ui.frame();
    for (const text of ['<bob> before', '<bob> missed one', '<bob> missed two']) {
      expect(shown.split(text).length - 1).toBe(1);
    }
    expect(shown.indexOf('<bob> missed two')).toBeLessThan(shown.indexOf('Reconnected — 2 missed'));
    await ui.type('still here', KEY.enter);
    await ui.waitFor('<alice> still here');
  });

  it('marks the server’s announcements, live and restored after a reconnect', async () => {
    chat = await withChatServer();
    const client = new NodeC2Client({ reconnect: { initialDelayMs: 800, jitter: 0 } });
    const ui = renderChat(chat.url, 'alice', client);
    await ui.waitFor('connected to Test');
    expect(chat.server.hub.announce('live notice')).toBeNull();
    await ui.waitFor('SERVER  Test: live notice');
    dropOnServer(chat.server, 'alice');
    await ui.waitFor('reconnecting in 800 ms');
    expect(chat.server.hub.announce('said while away')).toBeNull();
    await ui.waitFor('Reconnected — 1 missed message restored');
    expect(ui.frame()).toContain('SERVER  Test: said while away');
    expect(ui.frame()).not.toContain('<Test>');
  });

  it('scrolls back with PageUp and returns with Esc; fits a resized terminal', async () => {
    chat = await withChatServer({ limits: { floodBurst: 1000, floodRatePerSecond: 1000 } });
    const bob = await chat.connect('bob');
    const ui = renderChat(chat.url, 'alice');
    await ui.waitFor('connected to Test');
    for (let i = 1; i <= 60; i++) bob.send(`c2/MSG line ${i}`);
    await ui.waitFor('<bob> line 60');
    expect(ui.lines().length).toBe(23); // 24 rows less one
    expect(ui.frame()).not.toContain('<bob> line 30 ');

    await ui.type(KEY.pageUp);
    await ui.waitFor(/── \d+ newer lines below · PgDn or Esc to return/);
    expect(ui.frame()).not.toContain('<bob> line 60');
    await ui.type(KEY.pageUp);
    await ui.waitFor('<bob> line 22');
    // New lines while scrolled back do not move what is being read.
    bob.send('c2/MSG line 61');
    await ui.waitFor(/── 3\d newer lines below/);
    expect(ui.frame()).toContain('<bob> line 22');
    await ui.type(KEY.escape);
    await ui.waitFor('<bob> line 61');

    Object.defineProperty(ui.stdout, 'rows', { value: 12, configurable: true });
    ui.stdout.emit('resize');
    await eventually(
      () => ui.lines().length === 11,
      () => `11 rows, not ${ui.lines().length}`,
    );
    expect(ui.frame()).toContain('<bob> line 61');
    expect(ui.lines()[0]).toContain('● connected');
    expect(ui.input()).toBe('>');
  });
});
