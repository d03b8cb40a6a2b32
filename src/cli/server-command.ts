import { Command, Option } from 'commander';
import { DEFAULT_CHAT_PORT } from '../protocol/address.js';
import type { IpRange } from '../protocol/ip.js';
import { DEFAULT_LIMITS } from '../protocol/rules.js';
import { DEFAULT_CONNECT_RATE, DEFAULT_EXEMPT_IPS, DEFAULT_MAX_PER_IP } from '../server/admission.js';
import { startChatServer } from '../server/chat-server.js';
import { attachConsole } from '../server/console.js';
import {
  DEFAULT_ANNOUNCE_LIMIT,
  DEFAULT_DATA_DIR,
  DEFAULT_HISTORY_SIZE,
  DEFAULT_LISTING_HEARTBEAT_MS,
  DEFAULT_SERVER_NAME,
} from '../server/options.js';
import { createLogger } from './logger.js';
import { hostPort, httpUrl, integerIn, ipRanges, nonEmpty, port, redisUrl, serverId, serverName } from './parse.js';
import { onShutdownSignal } from './signals.js';

import { readTlsFlags } from './tls.js';

interface ServerFlags {
  host: string;
  port: number;
  id?: number;
  name: string;
  maxUsers: number;
  announceLimit: number;
  dataDir: string;
  listing?: string;
  publicAddress?: string;
  listingHeartbeat: number;
  opPassword?: string;
  historySize: number;
  console?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  maxPerIp: number;
  connectRate: number;
  exemptIps: IpRange[] | string;
  trustProxy?: boolean;
  cluster?: string;
}

export function serverCommand(): Command {
  return new Command('server')
    .description('run a c2 chat server (WebSocket on /, web client, /healthz and /metrics on the same port)')
    .addOption(new Option('--host <host>', 'interface to listen on').env('C2_HOST').default('0.0.0.0'))
    .addOption(
      new Option('--port <port>', 'TCP port (0 picks a free one)')
        .env('C2_PORT')
        .default(DEFAULT_CHAT_PORT)
        .argParser(port),
    )
    .addOption(
      new Option('--id <n>', 'server id (default: the one kept in the data directory, or a new random one)')
        .env('C2_ID')
        .argParser(serverId),
    )
    .addOption(
      new Option('--name <name>', 'server name, sent in ACKNOWLEDGE')
        .env('C2_NAME')
        .default(DEFAULT_SERVER_NAME)
        .argParser(serverName),
    )
    .addOption(
      new Option('--max-users <n>', 'most users connected at once')
        .env('C2_MAX_USERS')
        .default(DEFAULT_LIMITS.maxUsers)
        .argParser(integerIn(1, 1_000_000, 'max users')),
    )
    .addOption(
      new Option('--announce-limit <n>', 'no join and leave notices while more users than this are connected (0: none)')
        .env('C2_ANNOUNCE_LIMIT')
        .default(DEFAULT_ANNOUNCE_LIMIT)
        .argParser(integerIn(0, 10_000_000, 'the announce limit')),
    )
    .addOption(
      new Option('--data-dir <dir>', 'where the server keeps its id, bans, history and listing key')
        .env('C2_DATA_DIR')
        .default(DEFAULT_DATA_DIR),
    )
    .addOption(new Option('--listing <url>', 'register with this listing server').env('C2_LISTING').argParser(httpUrl))
    .addOption(
      new Option('--public-address <host:port>', 'the address the listing should dial (default: found from the route)')
        .env('C2_PUBLIC_ADDRESS')
        .argParser(hostPort),
    )
    .addOption(
      new Option('--listing-heartbeat <ms>', 'update the listing at least this often')
        .env('C2_LISTING_HEARTBEAT')
        .default(DEFAULT_LISTING_HEARTBEAT_MS)
        .argParser(integerIn(100, 86_400_000, 'the listing heartbeat')),
    )
    .addOption(
      new Option('--op-password <password>', 'password of c2/QUERY op (default: nobody can become an operator)')
        .env('C2_OP_PASSWORD')
        .argParser(nonEmpty('the operator password')),
    )
    .addOption(
      new Option('--history-size <n>', 'messages kept in the history')
        .env('C2_HISTORY_SIZE')
        .default(DEFAULT_HISTORY_SIZE)
        .argParser(integerIn(1, 10_000_000, 'the history size')),
    )
    .addOption(
      new Option('--max-per-ip <n>', 'most sockets open at once per remote address (an IPv6 one by its /64), 0: no cap')
        .env('C2_MAX_PER_IP')
        .default(DEFAULT_MAX_PER_IP)
        .argParser(integerIn(0, 1_000_000, 'the sockets per address')),
    )
    .addOption(
      new Option('--connect-rate <n>', 'most WebSocket handshakes a minute per remote address, 0: no limit')
        .env('C2_CONNECT_RATE')
        .default(DEFAULT_CONNECT_RATE)
        .argParser(integerIn(0, 1_000_000, 'the handshakes a minute')),
    )
    .addOption(
      new Option('--exempt-ips <cidrs>', 'addresses the two limits above spare: CIDR[,CIDR…], or none')
        .env('C2_EXEMPT_IPS')
        .default(DEFAULT_EXEMPT_IPS)
        .argParser(ipRanges),
    )
    .addOption(
      new Option(
        '--trust-proxy',
        "behind a reverse proxy: the client's address is the last X-Forwarded-For entry (per-address limits, logs, the op throttle)",
      ).env('C2_TRUST_PROXY'),
    )
    .addOption(new Option('--console', 'read operator commands from standard input even when it is not a terminal'))
    .addOption(
      new Option('--cluster <url>', 'redis://HOST:PORT[/DB]: run as one node of a server whose state is in that Redis')
        .env('C2_CLUSTER')
        .argParser(redisUrl),
    )
    .addOption(new Option('--no-console', 'no operator console, even on a terminal').env('C2_NO_CONSOLE'))
    .addOption(new Option('--tls-cert <file>', 'TLS certificate (PEM): serve wss:// and https://').env('C2_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'TLS private key (PEM)').env('C2_TLS_KEY'))
    .action(async (flags: ServerFlags, command: Command) => {
      const tls = readTlsFlags(command, flags);
      const log = createLogger('c2-server');
      // Signals are handled from before the ready line, so a signal right after it is clean.
      const starting = startChatServer(
        {
          host: flags.host,
          port: flags.port,
          id: flags.id,
          name: flags.name,
          maxUsers: flags.maxUsers,
          announceLimit: flags.announceLimit,
          dataDir: flags.dataDir,
          opPassword: flags.opPassword,
          historySize: flags.historySize,
          maxPerIp: flags.maxPerIp,
          connectRate: flags.connectRate,
          exemptIps: flags.exemptIps,
          trustProxy: flags.trustProxy ?? false,
          tls,
          ...(flags.cluster ? { cluster: flags.cluster } : {}),
          ...(flags.listing
            ? {
                listing: {
                  url: flags.listing,
                  heartbeatMs: flags.listingHeartbeat,
                  ...(flags.publicAddress ? { publicAddress: flags.publicAddress } : {}),
                },
              }
            : {}),
        },
        log,
      );
      onShutdownSignal(log, async () => (await starting).close());
      const server = await starting;
      if (flags.console ?? process.stdin.isTTY) attachConsole(server.hub, process.stdin, process.stdout);
    });
}
