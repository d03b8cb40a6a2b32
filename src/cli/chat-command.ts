/**
 * `c2 chat <ws://host:port> [--username NAME]`: the terminal client (contract §9); or
 * `c2 chat <id> [--listing URL]`: the server of that id in the listing, over `wss://` when
 * its entry says `tls`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ListingClient, ListingError } from '../client/listing-client.js';
import { pingServer } from '../client/node.js';
import { PingError } from '../client/ping.js';
import { listedServerUrl, parseServerUrl } from '../client/server-url.js';
import { parseServerId } from '../protocol/rules.js';
import { httpUrl } from './parse.js';
import { DEFAULT_LISTING_URL } from './servers-command.js';

interface ChatFlags {
  username?: string;
  listing: string;
}

/** The URL to dial for a `ws://`/`wss://` URL or `host:port` (src/client/server-url.ts). */
export function chatUrl(value: string): string {
  const parsed = parseServerUrl(value);
  if (!parsed.ok) throw new InvalidArgumentError(`${parsed.reason}.`);
  return parsed.url;
}

/** The argument: a server id (a canonical integer) to look up in the listing, or a URL. */
export type ChatTarget = { id: number } | { url: string };

export function chatTarget(value: string): ChatTarget {
  const id = parseServerId(value.trim());
  return id === null ? { url: chatUrl(value) } : { id };
}

/**
 * The URL of the server `target` names: a URL as it is; an id through the listing at
 * `listingUrl` (`wss://` for an entry with `tls`). Throws an Error with a readable message.
 */
export async function resolveChatTarget(target: ChatTarget, listingUrl: string): Promise<string> {
  if ('url' in target) return target.url;
  let entry: Awaited<ReturnType<ListingClient['get']>>;
  try {
    entry = await new ListingClient(listingUrl, { timeoutMs: 10_000 }).get(target.id);
  } catch (err) {
    if (err instanceof ListingError && err.status === 404) {
      throw new Error(`server ${target.id} is not listed at ${listingUrl}`);
    }
    throw new Error(`cannot read the listing at ${listingUrl}: ${(err as Error).message}`);
  }
  const url = listedServerUrl(entry);
  if (url === null) throw new Error(`the listing gives server ${target.id} an address that is not host:port`);
  return url;
}

export function chatCommand(): Command {
  return new Command('chat')
    .description('chat on a c2 server in the terminal (run /help inside for the commands)')
    .argument(
      '<url>',
      'the server: ws://host:port, wss://host:port, host:port, or a server id from the listing (--listing)',
      chatTarget,
    )
    .addOption(new Option('--username <name>', 'join under this name (asked for when absent)').env('C2_USERNAME'))
    .addOption(
      new Option('--listing <url>', 'the listing to find a server id in (wss:// for a tls entry)')
        .env('C2_LISTING')
        .default(DEFAULT_LISTING_URL)
        .argParser(httpUrl),
    )
    .action(async (target: ChatTarget, flags: ChatFlags, command: Command) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        command.error('error: c2 chat is interactive: run it in a terminal.');
      }
      let url: string;
      try {
        url = await resolveChatTarget(target, flags.listing);
      } catch (err) {
        process.stderr.write(`c2: ${(err as Error).message}\n`);
        process.exit(1);
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
