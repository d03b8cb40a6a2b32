/**
 * How the web client shows the slash commands (the table is the terminal client's too:
 * src/client/slash-commands.ts). A mistake in the command line is a CommandError, shown at
 * the input; a long answer is a notice with the answer as its detail. Pure: runs (and is
 * tested) without a browser.
 */
import {
  CommandError,
  findSlashCommand,
  helpRows,
  type SlashContext,
  type SlashPresentation,
  toEntries,
} from '../../../src/client/slash-commands.js';
import { type NewEntry, notice } from './entries.js';

const PRESENTATION: SlashPresentation = {
  // A one-line answer is the notice itself; anything longer goes under a title.
  answer: (title, text) =>
    text.includes('\n') || text.length > 120 ? notice(title, 'info', text) : notice(text || title),
  help: () => notice('Commands', 'info', helpText()),
};

/** Runs a parsed command; throws a CommandError for an unknown one or a mistake in its arguments. */
export async function runCommand(ctx: SlashContext, name: string, rest: string): Promise<NewEntry[]> {
  const command = findSlashCommand(name);
  if (command === undefined) {
    throw new CommandError(
      name === '' ? 'type a command after "/" (/help lists them)' : `unknown command /${name}: /help lists them`,
    );
  }
  return toEntries(await command.run(ctx, rest), ctx.username, PRESENTATION, ctx.serverName);
}

export function helpText(): string {
  const rows = helpRows({ quit: 'leave the server (back to the server list)' });
  const width = Math.max(...rows.map(([u]) => u.length));
  return [
    ...rows.map(([u, description]) => `${u.padEnd(width)}  ${description}`),
    '',
    'Keys: Enter sends · Shift+Enter new line · ↑/↓ input history · Esc clears the error',
  ].join('\n');
}
