import { Command, type InvalidArgumentError, Option } from 'commander';
import { startListingServer } from '../listing/index.js';
import { DEFAULT_CHECK_INTERVAL_MS, DEFAULT_MAX_FAILURES } from '../listing/options.js';
import { DEFAULT_DB_FILE } from '../listing/store/open.js';
import { DEFAULT_LISTING_PORT } from '../protocol/address.js';
import { createLogger } from './logger.js';
import { envBoolean, integerIn, nonEmpty, port } from './parse.js';
import { onShutdownSignal } from './signals.js';
import { readTlsFlags } from './tls.js';

interface ListingFlags {
  host: string;
  port: number;
  db: string;
  allowPrivateAddresses?: boolean;
  anyAddress?: boolean;
  trustProxy?: boolean;
  checkInterval: number;
  maxFailures: number;
  tlsCert?: string;
  tlsKey?: string;
}

const BOOLEAN_FLAGS = [
  ['allowPrivateAddresses', 'C2_ALLOW_PRIVATE_ADDRESSES'],
  ['anyAddress', 'C2_ANY_ADDRESS'],
  ['trustProxy', 'C2_TRUST_PROXY'],
] as const;

export function listingCommand(): Command {
  return new Command('listing')
    .description('run a c2 listing server: the directory of chat servers (HTTP REST, /docs for the API)')
    .addOption(new Option('--host <host>', 'interface to listen on').env('C2_HOST').default('0.0.0.0'))
    .addOption(
      new Option('--port <port>', 'TCP port (0 picks a free one)')
        .env('C2_PORT')
        .default(DEFAULT_LISTING_PORT)
        .argParser(port),
    )
    .addOption(
      new Option(
        '--db <file|url>',
        'SQLite database file, or a postgres:// URL to share one directory between instances',
      )
        .env('C2_DB')
        .default(DEFAULT_DB_FILE)
        .argParser(nonEmpty('--db')),
    )
    .addOption(
      new Option('--allow-private-addresses', 'list and ping loopback, private and link-local addresses').env(
        'C2_ALLOW_PRIVATE_ADDRESSES',
      ),
    )
    .addOption(
      new Option('--any-address', 'let a caller list an address other than its own (trusted registrants only)').env(
        'C2_ANY_ADDRESS',
      ),
    )
    .addOption(
      new Option('--trust-proxy', 'take the caller address from X-Forwarded-For (behind a reverse proxy)').env(
        'C2_TRUST_PROXY',
      ),
    )
    .addOption(
      new Option('--check-interval <ms>', 'how often each listed server is pinged')
        .env('C2_CHECK_INTERVAL')
        .default(DEFAULT_CHECK_INTERVAL_MS)
        .argParser(integerIn(100, 2_147_483_647, 'the check interval (milliseconds)')),
    )
    .addOption(
      new Option('--max-failures <n>', 'failed pings in a row before a server is removed')
        .env('C2_MAX_FAILURES')
        .default(DEFAULT_MAX_FAILURES)
        .argParser(integerIn(1, 1000, 'max failures')),
    )
    .addOption(new Option('--tls-cert <file>', 'TLS certificate (PEM): serve https://').env('C2_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'TLS private key (PEM)').env('C2_TLS_KEY'))
    .action(async (flags: ListingFlags, command: Command) => {
      for (const [name, variable] of BOOLEAN_FLAGS) {
        if (command.getOptionValueSource(name) !== 'env') continue;
        try {
          flags[name] = envBoolean(variable, process.env[variable]);
        } catch (err) {
          command.error(`error: ${(err as InvalidArgumentError).message}`);
        }
      }
      const tls = readTlsFlags(command, flags);
      const log = createLogger('c2-listing');
      // Signals are handled from before the ready line, so a signal right after it is clean.
      const starting = startListingServer(
        {
          host: flags.host,
          port: flags.port,
          db: flags.db,
          allowPrivateAddresses: flags.allowPrivateAddresses ?? false,
          anyAddress: flags.anyAddress ?? false,
          trustProxy: flags.trustProxy ?? false,
          checkIntervalMs: flags.checkInterval,
          maxFailures: flags.maxFailures,
          tls,
        },
        log,
      );
      onShutdownSignal(log, async () => (await starting).close());
      await starting;
    });
}
