/**
 * The `address` property: `host:port`, with an IPv6 host in brackets (`[addr]:port`).
 * Parsed strictly and put in one canonical form, so that two spellings of one address
 * compare equal (the re-registration rule compares addresses).
 */
import { isIPv6 } from 'node:net';
import { formatAddress } from '../../protocol/address.js';

/** The formatting is the protocol's (the chat server writes addresses too). */
export { bracketHost, formatAddress } from '../../protocol/address.js';

export type HostKind = 'ipv4' | 'ipv6' | 'name';

export interface HostPort {
  /** Canonical host: dotted IPv4, compressed lower-case IPv6 (no brackets), or a lower-case name. */
  host: string;
  kind: HostKind;
  port: number;
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PORT = /^[1-9][0-9]{0,4}$/;

export function isIPv4Literal(text: string): boolean {
  return IPV4.test(text);
}

/** Canonical text of an IP literal (IPv4 dotted, IPv6 compressed); null if not one. */
export function canonicalIp(text: string): string | null {
  if (IPV4.test(text)) return text;
  if (!isIPv6(text) || text.includes('%')) return null;
  const v6 = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  // An IPv4-mapped IPv6 address is that IPv4 address (dual-stack sockets report them).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped) {
    const hi = Number.parseInt(mapped[1] as string, 16);
    const lo = Number.parseInt(mapped[2] as string, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return v6;
}

/** The eight 16-bit groups of an IPv6 address; null if it is not one. */
export function ipv6Groups(text: string): number[] | null {
  const canonical = canonicalIp(text);
  if (canonical === null || !canonical.includes(':')) return null;
  const [head = '', tail] = canonical.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => Number.parseInt(g, 16));
}

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
