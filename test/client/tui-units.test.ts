/** The terminal client's pure parts: line editing, input history, command parsing. */
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { helpText, PRESENTATION } from '../../src/cli/chat/commands.js';
import { complete, insert, lineOf, move, textOf, visibleWindow } from '../../src/cli/chat/line-editor.js';
import { appendEntries } from '../../src/cli/chat/log.js';
import { MessagePane } from '../../src/cli/chat/message-pane.js';
import { isAnnouncement } from '../../src/client/entries.js';
import { findSlashCommand, type SlashContext, toEntries } from '../../src/client/slash-commands.js';

describe('line editor', () => {
  it('counts code points, so the cursor never splits an emoji', () => {
    const line = insert(lineOf('a😀b'), '');
    expect(line.cursor).toBe(3);
    const edited = insert(move(line, -1), 'X');
    expect(textOf(edited)).toBe('a😀Xb');
  });

  it('completes a name, or the common prefix of several', () => {
    const names = ['Alice', 'Alicia', 'bob'];
    expect(textOf(complete(lineOf('bo'), names))).toBe('bob: ');
    expect(textOf(complete(lineOf('hi bo'), names))).toBe('hi bob ');
    expect(textOf(complete(lineOf('ali'), names))).toBe('Alic');
    expect(textOf(complete(lineOf('zed'), names))).toBe('zed');
    expect(textOf(complete(lineOf('/ni'), names))).toBe('/ni');
  });

  it('keeps the cursor in view on a line longer than the screen', () => {
    const long = lineOf('abcdefghijklmnopqrstuvwxyz');
    const atEnd = visibleWindow(long, 10);
    expect(atEnd.chars.join('')).toBe('rstuvwxyz');
    expect(atEnd.cursor).toBe(9);
    const atStart = visibleWindow({ ...long, cursor: 0 }, 10);
    expect(atStart.chars.join('')).toBe('abcdefghij');
    const middle = visibleWindow({ ...long, cursor: 20 }, 10);
    expect(middle.chars[middle.cursor]).toBe('u');
    expect(middle.chars.length).toBe(10);
    expect(atStart.cursor).toBe(0);
    const short = visibleWindow(lineOf('abc'), 10);
    expect(short).toEqual({ chars: ['a', 'b', 'c'], cursor: 3 });
  });
});

describe('commands', () => {
  it('lists every command in /help, quit in its own words', () => {
    for (const name of ['nick', 'users', 'history', 'ping', 'query', 'op', 'ban', 'unban', 'clear', 'help', 'quit']) {
      expect(helpText()).toContain(`/${name}`);
    }
    expect(helpText()).toMatch(/^commands:\n {2}\/nick NAME {14}change your name\n/);
    expect(helpText()).toContain('/quit                   leave the server and exit (also Ctrl+C)');
  });

  it('shows an answer as one notice however long, the history dimmed as past', async () => {
    const ctx = {
      username: 'alice',
      query: async (command: string) =>
        command === 'history' ? [{ username: 'alice', text: 'hi', time: 1 }] : { id: 7, maxUsers: 50 },
    } as unknown as SlashContext;
    const run = async (name: string, rest = '') =>
      toEntries(await findSlashCommand(name)?.run(ctx, rest), ctx.username, PRESENTATION);
    const [info, ...more] = await run('query', 'server_info');
    expect(more).toEqual([]);
    expect(info).toMatchObject({ kind: 'notice', tone: 'info', text: '{\n  "id": 7,\n  "maxUsers": 50\n}' });
    const history = await run('history');
    expect(history.map((e) => e.kind)).toEqual(['notice', 'message', 'notice']);
    expect(history[1]).toMatchObject({ own: true, source: 'command' });
    expect((await run('help'))[0]).toMatchObject({ kind: 'notice', text: helpText() });
  });
});

describe('message log', () => {
  it('keeps the newest entries up to its bound', () => {
    let log = appendEntries([], [{ kind: 'notice', time: 0, text: 'first', tone: 'info' }], 3);
    for (const text of ['2', '3', '4']) log = appendEntries(log, [{ kind: 'notice', time: 0, text, tone: 'info' }], 3);
    expect(log.map((e) => (e.kind === 'notice' ? e.text : ''))).toEqual(['2', '3', '4']);
    expect(new Set(log.map((e) => e.id)).size).toBe(3);
  });
});

/** The text of a frame without its colours. */
function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

describe('the server’s announcements', () => {
  const announcement = {
    kind: 'message' as const,
    id: 1,
    time: Date.now(),
    username: 'Test',
    text: 'maintenance at noon',
    own: false,
    server: true,
    source: 'live' as const,
  };
  const user = { ...announcement, id: 2, username: 'bob', text: 'hi', server: false };

  it('are marked by the entries: live by the client, and in a history by the server’s name', async () => {
    const ctx = {
      username: 'alice',
      serverName: 'Test',
      query: async () => [
        { username: 'Test', text: 'maintenance at noon', time: 1 },
        { username: 'bob', text: 'hi', time: 2 },
      ],
    } as unknown as SlashContext;
    const history = toEntries(await findSlashCommand('history')?.run(ctx, ''), 'alice', PRESENTATION, 'Test');
    const messages = history.filter((e) => e.kind === 'message');
    expect(messages.map((e) => e.server === true)).toEqual([true, false]);
    expect(isAnnouncement('Test', '')).toBe(false);
    expect(isAnnouncement('test', 'Test')).toBe(false);
  });

  it('show as an inverse SERVER badge without <name> brackets, which no user’s message has', () => {
    const pane = render(createElement(MessagePane, { entries: [announcement, user], height: 2, end: 2, me: 'alice' }));
    const [first, second] = stripAnsi(pane.lastFrame() ?? '').split('\n');
    expect(first).toMatch(/^\d\d:\d\d {2}SERVER {2}Test: maintenance at noon$/);
    expect(second).toMatch(/^\d\d:\d\d <bob> hi$/);
    // A user named like the server (it cannot be: the server reserves its name) would still get brackets.
    const impostor = render(
      createElement(MessagePane, { entries: [{ ...user, username: 'SERVER  Test:' }], height: 1, end: 1, me: 'alice' }),
    );
    expect(stripAnsi(impostor.lastFrame() ?? '')).toMatch(/<SERVER {2}Test:> hi$/);
    pane.unmount();
    impostor.unmount();
  });
});
