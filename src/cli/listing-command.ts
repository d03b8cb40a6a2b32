import { Command, InvalidArgumentError, Option } from 'commander';
import { canonicalOrigin } from '../listing/cors.js';
import { startListingServer } from '../listing/index.js';
import {
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_MAX_FAILURES,
  DEFAULT_REGISTER_LIMIT,
} from '../listing/options.js';
import { DEFAULT_DB_FILE } from '../listing/store/open.js';
import { DEFAULT_LISTING_PORT } from '../protocol/address.js';
import { createLogger } from './logger.js';
import { integerIn, nonEmpty, port } from './parse.js';
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
  allowSelfSigned?: boolean;
  registerLimit: number;
  authFailureLimit: number;
  corsOrigin: string[];
}

/** `--cors-origin`: origins separated by commas; the flag may be given more than once. */
function origins(value: string, previous: string[]): string[] {
  const parsed = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const origin = canonicalOrigin(part);
      if (origin === null) {
        throw new InvalidArgumentError(
          `"${part}" is not an origin: write scheme://host[:port], as a browser sends it (https://admin.example.org).`,
        );
      }
      return origin;
    });
  return [...previous, ...parsed];
}

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
    .addOption(
      new Option(
        '--allow-self-signed',
        'accept any certificate when pinging a tls server over wss:// (self-signed, untrusted): tests and private setups only, unsafe for a public listing',
      ).env('C2_ALLOW_SELF_SIGNED'),
    )
    .addOption(
      new Option(
        '--register-limit <n>',
        'requests that make the listing dial (POST, PUT with a new address) a minute per caller IP; 0: no limit',
      )
        .env('C2_REGISTER_LIMIT')
        .default(DEFAULT_REGISTER_LIMIT)
        .argParser(integerIn(0, 1_000_000, 'the register limit')),
    )
    .addOption(
      new Option('--auth-failure-limit <n>', 'failed authentications (PUT, DELETE) a minute per caller IP; 0: no limit')
        .env('C2_AUTH_FAILURE_LIMIT')
        .default(DEFAULT_AUTH_FAILURE_LIMIT)
        .argParser(integerIn(0, 1_000_000, 'the auth failure limit')),
    )
    .addOption(
      new Option(
        '--cors-origin <origins>',
        'web origins (scheme://host[:port], comma-separated) whose pages may register, update and unlist; reads are open to all',
      )
        .env('C2_CORS_ORIGIN')
        .default([], 'none')
        .argParser(origins),
    )
    .action(async (flags: ListingFlags, command: Command) => {
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
          allowSelfSigned: flags.allowSelfSigned ?? false,
          registerRateLimit: { max: flags.registerLimit, windowMs: 60_000 },
          authFailureLimit: { max: flags.authFailureLimit, windowMs: 60_000 },
          corsOrigins: flags.corsOrigin,
        },
        log,
      );
      onShutdownSignal(log, async () => (await starting).close());
      await starting;
    });
}
