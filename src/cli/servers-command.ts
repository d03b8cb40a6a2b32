import { Command, InvalidArgumentError, Option } from 'commander';
import {
  type ListedServer,
  ListingClient,
  ListingError,
  type ListingQuery,
  type ListingSort,
  MAX_PAGE_SIZE,
} from '../client/listing-client.js';
import { pingServer } from '../client/node.js';
import { listedServerUrl } from '../client/server-url.js';
import { DEFAULT_LISTING_PORT } from '../protocol/address.js';
import { mapBounded } from './concurrency.js';
import { httpUrl, integerIn } from './parse.js';
import { formatTable } from './table.js';

interface ServersFlags {
  listing: string;
  json?: boolean;
  timeout: number;
  concurrency: number;
  q?: string;
  notFull?: boolean;
  notEmpty?: boolean;
  sort: ListingSort;
  limit?: number;
}

const SORTS: readonly ListingSort[] = ['id', 'name', 'users', '-users'];

function sortOrder(value: string): ListingSort {
  if (!(SORTS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError('the order is one of id, name, users (fewest first), -users (most first).');
  }
  return value as ListingSort;
}

function searchText(value: string): string {
  if ([...value.trim()].length > 100) throw new InvalidArgumentError('the search text may be at most 100 characters.');
  return value;
}

/**
 * The servers to show: every match (one request), or with `limit` the first `limit`
 * matches, read in pages; `more` says whether the directory holds more matches.
 */
async function readDirectory(
  client: ListingClient,
  query: ListingQuery,
  limit: number | undefined,
): Promise<{ servers: ListedServer[]; more: boolean }> {
  if (limit === undefined) return { servers: await client.list(query), more: false };
  const servers: ListedServer[] = [];
  let cursor: string | null = null;
  do {
    const page: { servers: ListedServer[]; next: string | null } = await client.page(query, {
      limit: Math.min(MAX_PAGE_SIZE, limit - servers.length),
      cursor,
    });
    servers.push(...page.servers);
    cursor = page.next;
  } while (cursor !== null && servers.length < limit);
  return { servers, more: cursor !== null };
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
    .description(
      'list the servers of a listing (all, or filtered, sorted and limited), each one shown pinged live (c2/PING <timestamp>)',
    )
    .addOption(
      new Option('--listing <url>', 'the listing server')
        .env('C2_LISTING')
        .default(DEFAULT_LISTING_URL)
        .argParser(httpUrl),
    )
    .addOption(new Option('--q <text>', 'only servers whose name or address contains this text').argParser(searchText))
    .addOption(new Option('--not-full', 'only servers with room'))
    .addOption(new Option('--not-empty', 'only servers with someone connected'))
    .addOption(
      new Option('--sort <order>', 'id, name, users (fewest first) or -users (most first)')
        .default('id')
        .argParser(sortOrder),
    )
    .addOption(
      new Option('--limit <n>', 'show (and ping) at most n servers, read in pages').argParser(
        integerIn(1, 1_000_000, 'the limit'),
      ),
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
      const query: ListingQuery = {
        ...(flags.q === undefined ? {} : { q: flags.q }),
        ...(flags.notFull ? { notFull: true } : {}),
        ...(flags.notEmpty ? { notEmpty: true } : {}),
        sort: flags.sort,
      };
      let servers: ListedServer[];
      let more: boolean;
      try {
        ({ servers, more } = await readDirectory(
          new ListingClient(flags.listing, { timeoutMs: 10_000 }),
          query,
          flags.limit,
        ));
      } catch (err) {
        return command.error(`c2: cannot read the listing at ${flags.listing}: ${describeFailure(err)}`);
      }
      // Only the servers shown are pinged.
      const pings = await mapBounded(servers, flags.concurrency, (s) =>
        // A tls entry over wss:// (its certificate verified, as any client would).
        pingServer(listedServerUrl(s) ?? s.address, { timeoutMs: flags.timeout, expectedId: s.id }).then(
          (r) => r.rttMs,
          () => null,
        ),
      );
      const filtered = query.q !== undefined || query.notFull || query.notEmpty;
      const moreNote = `… the first ${servers.length}${filtered ? ' matches' : ''}: more are listed (raise --limit, or narrow with --q, --not-full, --not-empty)\n`;
      if (flags.json) {
        const out = servers.map((s, i) => ({
          ...s,
          pingMs: pings[i] === null ? null : Math.round((pings[i] ?? 0) * 100) / 100,
        }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        // The JSON stays an array of the servers shown; the note is for the person.
        if (more) process.stderr.write(moreNote);
        return;
      }
      if (servers.length === 0) {
        process.stdout.write(
          filtered ? `no server at ${flags.listing} matches\n` : `no servers listed at ${flags.listing}\n`,
        );
        return;
      }
      const rows = servers.map((s, i) => {
        const ping = pings[i];
        return [
          s.displayName,
          // What `c2 chat` takes: a tls entry as its wss:// URL (it speaks nothing else).
          s.tls ? (listedServerUrl(s) ?? s.address) : s.address,
          `${s.connectedUsers}/${s.maxUsers}`,
          ping === null || ping === undefined ? '—' : `${ping.toFixed(1)} ms`,
        ];
      });
      process.stdout.write(`${formatTable(['NAME', 'ADDRESS', 'USERS', 'PING'], rows)}\n`);
      if (more) process.stdout.write(moreNote);
    });
}
