import { Command } from 'commander';
import { VERSION } from '../version.js';
import { chatCommand } from './chat-command.js';
import { applyEnvRule } from './env.js';
import { listingCommand } from './listing-command.js';
import { localCommand } from './local-command.js';
import { pingCommand } from './ping-command.js';
import { serverCommand } from './server-command.js';
import { serversCommand } from './servers-command.js';

/** The `c2` program and its subcommands, each flag with its environment variable. */
export function buildProgram(): Command {
  const program = new Command('c2')
    .description('Chatter: c2 chat server, listing server and clients')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addCommand(serverCommand())
    .addCommand(listingCommand())
    .addCommand(chatCommand())
    .addCommand(serversCommand())
    .addCommand(pingCommand())
    .addCommand(localCommand());
  return applyEnvRule(program);
}

/** `c2 <subcommand>`: the command line of contract §9. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Errors that reach here are start-up failures (a port in use, an unreadable file…):
    // one readable line, no stack trace.
    const e = err as NodeJS.ErrnoException;
    const text = e.code === 'EADDRINUSE' ? `the address is already in use (${e.message})` : e.message;
    process.stderr.write(`c2: ${text}\n`);
    process.exit(1);
  }
}
