/**
 * The web chat's logic (everything but the DOM) against a real chat server, with the
 * client library on `ws`: history placed on joining and after reconnecting, notices,
 * slash commands, errors for the input, and batched updates.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeC2Client } from '../../src/client/node.js';
import { ChatSession } from '../../web/src/chat/chat-session.js';
import type { Entry } from '../../web/src/chat/entries.js';
import { dropOnServer } from '../client/helpers.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import type { TestClient } from '../helpers/ws-client.js';

/** The session tells the view on its schedule (a microtask here). */
const tick = () => new Promise((r) => setTimeout(r, 0));
const line = (e: Entry) => (e.kind === 'message' ? `${e.username}: ${e.text}` : `[${e.tone}] ${e.text}`);
const lines = (s: ChatSession) => s.getSnapshot().entries.map(line);
const messageLines = (s: ChatSession) =>
  s
    .getSnapshot()
    .entries.filter((e) => e.kind === 'message')
    .map(line);

describe('ChatSession', () => {
  let chat: ChatFixture;
  const sessions: ChatSession[] = [];

  beforeAll(async () => {
    chat = await withChatServer({
      name: 'Web Room',
      opPassword: 'sesame',
      limits: { floodRatePerSecond: 10_000, floodBurst: 10_000 },
    });
  });
  afterAll(() => chat.close());
  afterEach(async () => {
    await Promise.all(
      sessions.splice(0).map(async (s) => {
        await s.client.disconnect();
        s.dispose();
      }),
    );
  });

  function session(username: string, extra: Partial<ConstructorParameters<typeof ChatSession>[0]> = {}) {
    const s = new ChatSession({
      client: new NodeC2Client({ reconnect: { initialDelayMs: 30, maxDelayMs: 200 }, requestTimeoutMs: 5000 }),
      url: chat.url,
      username,
      ...extra,
    });
    sessions.push(s);
    return s;
  }

  async function settled(s: ChatSession, check: (lines: string[]) => boolean, what: string) {
    return eventually(
      () => check(lines(s)) && lines(s),
      () => `${what}; have ${JSON.stringify(lines(s))}`,
    );
  }

  it('marks the server’s announcements, live and in the history, and nobody else’s', async () => {
    // A server of its own: the announcements stay out of the others' history.
    const own = await withChatServer({ name: 'Web Room' });
    expect(own.server.hub.announce('announced before joining')).toBeNull();
    const s = session('listener', { url: own.url });
    expect(await s.connect()).toBe('Web Room');
    await settled(s, (l) => l.includes('Web Room: announced before joining'), 'the history');
    const other: TestClient = await own.connect('speaker');
    other.send('c2/MSG Web Room: not really');
    await settled(s, (l) => l.includes('speaker: Web Room: not really'), 'the user’s message');
    expect(own.server.hub.announce('announced live')).toBeNull();
    await settled(s, (l) => l.includes('Web Room: announced live'), 'the live announcement');
    const marked = s
      .getSnapshot()
      .entries.filter((e) => e.kind === 'message')
      .filter((e) => e.text.includes('announced') || e.text.includes('not really'))
      .map((e) => [e.username, e.text, e.kind === 'message' && e.server === true]);
    expect(marked).toEqual([
      ['Web Room', 'announced before joining', true],
      ['speaker', 'Web Room: not really', false],
      ['Web Room', 'announced live', true],
    ]);
    await s.client.disconnect();
    await own.close();
  });

  it('joins with the history first, then shows messages, joins, renames and departures', async () => {
    const early: TestClient = await chat.connect('early');
    early.send('c2/MSG before anyone; really');
    await early.until((f) => f.startsWith('c2/MSG early'));

    const s = session('webby');
    expect(await s.connect()).toBe('Web Room');
    await settled(s, (l) => l.includes('early: before anyone; really'), 'the history');
    expect(lines(s).slice(0, 2)).toEqual(['early: before anyone; really', '[status] Joined Web Room as webby']);
    expect(s.getSnapshot()).toMatchObject({ status: 'connected', serverName: 'Web Room', username: 'webby' });
    expect(s.getSnapshot().users).toEqual(['early', 'webby']);
    expect(s.getSnapshot().entries[0]).toMatchObject({ source: 'history', own: false });

    const other = await chat.connect('other');
    await settled(s, (l) => l.includes('[join] other joined'), 'the join');
    expect(await s.submit('hello; all')).toEqual({ ok: true });
    other.send('c2/MSG hi webby');
    other.send('c2/UPDATE username; another');
    await settled(s, (l) => l.includes('[rename] other is now known as another'), 'the rename');
    other.send('c2/DISCONNECT');
    early.close();
    await settled(
      s,
      (l) => l.includes('[leave] another left') && l.includes('[leave] early lost the connection'),
      'the departures',
    );
    const entries = s.getSnapshot().entries;
    expect(entries.find((e) => e.kind === 'message' && e.text === 'hello; all')).toMatchObject({ own: true });
    expect(entries.find((e) => e.kind === 'message' && e.text === 'hi webby')).toMatchObject({ own: false });
    expect(s.getSnapshot().users).toEqual(['webby']);
  });

  it('shows each message once when others talk while it joins', async () => {
    const talker = await chat.connect('talker');
    const s = session('joiner');
    const joined = s.connect();
    for (let i = 0; i < 40; i++) talker.send(`c2/MSG burst ${i}`);
    await joined;
    await settled(s, (l) => l.includes('talker: burst 39'), 'the whole burst');
    // A ping's answer comes after everything the server sent before it: nothing more is coming.
    await s.client.ping();
    await tick();
    const bursts = messageLines(s).filter((l) => l.startsWith('talker: burst'));
    expect(bursts).toEqual(Array.from({ length: 40 }, (_, i) => `talker: burst ${i}`));
    talker.close();
  });

  it('runs slash commands and shows every refusal at the input', async () => {
    let quit = 0;
    const s = session('cmd', { onQuit: () => quit++ });
    await s.connect();
    expect(await s.submit('/users')).toEqual({ ok: true });
    await settled(s, (l) => l.some((x) => /\[info\] \d+ users?: .*cmd/.test(x)), '/users');

    await s.submit('/ping');
    await settled(s, (l) => l.some((x) => /^\[info\] pong from server 7 in [0-9.]+ ms$/.test(x)), '/ping');

    // A server ERROR: at the input, and in the pane.
    expect(await s.submit('/ban nobody')).toEqual({
      ok: false,
      error: '/ban: ban is for operators only',
      restore: null,
    });
    expect(s.getSnapshot().inputError).toBe('/ban: ban is for operators only');
    s.clearInputError();
    await tick();
    expect(s.getSnapshot().inputError).toBeNull();

    // A mistake in the command line: the line comes back to the input.
    expect(await s.submit('/nick')).toEqual({ ok: false, error: 'usage: /nick NAME', restore: '/nick' });
    expect(await s.submit('/wat')).toMatchObject({ ok: false, restore: '/wat' });

    // A refused message comes back to the input too.
    const refused = await s.submit('bad\rtext');
    expect(refused).toMatchObject({ ok: false, restore: 'bad\rtext' });
    await tick();
    expect(s.getSnapshot().inputError).toMatch(/control characters/);
    // …and the next accepted line clears the error.
    expect(await s.submit('//slash')).toEqual({ ok: true });
    await tick();
    expect(s.getSnapshot().inputError).toBeNull();
    await settled(s, (l) => l.includes('cmd: /slash'), 'the // message');

    await s.submit('/op sesame');
    await settled(s, (l) => l.includes('[info] you are now an operator'), '/op');
    await s.submit('/nick commander');
    await settled(s, (l) => l.includes('[rename] You are now known as commander'), '/nick');
    expect(s.getSnapshot().username).toBe('commander');

    await s.submit('/history 2');
    await settled(s, (l) => l.includes('[info] ── end of history ──'), '/history');
    await s.submit('/clear');
    await eventually(() => s.getSnapshot().entries.length === 0, 'an empty pane');

    await s.submit('/quit');
    expect(quit).toBe(1);
    expect(s.getSnapshot().status).toBe('closed');
  });

  it('reconnects after a lost connection and fills in what was said meanwhile, once', async () => {
    const friend = await chat.connect('friend');
    const s = session('roamer');
    await s.connect();
    friend.send('c2/MSG before the cut');
    await settled(s, (l) => l.includes('friend: before the cut'), 'the first message');

    const states: string[] = [];
    s.subscribe(() => states.push(s.getSnapshot().status));
    dropOnServer(chat.server, 'roamer');
    await eventually(() => s.getSnapshot().status === 'reconnecting', 'reconnecting');
    // Said while roamer is away.
    friend.send('c2/MSG while you were away 1');
    friend.send('c2/MSG while you were away 2');
    await friend.until((f) => f.includes('away 2'));
    await settled(s, (l) => l.includes('[status] Reconnected — 2 missed messages restored'), 'the rejoin');
    friend.send('c2/MSG after the rejoin');
    await settled(s, (l) => l.includes('friend: after the rejoin'), 'a live message');
    await s.client.ping();
    await tick();

    const said = messageLines(s).filter((l) => l.startsWith('friend:'));
    expect(said).toEqual([
      'friend: before the cut',
      'friend: while you were away 1',
      'friend: while you were away 2',
      'friend: after the rejoin',
    ]);
    const all = lines(s);
    expect(all.findIndex((l) => l.startsWith('[error] Connection lost'))).toBeLessThan(
      all.indexOf('friend: while you were away 1'),
    );
    // The missed messages in their place, then the one line.
    expect(all.indexOf('[status] Reconnected — 2 missed messages restored')).toBe(
      all.indexOf('friend: while you were away 2') + 1,
    );
    expect(all.filter((l) => l.startsWith('[status] Reconnected'))).toHaveLength(1);
    expect(states).toContain('reconnecting');
    expect(s.getSnapshot().status).toBe('connected');
    friend.close();
  });

  it('says so when banned, and does not reconnect', async () => {
    const op = await chat.connect('op');
    op.send('c2/QUERY op; sesame');
    await op.until((f) => f.startsWith('c2/ACKNOWLEDGE'));
    const s = session('villain');
    await s.connect();
    op.send('c2/QUERY ban; villain; be nice');
    await settled(s, (l) => l.includes('[ban] You were banned from this server: be nice'), 'the ban');
    await eventually(() => s.getSnapshot().status === 'closed', 'closed');
    expect(s.getSnapshot()).toMatchObject({ banned: true, statusText: 'Banned' });
    await new Promise((r) => setTimeout(r, 150));
    expect(s.getSnapshot().status).toBe('closed');
    op.send('c2/QUERY unban; villain');
    op.close();
  });

  it('tells the view once per tick, with one snapshot, and reports what others did', async () => {
    const ticks: Array<() => void> = [];
    const s = session('batched', { schedule: (flush) => ticks.push(flush) });
    const incoming: Entry[][] = [];
    s.onIncoming((e) => incoming.push([...e]));
    let notified = 0;
    s.subscribe(() => notified++);
    await s.connect();
    const talker = await chat.connect('chatty');
    for (let i = 0; i < 25; i++) talker.send(`c2/MSG m${i}`);
    await talker.until((f) => f === 'c2/MSG chatty; m24');
    await eventually(() => s.client.users.length === 2 && ticks.length > 0, 'events');
    await s.client.ping();
    const before = s.getSnapshot();
    expect(before.entries.some((e) => e.kind === 'message' && e.text === 'm0')).toBe(false);
    // Every event since the last flush asked for one tick only.
    expect(ticks.length).toBe(1);
    ticks.shift()?.();
    expect(notified).toBe(1);
    const after = s.getSnapshot();
    expect(after).not.toBe(before);
    expect(after.entries.filter((e) => e.kind === 'message' && e.username === 'chatty')).toHaveLength(25);
    expect(incoming.flat().map(line)).toEqual([
      '[join] chatty joined',
      ...Array.from({ length: 25 }, (_, i) => `chatty: m${i}`),
    ]);
    talker.close();
    // Let the remaining ticks run so that the session can close.
    while (ticks.length > 0) ticks.shift()?.();
  });
});

describe('ChatSession in a large room', () => {
  let chat: ChatFixture | undefined;
  afterEach(() => chat?.close());

  it('shows the count, loads the first page by itself and more on demand', async () => {
    chat = await withChatServer({ name: 'Big', announceLimit: 5, maxUsers: 400 });
    for (let i = 0; i < 300; i++) await chat.connect(`u${i}`);
    const s = new ChatSession({ client: new NodeC2Client({ requestTimeoutMs: 5000 }), url: chat.url, username: 'me' });
    try {
      await s.connect();
      await eventually(() => s.getSnapshot().users.length === 200, 'the first page');
      expect(s.getSnapshot()).toMatchObject({ userCount: 301, largeRoom: true, usersComplete: false });
      expect(s.getSnapshot().users.slice(0, 2)).toEqual(['u0', 'u1']);
      await s.loadMoreUsers();
      await eventually(() => s.getSnapshot().usersComplete, 'every name loaded');
      expect(s.getSnapshot().users).toHaveLength(301);
      expect(s.getSnapshot().users.at(-1)).toBe('me');
      expect(lines(s).filter((l) => l.includes('joined'))).toEqual([]);
    } finally {
      await s.client.disconnect();
      s.dispose();
    }
  });
});
