/**
 * The terminal client's slash commands: one table, used both to run a command and to
 * print `/help`. A line that does not start with `/` is a chat message; `//text` sends
 * `/text`.
 */
import type { C2Client } from '../../client/c2-client.js';
import { formatAnswer, splitName, splitQuery } from '../../client/slash.js';
import type { HistoryEntry } from '../../client/types.js';
import type { NewEntry, Tone } from './log.js';

export interface CommandContext {
  client: C2Client;
  /** Leaves the server and ends the program. */
  quit(): Promise<void>;
  /** Empties the message pane. */
  clear(): void;
}

/** What a command shows when done: a notice, entries, or nothing. */
export type Reply = string | NewEntry[] | undefined;

export interface SlashCommand {
  name: string;
  args: string;
  description: string;
  /** Rejects with the server's error when the server refuses. */
  run(ctx: CommandContext, rest: string): Promise<Reply> | Reply;
}

export function notice(text: string, tone: Tone = 'info'): NewEntry {
  return { kind: 'notice', time: Date.now(), text, tone };
}

function usage(command: SlashCommand): Reply {
  return [notice(`usage: /${command.name} ${command.args}`, 'error')];
}

export function historyEntries(history: readonly HistoryEntry[], me: string): NewEntry[] {
  return history.map((h) => ({
    kind: 'message' as const,
    time: h.time,
    username: h.username,
    text: h.text,
    own: h.username === me,
    past: true,
  }));
}

export const COMMANDS: readonly SlashCommand[] = [
  {
    name: 'nick',
    args: 'NAME',
    description: 'change your name',
    async run(ctx, rest) {
      if (rest === '') return usage(this);
      await ctx.client.rename(rest);
      return undefined; // the rename notice comes with the server's UPDATE
    },
  },
  {
    name: 'users',
    args: '',
    description: 'list who is here',
    async run(ctx) {
      const users = await ctx.client.query('active_users');
      return `${users.length} ${users.length === 1 ? 'user' : 'users'}: ${users.join(', ')}`;
    },
  },
  {
    name: 'history',
    args: '[N]',
    description: 'show the last N messages (default 20)',
    async run(ctx, rest) {
      if (rest !== '' && !/^[0-9]+$/.test(rest)) return usage(this);
      const history = await ctx.client.query('history', rest === '' ? '20' : rest);
      if (history.length === 0) return 'no messages yet';
      return [
        notice(`── the last ${history.length} ${history.length === 1 ? 'message' : 'messages'} ──`),
        ...historyEntries(history, ctx.client.username),
        notice('── end of history ──'),
      ];
    },
  },
  {
    name: 'ping',
    args: '',
    description: 'measure the round trip to the server',
    async run(ctx) {
      const { rttMs, serverId } = await ctx.client.ping();
      return `pong from server ${serverId} in ${rttMs < 10 ? rttMs.toFixed(1) : Math.round(rttMs)} ms`;
    },
  },
  {
    name: 'query',
    args: 'COMMAND[; ARG…]',
    description: 'send any c2/QUERY, e.g. /query history; 5',
    async run(ctx, rest) {
      if (rest === '') return usage(this);
      const [command, args] = splitQuery(rest);
      return formatAnswer(await ctx.client.query(command, ...args));
    },
  },
  {
    name: 'op',
    args: 'PASSWORD',
    description: 'become an operator',
    async run(ctx, rest) {
      if (rest === '') return usage(this);
      return formatAnswer(await ctx.client.query('op', rest));
    },
  },
  {
    name: 'ban',
    args: 'NAME [MESSAGE]',
    description: 'ban a name (operators; quote a name with spaces)',
    async run(ctx, rest) {
      const [name, message] = splitName(rest);
      if (name === '') return usage(this);
      const answer = await ctx.client.query('ban', ...(message === '' ? [name] : [name, message]));
      return formatAnswer(answer);
    },
  },
  {
    name: 'unban',
    args: 'NAME',
    description: 'lift a ban (operators)',
    async run(ctx, rest) {
      const [name] = splitName(rest);
      if (name === '') return usage(this);
      return formatAnswer(await ctx.client.query('unban', name));
    },
  },
  {
    name: 'clear',
    args: '',
    description: 'empty the message pane',
    run(ctx) {
      ctx.clear();
      return undefined;
    },
  },
  {
    name: 'help',
    args: '',
    description: 'this list',
    run() {
      return helpText();
    },
  },
  {
    name: 'quit',
    args: '',
    description: 'leave the server and exit (also Ctrl+C)',
    async run(ctx) {
      await ctx.quit();
      return undefined;
    },
  },
];

export function findCommand(name: string): SlashCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function helpText(): string {
  const rows: Array<[string, string]> = [
    ...COMMANDS.map((c): [string, string] => [`/${c.name} ${c.args}`.trim(), c.description]),
    ['//TEXT', 'send a message that starts with /'],
  ];
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return [
    'commands:',
    ...rows.map(([usage, description]) => `  ${usage.padEnd(width)}  ${description}`),
    'keys: Enter send · ↑/↓ input history · ←/→ Home/End move · Tab complete a name',
    '      PgUp/PgDn scroll · Esc back to the newest · Ctrl+W delete word · Ctrl+U delete to start · Ctrl+C quit',
  ].join('\n');
}
