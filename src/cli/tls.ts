import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

/**
 * Reads `--tls-cert` and `--tls-key` (both or neither); exits through commander with a
 * readable error when only one is given or a file cannot be read.
 */
export function readTlsFlags(
  command: Command,
  flags: { tlsCert?: string; tlsKey?: string },
): { cert: Buffer; key: Buffer } | undefined {
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) command.error('error: --tls-cert and --tls-key go together.');
  if (!flags.tlsCert || !flags.tlsKey) return undefined;
  try {
    return { cert: readFileSync(flags.tlsCert), key: readFileSync(flags.tlsKey) };
  } catch (err) {
    return command.error(`error: cannot read the TLS files: ${(err as Error).message}`);
  }
}
