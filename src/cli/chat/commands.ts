/**
 * How the terminal client shows the slash commands (the table is the web client's too:
 * src/client/slash-commands.ts): an answer as one notice, however long, and `/help` with
 * the keys.
 */
import { helpRows, type SlashPresentation } from '../../client/slash-commands.js';
import { notice } from './log.js';

export const PRESENTATION: SlashPresentation = {
  answer: (_title, text) => notice(text),
  help: () => notice(helpText()),
};

export function helpText(): string {
  const rows = helpRows({ quit: 'leave the server and exit (also Ctrl+C)' });
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return [
    'commands:',
    ...rows.map(([usage, description]) => `  ${usage.padEnd(width)}  ${description}`),
    'keys: Enter send · ↑/↓ input history · ←/→ Home/End move · Tab complete a name',
    '      PgUp/PgDn scroll · Esc back to the newest · Ctrl+W delete word · Ctrl+U delete to start · Ctrl+C quit',
  ].join('\n');
}
