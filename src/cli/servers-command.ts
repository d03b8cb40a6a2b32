import { Command, Option } from 'commander';
import { pingServer } from '../client/ping.js';
import { mapBounded } from './concurrency.js';
import { httpUrl, integerIn } from './parse.js';
import { formatTable } from './table.js';

interface ServersFlags {
  listing: string;
  json?: boolean;
  timeout: number;
  concurrency: number;
}

interface Listed {
  id: number;
  displayName: string;
  address: string;
  connectedUsers: number;
  maxUsers: number;
}

export const DEFAULT_LISTING_URL = 'http://localhost:8080';

async function fetchDirectory(listing: string, timeoutMs: number): Promise<Listed[]> {
  const res = await fetch(`${listing}/servers`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!res.ok) throw new Error(`the listing answered HTTP ${res.status}`);
  const body = (await res.json()) as { servers?: unknown };
  if (!Array.isArray(body.servers)) throw new Error('the listing answered without a "servers" array');
  return body.servers as Listed[];
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
      let servers: Listed[];
      try {
        servers = await fetchDirectory(flags.listing, 10_000);
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const why =
          e.name === 'TimeoutError' ? 'no answer within 10 s' : (e.cause?.code ?? e.cause?.message ?? e.message);
        return command.error(`c2: cannot read the listing at ${flags.listing}: ${why}`);
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
