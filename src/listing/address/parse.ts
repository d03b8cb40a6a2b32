/**
 * The `address` property: `host:port`, with an IPv6 host in brackets (`[addr]:port`).
 * Parsed strictly and put in one canonical form, so that two spellings of one address
 * compare equal (the re-registration rule compares addresses).
 */
import { isIPv6 } from 'node:net';
import { formatAddress } from '../../protocol/address.js';
import { canonicalIp } from '../../protocol/ip.js';

/** The formatting is the protocol's (the chat server writes addresses too). */
export { bracketHost, formatAddress } from '../../protocol/address.js';

export type HostKind = 'ipv4' | 'ipv6' | 'name';

export interface HostPort {
  /** Canonical host: dotted IPv4, compressed lower-case IPv6 (no brackets), or a lower-case name. */
  host: string;
  kind: HostKind;
  port: number;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PORT = /^[1-9][0-9]{0,4}$/;

/** The reading of an IP literal is the protocol's (the chat server counts callers by it too). */
export { canonicalIp, ipv6Groups, isIPv4Literal } from '../../protocol/ip.js';

/**
 * Whether a host reads as a number to an IPv4 parser: its last label is decimal digits, or
 * `0x` and hex digits (the WHATWG URL standard's "ends in a number"). `inet_aton`, which the
 * system resolver uses, reads `2130706433`, `0x7f000001`, `017700000001`, `127.1` and
 * `0x7f.1` all as 127.0.0.1: such a host is a disguised IP address, never a host name.
 */
export function isNumericHost(host: string): boolean {
  const last = host.slice(host.lastIndexOf('.') + 1);
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/i.test(last);
}

function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253 || isNumericHost(name)) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

/** Parses `host:port`; null when malformed. */
export function parseAddress(text: string): HostPort | null {
  if (text.length > 300) return null;
  let hostText: string;
  let portText: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']:');
    if (end === -1) return null;
    hostText = text.slice(1, end);
    portText = text.slice(end + 2);
    if (!isIPv6(hostText) || hostText.includes('%')) return null;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return null;
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (hostText.includes(':')) return null; // bare IPv6 needs brackets
  }
  if (!PORT.test(portText)) return null;
  const port = Number(portText);
  if (port > 65_535) return null;

  const ip = canonicalIp(hostText);
  if (ip !== null) return { host: ip, kind: ip.includes(':') ? 'ipv6' : 'ipv4', port };
  if (text.startsWith('[')) return null;
  const name = hostText.toLowerCase();
  return isHostName(name) ? { host: name, kind: 'name', port } : null;
}

export function formatHostPort(hp: HostPort): string {
  return formatAddress(hp.host, hp.port);
}
