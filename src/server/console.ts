import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { splitName } from '../client/slash.js';
import { validateMessageText } from '../protocol/rules.js';
import type { Outcome } from './commands/rules.js';
import { andThen, type Maybe } from './engine/types.js';
import type { ChatHub } from './hub.js';
import { DEFAULT_BAN_MESSAGE } from './options.js';

interface ConsoleCommand {
  usage: string;
  description: string;
  run(hub: ChatHub, rest: string): Maybe<string>;
}

function show(result: Maybe<Outcome>): Maybe<string> {
  return andThen(result, (r) => (r.ok ? r.text : `error: ${r.text}`));
}

/** First word, and the rest of the line after one space. */
function splitWord(rest: string): [string, string] {
  const trimmed = rest.trimStart();
  const space = trimmed.indexOf(' ');
  return space === -1 ? [trimmed, ''] : [trimmed.slice(0, space), trimmed.slice(space + 1)];
}

const COMMANDS = {
  '/ban': {
    usage: '/ban NAME [message]',
    description: 'ban a username and disconnect its holder ("quote a name" with spaces)',
    run(hub, rest) {
      // A name is read as the chat clients read it: "quoted" when it has spaces.
      const [name, message] = splitName(rest.trim());
      if (!name) return 'usage: /ban NAME [message]';
      return show(hub.ban(name, message === '' ? DEFAULT_BAN_MESSAGE : message));
    },
  },
  '/unban': {
    usage: '/unban NAME',
    description: 'lift a ban',
    run(hub, rest) {
      const [name, extra] = splitName(rest.trim());
      if (!name || extra !== '') return 'usage: /unban NAME ("quote a name" with spaces)';
      return show(hub.unban(name));
    },
  },
  '/users': {
    usage: '/users',
    description: 'list connected users, in join order',
    run(hub) {
      return andThen(hub.engine.usernames(), (names) =>
        names.length === 0 ? 'no users connected' : `${names.length} connected: ${names.join(', ')}`,
      );
    },
  },
  '/say': {
    usage: '/say TEXT',
    description: "send a message to everyone, under the server's name",
    run(hub, rest) {
      const problem = validateMessageText(rest, hub.options.limits.messageMaxLength);
      if (problem) return `error: ${problem}`;
      return andThen(hub.announce(rest), (failure) =>
        failure === null ? `sent as "${hub.options.name}"` : `error: ${failure}`,
      );
    },
  },
  '/help': {
    usage: '/help',
    description: 'this list',
    run() {
      return [...TABLE.values()].map((c) => `  ${c.usage.padEnd(22)} ${c.description}`).join('\n');
    },
  },
} satisfies Record<string, ConsoleCommand>;

const TABLE: ReadonlyMap<string, ConsoleCommand> = new Map(Object.entries(COMMANDS));

/** Runs one console line and returns what to print. */
export function runConsoleLine(hub: ChatHub, line: string): Maybe<string | undefined> {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  const [word, rest] = splitWord(trimmed);
  const command = TABLE.get(word);
  if (!command) return `unknown command "${word}": /help lists them`;
  return command.run(hub, rest);
}

/**
 * The operator console: one command per line on `input`, answers on `output`. Closing the
 * input (end of file) only ends the console, never the server.
 */
export function attachConsole(hub: ChatHub, input: Readable, output: Writable): () => void {
  const rl = createInterface({ input, terminal: false });
  output.write('operator console ready: /help lists the commands\n');
  rl.on('line', (line) => {
    void andThen(runConsoleLine(hub, line), (answer) => {
      if (answer !== undefined) output.write(`${answer}\n`);
    });
  });
  return () => rl.close();
}
