/**
 * Which IP addresses the listing may dial (contract §7 *Security*).
 *
 * - `public`: globally routable unicast, always allowed;
 * - `private`: loopback, RFC 1918, shared (CGNAT), link-local, unique-local: allowed
 *   only with `--allow-private-addresses`;
 * - `reserved`: unspecified, multicast, broadcast, documentation, benchmarking and
 *   other special-purpose ranges: never dialled, as nothing legitimate listens there.
 */
import { BlockList } from 'node:net';
import { canonicalIp } from './parse.js';

export type AddressClass = 'public' | 'private' | 'reserved';

const PRIVATE: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
];

const RESERVED: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001::', 23, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['3fff::', 20, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

function blockList(ranges: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [net, prefix, family] of ranges) list.addSubnet(net, prefix, family);
  return list;
}

const privateRanges = blockList(PRIVATE);
const reservedRanges = blockList(RESERVED);

/** IPv4 addresses embedded in IPv6 forms that reach an IPv4 host (NAT64, 6to4). */
function embeddedIPv4(v6: string): string | null {
  const expanded = expandIPv6(v6);
  if (expanded === null) return null;
  const groups = expanded.split(':').map((g) => Number.parseInt(g, 16));
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // 64:ff9b::/96 (NAT64 well-known prefix)
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) {
    return quad(groups[6] as number, groups[7] as number);
  }
  // 2002::/16 (6to4): the IPv4 address is in groups 1 and 2
  if (groups[0] === 0x2002) return quad(groups[1] as number, groups[2] as number);
  return null;
}

function expandIPv6(v6: string): string | null {
  const [head = '', tail] = v6.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  if (tail === undefined && h.length !== 8) return null;
  const zeros = new Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].join(':');
}

/** Classifies an IP literal; anything that is not one counts as reserved. */
export function classifyIp(ip: string): AddressClass {
  const canonical = canonicalIp(ip);
  if (canonical === null) return 'reserved';
  const family = canonical.includes(':') ? 'ipv6' : 'ipv4';
  if (family === 'ipv4' && canonical === '255.255.255.255') return 'reserved';
  if (reservedRanges.check(canonical, family)) return 'reserved';
  if (privateRanges.check(canonical, family)) return 'private';
  if (family === 'ipv6') {
    const v4 = embeddedIPv4(canonical);
    if (v4 !== null) return classifyIp(v4);
  }
  return 'public';
}
