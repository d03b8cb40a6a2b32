import { Command, Option } from 'commander';
import { pingServer } from '../client/node.js';
import { DEFAULT_PING_TIMEOUT_MS, PingError } from '../client/ping.js';
import { serverUrl } from '../client/server-url.js';
import { integerIn } from './parse.js';

interface PingFlags {
  count: number;
  interval: number;
  timeout: number;
}

function format(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

/** `c2 ping HOST:PORT`: round trip and server id, like ping(8). Exit 0 when any reply came, else 1. */
export function pingCommand(): Command {
  return new Command('ping')
    .description('ping a c2 server: round trip time and server id (c2/PING <timestamp>)')
    .argument('<address>', 'HOST:PORT, [IPv6]:PORT, or a ws:// or wss:// URL')
    .addOption(
      new Option('-c, --count <n>', 'pings to send')
        .env('C2_PING_COUNT')
        .default(1)
        .argParser(integerIn(1, 100_000, 'the count')),
    )
    .addOption(
      new Option('-i, --interval <ms>', 'time between pings')
        .default(1000)
        .argParser(integerIn(10, 3_600_000, 'the interval')),
    )
    .addOption(
      new Option('-W, --timeout <ms>', 'how long to wait for each reply')
        .env('C2_PING_TIMEOUT')
        .default(DEFAULT_PING_TIMEOUT_MS)
        .argParser(integerIn(1, 600_000, 'the timeout')),
    )
    .action(async (address: string, flags: PingFlags, command: Command) => {
      if (serverUrl(address) === null) {
        command.error(`error: "${address}" is not HOST:PORT, [IPv6]:PORT or a ws:// or wss:// URL.`);
      }
      const out = process.stdout;
      const rtts: number[] = [];
      let interrupted = false;
      const onSigint = () => {
        interrupted = true;
      };
      process.once('SIGINT', onSigint);
      out.write(`PING ${address} (c2)\n`);
      let sent = 0;
      for (let i = 0; i < flags.count && !interrupted; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, flags.interval));
        if (interrupted) break;
        sent++;
        try {
          const { rttMs, serverId } = await pingServer(address, { timeoutMs: flags.timeout });
          rtts.push(rttMs);
          out.write(`reply from ${address}: server id ${serverId}, seq=${i + 1} time=${format(rttMs)} ms\n`);
        } catch (err) {
          const why = err instanceof PingError ? err.message : String(err);
          out.write(`no reply from ${address}: seq=${i + 1} ${why}\n`);
        }
      }
      process.removeListener('SIGINT', onSigint);
      if (flags.count > 1 || interrupted) {
        const loss = sent === 0 ? 100 : Math.round(((sent - rtts.length) / sent) * 100);
        out.write(`--- ${address} c2 ping statistics ---\n`);
        out.write(`${sent} sent, ${rtts.length} received, ${loss}% loss\n`);
        if (rtts.length > 0) {
          const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
          out.write(`rtt min/avg/max = ${format(Math.min(...rtts))}/${format(avg)}/${format(Math.max(...rtts))} ms\n`);
        }
      }
      process.exitCode = rtts.length > 0 ? 0 : 1;
    });
}
