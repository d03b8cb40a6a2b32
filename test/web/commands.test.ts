import { describe, expect, it } from 'vitest';
import type { PingResult } from '../../src/client/index.js';
import { SLASH_COMMANDS as COMMANDS, CommandError, type SlashContext } from '../../src/client/slash-commands.js';
import { helpText, runCommand } from '../../web/src/chat/commands.js';

function fakeContext() {
  const calls: string[][] = [];
  let cleared = 0;
  let quit = 0;
  const answers: Record<string, unknown> = {
    active_users: ['alice', 'bob'],
    history: [
      { username: 'alice', text: 'hi', time: 1 },
      { username: 'bob', text: 'yo', time: 2 },
    ],
    server_info: { id: 7, name: 'Test', connectedUsers: 2, maxUsers: 50, version: '0.1.0' },
    op: 'you are now an operator',
    ban: 'banned "bob" and disconnected them',
    unban: 'unbanned "bob"',
  };
  const ctx: SlashContext = {
    username: 'alice',
    rename: async (name) => {
      calls.push(['rename', name]);
    },
    query: async (command, ...args) => {
      calls.push(['query', command, ...args]);
      if (!(command in answers)) throw new Error(`unknown query "${command}"`);
      return answers[command];
    },
    ping: async (): Promise<PingResult> => ({ rttMs: 1.234, serverId: 7 }),
    quit: async () => {
      quit++;
    },
    clear: () => {
      cleared++;
    },
  };
  return { ctx, calls, counts: () => ({ cleared, quit }) };
}

describe('the commands', () => {
  it('has the terminal client’s commands, listed by /help', () => {
    expect(COMMANDS.map((c) => c.name)).toEqual([
      'nick',
      'users',
      'history',
      'ping',
      'query',
      'op',
      'ban',
      'unban',
      'clear',
      'help',
      'quit',
    ]);
    const help = helpText();
    for (const c of COMMANDS) expect(help).toContain(`/${c.name}`);
    expect(help).toContain('//TEXT');
  });

  it('runs each one through the context', async () => {
    const { ctx, calls, counts } = fakeContext();
    expect(await runCommand(ctx, 'nick', 'robert')).toEqual([]);
    const users = await runCommand(ctx, 'users', '');
    expect(users?.[0]).toMatchObject({ kind: 'notice', text: '2 users: alice, bob' });

    const history = (await runCommand(ctx, 'history', '5')) ?? [];
    expect(history.map((e) => (e.kind === 'message' ? `${e.username}: ${e.text}` : e.text))).toEqual([
      '── the last 2 messages ──',
      'alice: hi',
      'bob: yo',
      '── end of history ──',
    ]);
    expect(history[1]).toMatchObject({ own: true, source: 'command' });
    expect(history[2]).toMatchObject({ own: false });

    expect((await runCommand(ctx, 'ping', ''))?.[0]).toMatchObject({ text: 'pong from server 7 in 1.2 ms' });
    const info = await runCommand(ctx, 'query', 'server_info');
    expect(info?.[0]).toMatchObject({ text: '/query server_info' });
    expect((info?.[0] as { detail?: string } | undefined)?.detail).toContain('"maxUsers": 50');
    expect((await runCommand(ctx, 'op', 'correct horse; battery'))?.[0]).toMatchObject({
      text: 'you are now an operator',
    });
    await runCommand(ctx, 'ban', '"Mary Ann" go away');
    await runCommand(ctx, 'ban', 'bob');
    await runCommand(ctx, 'unban', 'bob');
    await runCommand(ctx, 'query', 'history; 3');
    await runCommand(ctx, 'clear', '');
    await runCommand(ctx, 'quit', '');
    expect(calls).toEqual([
      ['rename', 'robert'],
      ['query', 'active_users'],
      ['query', 'history', '5'],
      ['query', 'server_info'],
      ['query', 'op', 'correct horse; battery'],
      ['query', 'ban', 'Mary Ann', 'go away'],
      ['query', 'ban', 'bob'],
      ['query', 'unban', 'bob'],
      ['query', 'history', '3'],
    ]);
    expect(counts()).toEqual({ cleared: 1, quit: 1 });
  });

  it('refuses mistakes in the command line with a CommandError, before asking the server', async () => {
    const { ctx, calls } = fakeContext();
    const mistake = async (name: string, rest: string) => {
      try {
        await runCommand(ctx, name, rest);
      } catch (err) {
        expect(err).toBeInstanceOf(CommandError);
        return (err as Error).message;
      }
      throw new Error(`/${name} ${rest} was accepted`);
    };
    expect(await mistake('nick', '')).toBe('usage: /nick NAME');
    expect(await mistake('history', 'ten')).toBe('usage: /history [N]');
    expect(await mistake('ban', '')).toBe('usage: /ban NAME [MESSAGE]');
    expect(await mistake('query', '')).toBe('usage: /query COMMAND[; ARG…]');
    expect(await mistake('op', '')).toBe('usage: /op PASSWORD');
    expect(await mistake('frobnicate', '')).toBe('unknown command /frobnicate: /help lists them');
    expect(await mistake('', '')).toMatch(/type a command/);
    expect(calls).toEqual([]);
  });

  it('passes the server’s refusal on as the error', async () => {
    const { ctx } = fakeContext();
    await expect(runCommand(ctx, 'query', 'nope')).rejects.toThrow('unknown query "nope"');
  });
});
