import { InvalidArgumentError } from 'commander';
import { parseServerId } from '../protocol/rules.js';

/** Argument parsers for commander: each throws a readable InvalidArgumentError. */

export function integerIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = /^-?[0-9]+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

export const port = integerIn(0, 65_535, 'a port');

export function serverId(value: string): number {
  const id = parseServerId(value.trim());
  if (id === null) {
    throw new InvalidArgumentError(
      'a server id is a whole number from 0 to 9007199254740991, without sign or leading zeros.',
    );
  }
  return id;
}

export function nonEmpty(what: string): (value: string) => string {
  return (value) => {
    if (value.trim().length === 0) throw new InvalidArgumentError(`${what} may not be empty.`);
    return value;
  };
}
