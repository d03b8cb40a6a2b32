import { describe, expect, it } from 'vitest';
import { formatAnswer, parseInput, splitName, splitQuery } from '../../src/client/slash.js';
import {
  CommandError,
  findSlashCommand,
  type SlashContext,
  type SlashMemory,
  USERS_PER_PAGE,
} from '../../src/client/slash-commands.js';

describe('parseInput', () => {
  it('tells messages, commands and nothing apart', () => {
    expect(parseInput('')).toEqual({ kind: 'empty' });
    expect(parseInput('  \n\t')).toEqual({ kind: 'empty' });
    expect(parseInput('hello')).toEqual({ kind: 'message', text: 'hello' });
    expect(parseInput('  spaced  ')).toEqual({ kind: 'message', text: '  spaced  ' });
    expect(parseInput('a\nb')).toEqual({ kind: 'message', text: 'a\nb' });
    expect(parseInput('/nick  Bob ')).toEqual({ kind: 'command', name: 'nick', rest: 'Bob' });
    expect(parseInput('/USERS')).toEqual({ kind: 'command', name: 'users', rest: '' });
    expect(parseInput('/')).toEqual({ kind: 'command', name: '', rest: '' });
    expect(parseInput('/ban bob spamming\nagain')).toEqual({
      kind: 'command',
      name: 'ban',
      rest: 'bob spamming\nagain',
    });
  });

  it('sends a line starting with // as a message starting with /', () => {
    expect(parseInput('//shrug')).toEqual({ kind: 'message', text: '/shrug' });
    expect(parseInput('// two')).toEqual({ kind: 'message', text: '/ two' });
  });
});

describe('argument splitting', () => {
  it('takes a quoted name or the first word', () => {
    expect(splitName('bob')).toEqual(['bob', '']);
    expect(splitName('bob  go away ')).toEqual(['bob', 'go away']);
    expect(splitName('"Mary Ann" be nice')).toEqual(['Mary Ann', 'be nice']);
    expect(splitName('')).toEqual(['', '']);
  });

  it('splits /query on "; " like the wire, or a command and one argument', () => {
    expect(splitQuery('history; 5')).toEqual(['history', ['5']]);
    expect(splitQuery('ban; bob; a; b')).toEqual(['ban', ['bob', 'a', 'b']]);
    expect(splitQuery('history 5')).toEqual(['history', ['5']]);
    expect(splitQuery('server_info')).toEqual(['server_info', []]);
  });

  it('formats answers: text as is, JSON pretty-printed', () => {
    expect(formatAnswer('ok')).toBe('ok');
    expect(formatAnswer({ a: 1 })).toBe('{\n  "a": 1\n}');
  });
});

describe('/users pages', () => {
  /** A room of `n` users u0…; `usersPage` cuts the pages as the server would. */
  function room(n: number) {
    const all = Array.from({ length: n }, (_, i) => `u${i}`);
    const asked: Array<[number, number]> = [];
    const memory: SlashMemory = {};
    const ctx: SlashContext = {
      username: 'u0',
      userCount: n,
      memory,
      rename: async () => {},
      query: async () => {
        throw new Error('no query expected');
      },
      ping: async () => ({ rttMs: 1, serverId: 1 }),
      quit: async () => {},
      clear: () => {},
      usersPage: async (offset, count) => {
        asked.push([offset, count]);
        return all.slice(offset, offset + count);
      },
    };
    const users = async (rest: string) => {
      const reply = await findSlashCommand('users')?.run(ctx, rest);
      const [out] = reply ?? [];
      return out?.kind === 'notice' ? out.text : '';
    };
    return { users, asked, memory };
  }

  it('a small room in one line, as before', async () => {
    const { users } = room(3);
    expect(await users('')).toBe('3 users: u0, u1, u2');
  });

  it('a large room a page at a time: the first, a given one, then the next', async () => {
    const { users, asked } = room(120);
    const first = await users('');
    expect(first).toMatch(/^users 1–50 of 120 \(page 1 of 3\): u0, u1, .*u49 · \/users more for the next page$/);
    expect(await users('more')).toMatch(/^users 51–100 of 120 \(page 2 of 3\): u50, /);
    expect(await users('MORE')).toBe(
      `users 101–120 of 120 (page 3 of 3): ${Array.from({ length: 20 }, (_, i) => `u${100 + i}`).join(', ')}`,
    );
    expect(await users('2')).toMatch(/^users 51–100 of 120 \(page 2 of 3\)/);
    expect(await users('9')).toBe('no page 9: 120 users, 3 pages of 50');
    expect(asked).toEqual([
      [0, USERS_PER_PAGE],
      [50, 50],
      [100, 50],
      [50, 50],
      [400, 50],
    ]);
  });

  it('refuses anything but a page number or "more"', async () => {
    const { users } = room(3);
    await expect(users('0')).rejects.toThrow(CommandError);
    await expect(users('next')).rejects.toThrow('usage: /users [PAGE|more]');
    await expect(users('-1')).rejects.toThrow(CommandError);
  });
});
