/**
 * The slash commands of both chat clients (the terminal's `c2 chat` and the web client):
 * one table, used to run a command and to list it in `/help`. A command acts through a
 * narrow `SlashContext` and returns what to show as `SlashOutput`s; each client only
 * decides how an answer and the help look (`toEntries`). Reading the typed line is
 * slash.ts. Pure, browser-safe.
 */
import { historyEntries, type NewEntry, notice } from './entries.js';
import { formatAnswer, splitName, splitQuery } from './slash.js';
import type { HistoryEntry, PingResult } from './types.js';

/** What a command may do in the client it runs in. */
export interface SlashContext {
  /** Our current username. */
  readonly username: string;
  /** The server's name (its announcements are sent under it); '' when not known. */
  readonly serverName?: string;
  rename(name: string): Promise<void>;
  query(command: string, ...args: string[]): Promise<unknown>;
  ping(): Promise<PingResult>;
  /** Leaves the server (and, in the terminal, ends the program). */
  quit(): Promise<void>;
  /** Empties the message pane. */
  clear(): void;
  /**
   * One page of the user list (`C2Client.usersPage`); without it `/users` cuts its pages
   * from the whole `active_users`.
   */
  usersPage?(offset: number, count: number): Promise<readonly string[]>;
  /** How many users are connected (`C2Client.userCount`), when known. */
  readonly userCount?: number;
  /** Asks the server for the count now (`C2Client.refreshUsers`). */
  refreshUsers?(): Promise<void>;
  /** What a command remembers between two runs in one client (the last `/users` page). */
  readonly memory?: SlashMemory;
}

/** Kept by a client across commands, so that `/users more` knows which page came last. */
export interface SlashMemory {
  usersPage?: number;
}

/** Names per `/users` page. */
export const USERS_PER_PAGE = 50;

/** What a command shows when done. */
export type SlashOutput =
  | { kind: 'notice'; text: string }
  /** A query's answer, as text (JSON pretty-printed); `title` names the command that asked. */
  | { kind: 'answer'; title: string; text: string }
  | { kind: 'history'; messages: readonly HistoryEntry[] }
  | { kind: 'help' };

/** Nothing for commands whose effect shows by itself (a rename comes with the server's UPDATE). */
export type SlashReply = SlashOutput[] | undefined;

/** A mistake in the command line itself (a missing or malformed argument, an unknown command). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export interface SlashCommand {
  name: string;
  args: string;
  description: string;
  /** Rejects with the server's error when the server refuses, or with a CommandError. */
  run(ctx: SlashContext, rest: string): Promise<SlashReply> | SlashReply;
}

/** The context of a client built on `C2Client` (or anything shaped like it). */
export function slashContext(
  client: Pick<SlashContext, 'username' | 'serverName' | 'rename' | 'query' | 'ping'> & {
    usersPage(offset: number, count: number): Promise<readonly string[]>;
    refreshUsers(): Promise<void>;
    readonly userCount: number;
  },
  ui: Pick<SlashContext, 'quit' | 'clear'> & { memory?: SlashMemory },
): SlashContext {
  return {
    get username() {
      return client.username;
    },
    get serverName() {
      return client.serverName ?? '';
    },
    get userCount() {
      return client.userCount;
    },
    memory: ui.memory ?? {},
    usersPage: (offset, count) => client.usersPage(offset, count),
    refreshUsers: () => client.refreshUsers(),
    rename: (name) => client.rename(name),
    query: (command, ...args) => client.query(command, ...args),
    ping: () => client.ping(),
    quit: () => ui.quit(),
    clear: () => ui.clear(),
  };
}

function usage(command: SlashCommand): never {
  throw new CommandError(`usage: /${command.name} ${command.args}`.trim());
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function formatRtt(rttMs: number): string {
  return rttMs < 10 ? `${rttMs.toFixed(1)} ms` : `${Math.round(rttMs)} ms`;
}

const answer = (title: string, value: unknown): SlashReply => [{ kind: 'answer', title, text: formatAnswer(value) }];
const say = (text: string): SlashReply => [{ kind: 'notice', text }];

export const SLASH_COMMANDS: readonly SlashCommand[] = [
  {
    name: 'nick',
    args: 'NAME',
    description: 'change your name',
    async run(ctx, rest) {
      if (rest === '') usage(this);
      await ctx.rename(rest);
      return undefined;
    },
  },
  {
    name: 'users',
    args: '[PAGE|more]',
    description: `list who is here, ${USERS_PER_PAGE} a page (/users more: the next page)`,
    async run(ctx, rest) {
      const arg = rest.toLowerCase();
      if (arg !== '' && arg !== 'more' && !/^[0-9]{1,9}$/.test(arg)) usage(this);
      const last = ctx.memory?.usersPage ?? 0;
      const page = arg === '' ? 1 : arg === 'more' ? last + 1 : Number(arg);
      if (page < 1) usage(this);
      const offset = (page - 1) * USERS_PER_PAGE;
      const [names, total] = await usersPage(ctx, offset);
      if (ctx.memory) ctx.memory.usersPage = page;
      return say(describeUsersPage(page, offset, names, total));
    },
  },
  {
    name: 'history',
    args: '[N]',
    description: 'show the last N messages (default 20)',
    async run(ctx, rest) {
      if (rest !== '' && !/^[0-9]+$/.test(rest)) usage(this);
      const messages = (await ctx.query('history', rest === '' ? '20' : rest)) as HistoryEntry[];
      if (messages.length === 0) return say('no messages yet');
      return [
        { kind: 'notice', text: `── the last ${plural(messages.length, 'message', 'messages')} ──` },
        { kind: 'history', messages },
        { kind: 'notice', text: '── end of history ──' },
      ];
    },
  },
  {
    name: 'ping',
    args: '',
    description: 'measure the round trip to the server',
    async run(ctx) {
      const { rttMs, serverId } = await ctx.ping();
      return say(`pong from server ${serverId} in ${formatRtt(rttMs)}`);
    },
  },
  {
    name: 'query',
    args: 'COMMAND[; ARG…]',
    description: 'send any c2/QUERY, e.g. /query history; 5',
    async run(ctx, rest) {
      if (rest === '') usage(this);
      const [command, args] = splitQuery(rest);
      return answer(`/query ${rest}`, await ctx.query(command, ...args));
    },
  },
  {
    name: 'op',
    args: 'PASSWORD',
    description: 'become an operator',
    async run(ctx, rest) {
      if (rest === '') usage(this);
      return answer('/op', await ctx.query('op', rest));
    },
  },
  {
    name: 'ban',
    args: 'NAME [MESSAGE]',
    description: 'ban a name (operators; quote a name with spaces)',
    async run(ctx, rest) {
      const [name, message] = splitName(rest);
      if (name === '') usage(this);
      return answer('/ban', await ctx.query('ban', ...(message === '' ? [name] : [name, message])));
    },
  },
  {
    name: 'unban',
    args: 'NAME',
    description: 'lift a ban (operators)',
    async run(ctx, rest) {
      const [name] = splitName(rest);
      if (name === '') usage(this);
      return answer('/unban', await ctx.query('unban', name));
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
      return [{ kind: 'help' }];
    },
  },
  {
    name: 'quit',
    args: '',
    description: 'leave the server',
    async run(ctx) {
      await ctx.quit();
      return undefined;
    },
  },
];

/** A page of names and the number of users (as well as it is known). */
async function usersPage(ctx: SlashContext, offset: number): Promise<[readonly string[], number]> {
  if (ctx.usersPage) {
    // Both asked at once (pipelined): the count as fresh as the page.
    const [names] = await Promise.all([ctx.usersPage(offset, USERS_PER_PAGE), ctx.refreshUsers?.()]);
    // A short page is the last: it tells the count better than a count asked a while ago.
    const known = ctx.userCount ?? 0;
    const total = names.length < USERS_PER_PAGE ? offset + names.length : Math.max(known, offset + names.length);
    return [names, names.length === 0 && offset > 0 ? known : total];
  }
  const all = (await ctx.query('active_users')) as string[];
  return [all.slice(offset, offset + USERS_PER_PAGE), all.length];
}

/** `/users`' line: "3 users: a, b, c", or for a room of more pages "users 51–100 of 1,532 (page 2 of 31): …". */
export function describeUsersPage(page: number, offset: number, names: readonly string[], total: number): string {
  const pages = Math.max(1, Math.ceil(total / USERS_PER_PAGE));
  if (page === 1 && total <= USERS_PER_PAGE && names.length === total) {
    return `${plural(total, 'user', 'users')}: ${names.join(', ')}`;
  }
  if (names.length === 0) {
    return `no page ${page}: ${plural(total, 'user', 'users')}, ${plural(pages, 'page', 'pages')} of ${USERS_PER_PAGE}`;
  }
  const range = `${(offset + 1).toLocaleString('en')}–${(offset + names.length).toLocaleString('en')}`;
  const next = page < pages ? ' · /users more for the next page' : '';
  return `users ${range} of ${total.toLocaleString('en')} (page ${page} of ${pages}): ${names.join(', ')}${next}`;
}

export function findSlashCommand(name: string): SlashCommand | undefined {
  return SLASH_COMMANDS.find((c) => c.name === name);
}

/**
 * `/help`'s rows: usage and description of every command, and `//TEXT`. A client may
 * describe a command in its own words (`quit`: what leaving leads to).
 */
export function helpRows(describe: Readonly<Record<string, string>> = {}): Array<[string, string]> {
  return [
    ...SLASH_COMMANDS.map((c): [string, string] => [`/${c.name} ${c.args}`.trim(), describe[c.name] ?? c.description]),
    ['//TEXT', 'send a message that starts with /'],
  ];
}

/** How a client shows the two outputs that look different in each. */
export interface SlashPresentation {
  answer(title: string, text: string): NewEntry;
  help(): NewEntry;
}

/**
 * A reply as message-pane entries: notices, the history's messages (`me` marks ours,
 * `serverName` the server's announcements), and the client's answer and help.
 */
export function toEntries(reply: SlashReply, me: string, show: SlashPresentation, serverName = ''): NewEntry[] {
  const entries: NewEntry[] = [];
  for (const out of reply ?? []) {
    if (out.kind === 'notice') entries.push(notice(out.text));
    else if (out.kind === 'history') entries.push(...historyEntries(out.messages, me, 'command', serverName));
    else if (out.kind === 'answer') entries.push(show.answer(out.title, out.text));
    else entries.push(show.help());
  }
  return entries;
}
