import { Command, Option } from 'commander';
import { type ListedServer, ListingClient, ListingError } from '../client/listing-client.js';
import { pingServer } from '../client/node.js';
import { DEFAULT_LISTING_PORT } from '../protocol/address.js';
import { mapBounded } from './concurrency.js';
import { httpUrl, integerIn } from './parse.js';
import { formatTable } from './table.js';

interface ServersFlags {
  listing: string;
  json?: boolean;
  timeout: number;
  concurrency: number;
}

export const DEFAULT_LISTING_URL = `http://localhost:${DEFAULT_LISTING_PORT}`;

/** Why the directory could not be read, in a few words. */
function describeFailure(err: unknown): string {
  if (!(err instanceof ListingError)) return (err as Error).message;
  if (err.code === 'timeout') return 'no answer within 10 s';
  if (err.code === 'network') {
    const cause = (err.cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return err.status ? `the listing answered HTTP ${err.status} (${err.message})` : err.message;
}

/** `c2 servers`: the directory with live pings, as a table or JSON. */
export function serversCommand(): Command {
  return new Command('servers')
    .description('list the servers of a listing, each pinged live (c2/PING <timestamp>)')
    .addOption(
      new Option('--listing <url>', 'the listing server')
        .env('C2_LISTING')
        .default(DEFAULT_LISTING_URL)
        .argParser(httpUrl),
    )
    .addOption(new Option('--json', 'print JSON for scripts'))
    .addOption(
      new Option('-W, --timeout <ms>', 'how long to wait for each ping')
        .default(2000)
        .argParser(integerIn(1, 60_000, 'the timeout')),
    )
    .addOption(
      new Option('--concurrency <n>', 'pings in flight at once')
        .default(16)
        .argParser(integerIn(1, 1000, 'the concurrency')),
    )
    .action(async (flags: ServersFlags, command: Command) => {
      let servers: ListedServer[];
      try {
        servers = await new ListingClient(flags.listing, { timeoutMs: 10_000 }).list();
      } catch (err) {
        return command.error(`c2: cannot read the listing at ${flags.listing}: ${describeFailure(err)}`);
      }
      const pings = await mapBounded(servers, flags.concurrency, (s) =>
        pingServer(s.address, { timeoutMs: flags.timeout, expectedId: s.id }).then(
          (r) => r.rttMs,
          () => null,
        ),
      );
      if (flags.json) {
        const out = servers.map((s, i) => ({
          ...s,
          pingMs: pings[i] === null ? null : Math.round((pings[i] ?? 0) * 100) / 100,
        }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      if (servers.length === 0) {
        process.stdout.write(`no servers listed at ${flags.listing}\n`);
        return;
      }
      const rows = servers.map((s, i) => {
        const ping = pings[i];
        return [
          s.displayName,
          s.address,
          `${s.connectedUsers}/${s.maxUsers}`,
          ping === null || ping === undefined ? '—' : `${ping.toFixed(1)} ms`,
        ];
      });
      process.stdout.write(`${formatTable(['NAME', 'ADDRESS', 'USERS', 'PING'], rows)}\n`);
    });
}
