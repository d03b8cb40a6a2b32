import { InvalidArgumentError } from 'commander';
import { formatHostPort, parseAddress } from '../listing/address/parse.js';
import { type IpRange, parseIpRanges } from '../protocol/ip.js';
import { normalizeServerName, parseServerId, validateServerName } from '../protocol/rules.js';

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

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['', '0', 'false', 'no', 'off']);

/**
 * The value of a boolean flag's environment variable (commander only checks that it is
 * set): 1/true/yes/on or 0/false/no/off (or empty), case-insensitively.
 */
export function envBoolean(name: string, value: string | undefined): boolean {
  const word = (value ?? '').trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new InvalidArgumentError(`${name} must be 1, true, yes, on, or 0, false, no, off (it is "${value}").`);
}

export function serverName(value: string): string {
  const problem = validateServerName(value);
  if (problem) throw new InvalidArgumentError(`the server name ${problem}.`);
  return normalizeServerName(value);
}

/** `host:port` or `[IPv6]:port`, as the listing accepts it. */
export function hostPort(value: string): string {
  const hp = parseAddress(value.trim());
  if (hp === null) throw new InvalidArgumentError('expected HOST:PORT, or [IPv6]:PORT (for example 203.0.113.5:5000).');
  return formatHostPort(hp);
}

/** An http:// or https:// base URL (a listing server). */
export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError('expected an http:// or https:// URL, for example http://localhost:8080.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`expected an http:// or https:// URL, not ${url.protocol}//.`);
  }
  return url.href.replace(/\/$/, '');
}

/** `CIDR[,CIDR…]` (single addresses allowed), or `none`. */
export function ipRanges(value: string): IpRange[] {
  try {
    return parseIpRanges(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}: expected CIDR[,CIDR…], for example 127.0.0.0/8,::1.`);
  }
}

/** `--cluster`: a `redis://` (or `rediss://`) URL. */
export function redisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected redis://HOST:PORT[/DB]');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new InvalidArgumentError('expected redis://HOST:PORT[/DB]');
  return value;
}
