/** `c2 chat <ws://host:port> [--username NAME]`: the terminal client (contract §9). */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pingServer } from '../client/node.js';
import { PingError } from '../client/ping.js';
import { parseServerUrl } from '../client/server-url.js';

interface ChatFlags {
  username?: string;
}

/** The URL to dial for a `ws://`/`wss://` URL or `host:port` (src/client/server-url.ts). */
export function chatUrl(value: string): string {
  const parsed = parseServerUrl(value);
  if (!parsed.ok) throw new InvalidArgumentError(`${parsed.reason}.`);
  return parsed.url;
}

export function chatCommand(): Command {
  return new Command('chat')
    .description('chat on a c2 server in the terminal (run /help inside for the commands)')
    .argument('<url>', 'the server: ws://host:port, wss://host:port or host:port', chatUrl)
    .addOption(new Option('--username <name>', 'join under this name (asked for when absent)').env('C2_USERNAME'))
    .action(async (url: string, flags: ChatFlags, command: Command) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        command.error('error: c2 chat is interactive: run it in a terminal.');
      }
      // Fail fast, before asking for a name, when there is no c2 server there.
      try {
        await pingServer(url);
      } catch (err) {
        const reason = err instanceof PingError ? err.message : String(err);
        process.stderr.write(`c2: cannot reach a c2 server at ${url}: ${reason}\n`);
        process.exit(1);
      }
      // Ink renders only the final frame when it believes it runs in CI; on a real terminal
      // an interactive program must render live whatever the environment says.
      delete process.env.CI;
      delete process.env.CONTINUOUS_INTEGRATION;
      const { runChat } = await import('./chat/run.js');
      const { code, message } = await runChat(
        flags.username === undefined ? { url } : { url, username: flags.username },
      );
      if (message !== undefined) process.stderr.write(`c2: ${message}\n`);
      process.exitCode = code;
      // Sockets and the terminal are closed; exit even if a stray handle lingers.
      setTimeout(() => process.exit(code), 200).unref();
    });
}
