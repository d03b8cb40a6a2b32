import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { startChatServer } from '../server/chat-server.js';
import { DEFAULT_SERVER_NAME } from '../server/options.js';
import { createLogger } from './logger.js';
import { integerIn, nonEmpty, port, serverId } from './parse.js';
import { onShutdownSignal } from './signals.js';

interface ServerFlags {
  host: string;
  port: number;
  id?: number;
  name: string;
  maxUsers: number;
  tlsCert?: string;
  tlsKey?: string;
}

export function serverCommand(): Command {
  return new Command('server')
    .description('run a c2 chat server (WebSocket on /, web client, /healthz and /metrics on the same port)')
    .addOption(new Option('--host <host>', 'interface to listen on').env('C2_HOST').default('0.0.0.0'))
    .addOption(
      new Option('--port <port>', 'TCP port (0 picks a free one)').env('C2_PORT').default(5000).argParser(port),
    )
    .addOption(new Option('--id <n>', 'server id (default: random)').env('C2_ID').argParser(serverId))
    .addOption(
      new Option('--name <name>', 'server name, sent in ACKNOWLEDGE')
        .env('C2_NAME')
        .default(DEFAULT_SERVER_NAME)
        .argParser(nonEmpty('the server name')),
    )
    .addOption(
      new Option('--max-users <n>', 'most users connected at once')
        .env('C2_MAX_USERS')
        .default(50)
        .argParser(integerIn(1, 1_000_000, 'max users')),
    )
    .addOption(new Option('--tls-cert <file>', 'TLS certificate (PEM): serve wss:// and https://').env('C2_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'TLS private key (PEM)').env('C2_TLS_KEY'))
    .action(async (flags: ServerFlags, command: Command) => {
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey))
        command.error('error: --tls-cert and --tls-key go together.');
      const tls = flags.tlsCert && flags.tlsKey ? readTls(command, flags.tlsCert, flags.tlsKey) : undefined;
      const log = createLogger('c2-server');
      const id = flags.id ?? randomInt(1, 2 ** 48);
      // Signals are handled from before the ready line, so a signal right after it is clean.
      const starting = startChatServer(
        { host: flags.host, port: flags.port, id, name: flags.name, maxUsers: flags.maxUsers, tls },
        log,
      );
      onShutdownSignal(log, async () => (await starting).close());
      await starting;
    });
}

function readTls(command: Command, certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (err) {
    return command.error(`error: cannot read the TLS files: ${(err as Error).message}`);
  }
}
