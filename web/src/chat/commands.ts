/**
 * The web client's slash commands, the same as the terminal client's (`node bin/c2.js
 * chat`): one table, used both to run a command and to print `/help`. A line that does not
 * start with `/` is a chat message; `//text` sends `/text`. Pure: the commands act through
 * a `CommandContext`, so they run (and are tested) without a browser.
 */
import type { HistoryEntry, PingResult } from '../../../src/client/index.js';
import { formatAnswer, splitName, splitQuery } from '../../../src/client/slash.js';
import type { NewEntry, NoticeTone } from './entries.js';

export interface CommandContext {
  /** Our current username. */
  readonly username: string;
  rename(name: string): Promise<void>;
  query(command: string, ...args: string[]): Promise<unknown>;
  ping(): Promise<PingResult>;
  /** Leaves the server and goes back to the server browser. */
  quit(): Promise<void>;
  /** Empties the message pane. */
  clear(): void;
}

/** What a command shows when done (nothing for commands whose effect shows by itself). */
export type Reply = NewEntry[] | undefined;

/** A mistake in the command line itself (unknown command, missing argument): shown at the input. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export interface SlashCommand {
  name: string;
  args: string;
  description: string;
  /** Rejects with the server's error when the server refuses, or a CommandError. */
  run(ctx: CommandContext, rest: string): Promise<Reply> | Reply;
}

export function notice(text: string, tone: NoticeTone = 'info', detail?: string): NewEntry {
  return detail === undefined
    ? { kind: 'notice', time: Date.now(), tone, text }
    : { kind: 'notice', time: Date.now(), tone, text, detail };
}

/** An answer as a notice: a one-line string as the notice itself, anything else as its detail. */
function answerNotice(title: string, answer: unknown): NewEntry[] {
  const text = formatAnswer(answer);
  return text.includes('\n') || text.length > 120 ? [notice(title, 'info', text)] : [notice(text || title)];
}

function usage(command: SlashCommand): never {
  throw new CommandError(`usage: /${command.name} ${command.args}`.trim());
}

export function formatRtt(rttMs: number): string {
  return rttMs < 10 ? `${rttMs.toFixed(1)} ms` : `${Math.round(rttMs)} ms`;
}

export function historyEntries(
  history: readonly HistoryEntry[],
  me: string,
  source: 'history' | 'command' = 'command',
): NewEntry[] {
  return history.map((h) => ({
    kind: 'message' as const,
    time: h.time,
    username: h.username,
    text: h.text,
    own: h.username === me,
    source,
  }));
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const COMMANDS: readonly SlashCommand[] = [
  {
    name: 'nick',
    args: 'NAME',
    description: 'change your name',
    async run(ctx, rest) {
      if (rest === '') usage(this);
      await ctx.rename(rest);
      return undefined; // the rename notice comes with the server's UPDATE
    },
  },
  {
    name: 'users',
    args: '',
    description: 'list who is here',
    async run(ctx) {
      const users = (await ctx.query('active_users')) as string[];
      return [notice(`${plural(users.length, 'user', 'users')}: ${users.join(', ')}`)];
    },
  },
  {
    name: 'history',
    args: '[N]',
    description: 'show the last N messages (default 20)',
    async run(ctx, rest) {
      if (rest !== '' && !/^[0-9]+$/.test(rest)) usage(this);
      const history = (await ctx.query('history', rest === '' ? '20' : rest)) as HistoryEntry[];
      if (history.length === 0) return [notice('no messages yet')];
      return [
        notice(`── the last ${plural(history.length, 'message', 'messages')} ──`),
        ...historyEntries(history, ctx.username),
        notice('── end of history ──'),
      ];
    },
  },
  {
    name: 'ping',
    args: '',
    description: 'measure the round trip to the server',
    async run(ctx) {
      const { rttMs, serverId } = await ctx.ping();
      return [notice(`pong from server ${serverId} in ${formatRtt(rttMs)}`)];
    },
  },
  {
    name: 'query',
    args: 'COMMAND[; ARG…]',
    description: 'send any c2/QUERY, e.g. /query history; 5',
    async run(ctx, rest) {
      if (rest === '') usage(this);
      const [command, args] = splitQuery(rest);
      return answerNotice(`/query ${rest}`, await ctx.query(command, ...args));
    },
  },
  {
    name: 'op',
    args: 'PASSWORD',
    description: 'become an operator',
    async run(ctx, rest) {
      if (rest === '') usage(this);
      return answerNotice('/op', await ctx.query('op', rest));
    },
  },
  {
    name: 'ban',
    args: 'NAME [MESSAGE]',
    description: 'ban a name (operators; quote a name with spaces)',
    async run(ctx, rest) {
      const [name, message] = splitName(rest);
      if (name === '') usage(this);
      return answerNotice('/ban', await ctx.query('ban', ...(message === '' ? [name] : [name, message])));
    },
  },
  {
    name: 'unban',
    args: 'NAME',
    description: 'lift a ban (operators)',
    async run(ctx, rest) {
      const [name] = splitName(rest);
      if (name === '') usage(this);
      return answerNotice('/unban', await ctx.query('unban', name));
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
      return [notice('Commands', 'info', helpText())];
    },
  },
  {
    name: 'quit',
    args: '',
    description: 'leave the server (back to the server list)',
    async run(ctx) {
      await ctx.quit();
      return undefined;
    },
  },
];

export function findCommand(name: string): SlashCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Runs a parsed command; throws a CommandError for an unknown one. */
export function runCommand(ctx: CommandContext, name: string, rest: string): Promise<Reply> | Reply {
  const command = findCommand(name);
  if (command === undefined) {
    throw new CommandError(
      name === '' ? 'type a command after "/" (/help lists them)' : `unknown command /${name}: /help lists them`,
    );
  }
  return command.run(ctx, rest);
}

export function helpText(): string {
  const rows: Array<[string, string]> = [
    ...COMMANDS.map((c): [string, string] => [`/${c.name} ${c.args}`.trim(), c.description]),
    ['//TEXT', 'send a message that starts with /'],
  ];
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    ...rows.map(([u, description]) => `${u.padEnd(width)}  ${description}`),
    '',
    'Keys: Enter sends · Shift+Enter new line · ↑/↓ input history · Esc clears the error',
  ].join('\n');
}
