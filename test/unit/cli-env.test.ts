import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

function* commands(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* commands(sub);
}

describe('the command line: one environment rule for every flag', () => {
  it('gives every flag of every command C2_ + its long name, and --help names it', () => {
    const program = buildProgram();
    let flags = 0;
    for (const command of commands(program)) {
      if (command === program) continue;
      const help = command.helpInformation({ error: false }).replace(/\s+/g, ' ');
      for (const option of command.options) {
        const expected = `C2_${(option.long ?? '').slice(2).toUpperCase().replaceAll('-', '_')}`;
        expect(option.envVar, `${command.name()} ${option.long}`).toBe(expected);
        expect(help, `${command.name()} --help names ${expected}`).toContain(`env: ${expected}`);
        flags++;
      }
    }
    expect(flags).toBeGreaterThan(40);
  });
});
