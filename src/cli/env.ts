import type { Command, Option } from 'commander';
import { envBoolean } from './parse.js';

/**
 * One rule for every command (README, "Commands"): each flag also reads from the
 * environment variable `C2_` + the flag's long name in upper case, `-` as `_`
 * (`--max-users` → `C2_MAX_USERS`, `--no-console` → `C2_NO_CONSOLE`). `--help` names it.
 */
export function envNameOf(option: Option): string | undefined {
  const long = option.long;
  if (long === undefined || long === '--help' || long === '--version') return undefined;
  return `C2_${long.slice(2).toUpperCase().replaceAll('-', '_')}`;
}

/** Names used before the rule was applied everywhere; still read when the new one is unset. */
const LEGACY: Readonly<Record<string, string>> = {
  C2_HOST: 'C2_LOCAL_HOST', // c2 local
  C2_COUNT: 'C2_PING_COUNT', // c2 ping
  C2_TIMEOUT: 'C2_PING_TIMEOUT', // c2 ping
};

/** The variable that holds an option's value: its own, else its legacy name's. */
function variableOf(option: Option): string | undefined {
  const name = option.envVar;
  if (name === undefined) return undefined;
  if (process.env[name] !== undefined) return name;
  const legacy = LEGACY[name];
  return legacy !== undefined && process.env[legacy] !== undefined ? legacy : undefined;
}

/**
 * Gives every option of `command` and its subcommands its environment variable, and reads
 * them before the command runs: a value through the option's own parser (so a bad one is a
 * readable error naming the variable), a flag that takes no value as 1/true/yes/on or
 * 0/false/no/off (commander alone would only check that the variable is set, so
 * `C2_ANY_ADDRESS=0` would turn the flag on). A flag on the command line wins.
 */
export function applyEnvRule(command: Command): Command {
  for (const sub of command.commands) applyEnvRule(sub);
  for (const option of command.options) {
    const name = envNameOf(option);
    if (name !== undefined) option.env(name);
  }
  command.hook('preAction', (_hooked, action) => {
    if (action !== command) return;
    for (const option of command.options) {
      const variable = variableOf(option);
      if (variable === undefined) continue;
      const attribute = option.attributeName();
      const source = command.getOptionValueSource(attribute);
      if (source === 'cli') continue;
      const value = process.env[variable] as string;
      try {
        if (option.required || option.optional) {
          // Commander reads only variables named before the option was added: read all here.
          if (source === 'env' && variable === option.envVar) continue;
          const parsed = option.parseArg ? option.parseArg(value, option.defaultValue) : value;
          command.setOptionValueWithSource(attribute, parsed, 'env');
        } else {
          const on = envBoolean(variable, value);
          // `--no-x` set by its variable turns x off; the variable at 0 leaves x as it was.
          if (option.negate) {
            if (on) command.setOptionValueWithSource(attribute, false, 'env');
            else if (source === 'env') command.setOptionValueWithSource(attribute, option.defaultValue, 'default');
          } else command.setOptionValueWithSource(attribute, on, 'env');
        }
      } catch (err) {
        command.error(`error: ${variable}=${JSON.stringify(value)}: ${(err as Error).message}`);
      }
    }
  });
  return command;
}
