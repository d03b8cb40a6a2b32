import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { Redis } from 'ioredis';
import { startListingServer } from '../listing/index.js';
import { DEFAULT_DB_FILE } from '../listing/store/open.js';
import { DEFAULT_CHAT_PORT, DEFAULT_LISTING_PORT, formatAddress } from '../protocol/address.js';
import { startChatServer } from '../server/chat-server.js';
import { clusterKeys } from '../server/engine/redis.js';
import { DEFAULT_DATA_DIR } from '../server/options.js';
import { createLogger } from './logger.js';
import { integerIn, port, redisUrl, serverName } from './parse.js';
import { onShutdownSignal } from './signals.js';

interface LocalFlags {
  host: string;
  chatPort: number;
  listingPort: number;
  name: string;
  dataDir: string;
  db: string;
  nodes: number;
  cluster: string;
}

type ChatServer = Awaited<ReturnType<typeof startChatServer>>;

/** The most nodes `--nodes` starts (each is a process's worth of work, here in one process). */
export const MAX_LOCAL_NODES = 16;
export const DEFAULT_LOCAL_CLUSTER = 'redis://127.0.0.1:6379';

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
    .addOption(
      new Option('--nodes <n>', 'run the chat server as this many nodes of one cluster (on consecutive ports)')
        .env('C2_NODES')
        .default(1)
        .argParser(integerIn(1, MAX_LOCAL_NODES, 'the number of nodes')),
    )
    .addOption(
      new Option('--cluster <url>', 'with --nodes 2 or more: the Redis the nodes meet in, redis://HOST:PORT[/DB]')
        .env('C2_CLUSTER')
        .default(DEFAULT_LOCAL_CLUSTER)
        .argParser(redisUrl),
    )
    .action(async (flags: LocalFlags) => {
      const lastPort = flags.chatPort + flags.nodes - 1;
      if (flags.chatPort !== 0 && lastPort > 65_535) {
        throw new Error(
          `--nodes ${flags.nodes} from --chat-port ${flags.chatPort} needs ports up to ${lastPort}, past 65535`,
        );
      }
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
      if (flags.nodes > 1) {
        await runNodes(flags, listingUrl, listing, log, (s) => {
          stop = s;
        });
        return;
      }
      let chat: ChatServer;
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

      // The page finds the listing at the default port of its own host unless told otherwise.
      const { shown, listingQuery } = shownAddresses(flags.host, dialHost, listing.port);
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

/**
 * The state of a `c2 local --nodes` run, gone with it (its server id is never used again):
 * its keys are removed from the Redis it shares, bounded in time.
 */
async function forgetCluster(url: string, id: number, log: ReturnType<typeof createLogger>): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const { lease: _lease, leasePrefix: _prefix, ...keys } = clusterKeys(id);
    await redis.del(...Object.values(keys));
  } catch (err) {
    log.warn({ err: (err as Error).message }, `could not remove cluster ${id}'s keys from ${url}`);
  } finally {
    redis.disconnect();
  }
}

/** The host shown in the banner, and the web client's link to the listing (none at the default port). */
function shownAddresses(host: string, dialHost: string, listingPort: number): { shown: string; listingQuery: string } {
  const shown = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : dialHost;
  const listingQuery =
    listingPort === DEFAULT_LISTING_PORT ? '' : `?listing=${encodeURIComponent(`http://${shown}:${listingPort}`)}`;
  return { shown, listingQuery };
}

/**
 * `c2 local --nodes N`: N nodes of one chat server (contract §11) in this process, meeting in
 * the Redis of `--cluster`, on consecutive ports from `--chat-port` (or free ones with 0),
 * under a new server id each run (several runs can share one Redis), listed once through the
 * listing lease. Ctrl-C stops the nodes that do not hold the lease, then the holder, which,
 * being the last, unregisters.
 */
async function runNodes(
  flags: LocalFlags,
  listingUrl: string,
  listing: { port: number; close(): Promise<void> },
  log: ReturnType<typeof createLogger>,
  setStop: (stop: () => Promise<void>) => void,
): Promise<void> {
  const id = randomInt(1, 2 ** 47);
  const nodes: ChatServer[] = [];
  const closeAll = async () => {
    const holder = nodes.find((n) => n.registrar !== undefined);
    await Promise.all(nodes.filter((n) => n !== holder).map((n) => n.close()));
    await holder?.close();
    await listing.close();
    if (nodes.length > 0) await forgetCluster(flags.cluster, id, log);
  };
  setStop(closeAll);
  try {
    for (let i = 0; i < flags.nodes; i++) {
      nodes.push(
        await startChatServer(
          {
            host: flags.host,
            port: flags.chatPort === 0 ? 0 : flags.chatPort + i,
            id,
            name: flags.name,
            cluster: flags.cluster,
            listing: { url: listingUrl },
          },
          log.child({ component: `node ${i + 1}` }),
        ),
      );
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  const deadline = Date.now() + REGISTRATION_WAIT_MS;
  const listed = () => nodes.some((n) => n.registrar?.state === 'registered');
  while (!listed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  const dialHost = flags.host === '0.0.0.0' ? '127.0.0.1' : flags.host;
  const { shown, listingQuery } = shownAddresses(flags.host, dialHost, listing.port);
  const first = nodes[0] as ChatServer;
  const lines = [
    '',
    `Chatter is running: one chat server on ${nodes.length} nodes.`,
    '',
    `  Open the web client:    http://${shown}:${first.port}/${listingQuery}`,
    `  Server browser:         http://${shown}:${listing.port}/`,
    `  Chat in a terminal:     node bin/c2.js chat ws://${shown}:${first.port}`,
    `  List the servers:       node bin/c2.js servers --listing http://${shown}:${listing.port}`,
    '',
    `  Chat server "${first.options.name}" (id ${id}) on ${nodes.length} nodes, ${
      listed() ? 'listed once' : 'NOT listed yet (see the log)'
    }; they meet in ${flags.cluster}`,
    ...nodes.map(
      (n, i) => `    node ${i + 1}: ws://${shown}:${n.port}   (web client http://${shown}:${n.port}/${listingQuery})`,
    ),
    `  Listing server on http://${shown}:${listing.port} (API docs at /docs)`,
    '',
    '  Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
