import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { startListingServer } from '../listing/index.js';
import { DEFAULT_DB_FILE } from '../listing/store/open.js';
import { DEFAULT_CHAT_PORT, DEFAULT_LISTING_PORT, formatAddress } from '../protocol/address.js';
import { startChatServer } from '../server/chat-server.js';
import { DEFAULT_DATA_DIR } from '../server/options.js';
import { createLogger } from './logger.js';
import { port, serverName } from './parse.js';
import { onShutdownSignal } from './signals.js';

interface LocalFlags {
  host: string;
  chatPort: number;
  listingPort: number;
  name: string;
  dataDir: string;
  db: string;
}

const REGISTRATION_WAIT_MS = 10_000;

function friendlyName(): string {
  const host = hostname().split('.')[0] || 'this computer';
  const name = `Chatter on ${host}`;
  return [...name].length <= 64 ? name : 'Chatter';
}

/**
 * `c2 local` (what `npm start` runs): a listing server and a chat server registered with
 * it, in one process, for trying Chatter on one machine. Ctrl-C unregisters and stops both.
 */
export function localCommand(): Command {
  return new Command('local')
    .description('run the whole system locally: a listing server and a chat server registered with it')
    .addOption(
      new Option('--host <host>', 'interface both servers listen on').env('C2_LOCAL_HOST').default('127.0.0.1'),
    )
    .addOption(new Option('--chat-port <port>', 'the chat server port').default(DEFAULT_CHAT_PORT).argParser(port))
    .addOption(
      new Option('--listing-port <port>', 'the listing server port').default(DEFAULT_LISTING_PORT).argParser(port),
    )
    .addOption(new Option('--name <name>', 'the chat server name').default(friendlyName()).argParser(serverName))
    .addOption(new Option('--data-dir <dir>', "the chat server's data directory").default(DEFAULT_DATA_DIR))
    .addOption(new Option('--db <file>', "the listing's SQLite file").default(DEFAULT_DB_FILE))
    .action(async (flags: LocalFlags) => {
      const log = createLogger('c2-local');
      let stop: () => Promise<void> = async () => {};
      onShutdownSignal(log, () => stop());
      const listing = await startListingServer(
        { host: flags.host, port: flags.listingPort, db: flags.db, allowPrivateAddresses: true },
        log.child({ component: 'listing' }),
      );
      stop = () => listing.close();
      const dialHost = flags.host === '0.0.0.0' ? '127.0.0.1' : flags.host;
      const listingUrl = `http://${formatAddress(dialHost, listing.port)}`;
      let chat: Awaited<ReturnType<typeof startChatServer>>;
      try {
        chat = await startChatServer(
          {
            host: flags.host,
            port: flags.chatPort,
            name: flags.name,
            dataDir: flags.dataDir,
            listing: { url: listingUrl },
          },
          log.child({ component: 'chat' }),
        );
      } catch (err) {
        await listing.close();
        throw err;
      }
      // The chat server unregisters first, then the listing stops.
      stop = async () => {
        await chat.close();
        await listing.close();
      };
      const deadline = Date.now() + REGISTRATION_WAIT_MS;
      while (chat.registrar?.state !== 'registered' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));

      const shown = flags.host === '0.0.0.0' || flags.host === '127.0.0.1' ? 'localhost' : dialHost;
      // The page finds the listing at the default port of its own host unless told otherwise.
      const listingQuery =
        listing.port === DEFAULT_LISTING_PORT
          ? ''
          : `?listing=${encodeURIComponent(`http://${shown}:${listing.port}`)}`;
      const web = `http://${shown}:${chat.port}/${listingQuery}`;
      const lines = [
        '',
        'Chatter is running.',
        '',
        `  Open the web client:    ${web}`,
        `  Server browser:         http://${shown}:${listing.port}/`,
        `  Chat in a terminal:     node bin/c2.js chat ws://${shown}:${chat.port}`,
        `  List the servers:       node bin/c2.js servers --listing http://${shown}:${listing.port}`,
        '',
        `  Chat server "${chat.options.name}" (id ${chat.options.id}) on ws://${shown}:${chat.port}, ${
          chat.registrar?.state === 'registered' ? 'listed' : 'NOT listed yet (see the log)'
        }`,
        `  Listing server on http://${shown}:${listing.port} (API docs at /docs)`,
        '',
        '  Press Ctrl-C to stop.',
        '',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
