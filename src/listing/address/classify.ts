/**
 * Which IP addresses the listing may dial (contract §7 *Security*).
 *
 * - `public`: globally routable unicast, always allowed;
 * - `private`: loopback, RFC 1918, shared (CGNAT), link-local, unique-local: allowed
 *   only with `--allow-private-addresses`;
 * - `reserved`: unspecified, multicast, broadcast, documentation, benchmarking and
 *   other special-purpose ranges, and IPv6 outside global unicast (`2000::/3`): never
 *   dialled, as nothing legitimate listens there.
 *
 * An IPv6 address that carries an IPv4 address (IPv4-compatible, IPv4-mapped, SIIT, NAT64,
 * 6to4, ISATAP) reaches that IPv4 host through some translator or tunnel, so it is judged as
 * the IPv4 address inside: never more dialable than that.
 */
import { BlockList } from 'node:net';
import { canonicalIp, ipv6Groups } from './parse.js';

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
  // IANA's special-purpose block: Teredo (2001::/32, whose addresses carry the IPv4
  // addresses of a server and of a client behind NAT), benchmarking, ORCHID, AMT, …
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
const globalUnicast = blockList([['2000::', 3, 'ipv6']]);

const RANK: Record<AddressClass, number> = { public: 0, private: 1, reserved: 2 };

function stricter(a: AddressClass, b: AddressClass): AddressClass {
  return RANK[a] >= RANK[b] ? a : b;
}

function quad(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

const zero = (groups: number[], from: number, to: number) => groups.slice(from, to).every((g) => g === 0);

/**
 * The IPv4 address an IPv6 address carries, and the least strict class its form allows
 * (`private` for a local-use NAT64 prefix, which by definition reaches the listing's own
 * site), or null for an IPv6 address with no IPv4 address inside.
 */
export function embeddedIPv4(v6: string): { ipv4: string; floor: AddressClass } | null {
  const g = ipv6Groups(v6);
  if (g === null) return null;
  const last = quad(g[6] as number, g[7] as number);
  // ::a.b.c.d (IPv4-compatible, deprecated), ::ffff:a.b.c.d (IPv4-mapped) and
  // ::ffff:0:a.b.c.d (SIIT, IPv4-translated)
  if (zero(g, 0, 5) && (g[5] === 0 || g[5] === 0xffff)) return { ipv4: last, floor: 'public' };
  if (zero(g, 0, 4) && g[4] === 0xffff && g[5] === 0) return { ipv4: last, floor: 'public' };
  if (g[0] === 0x64 && g[1] === 0xff9b) {
    // 64:ff9b::/96, NAT64's well-known prefix
    if (zero(g, 2, 6)) return { ipv4: last, floor: 'public' };
    // 64:ff9b:1::/48, local-use NAT64: the prefix length (and so where the IPv4 address
    // sits) is the site's choice; the /96 form is judged, and the whole range is private.
    if (g[2] === 1) return { ipv4: last, floor: 'private' };
  }
  // 2002::/16 (6to4): the IPv4 address is in groups 1 and 2
  if (g[0] === 0x2002) return { ipv4: quad(g[1] as number, g[2] as number), floor: 'public' };
  // ISATAP interface identifiers, under any /64: …:0:5efe:a.b.c.d, …:200:5efe:a.b.c.d
  if (((g[4] as number) & 0xfcff) === 0 && g[5] === 0x5efe) {
    return { ipv4: last, floor: globalUnicast.check(v6, 'ipv6') ? 'public' : 'reserved' };
  }
  return null;
}

/** Classifies an IP literal; anything that is not one counts as reserved. */
export function classifyIp(ip: string): AddressClass {
  const canonical = canonicalIp(ip);
  if (canonical === null) return 'reserved';
  const family = canonical.includes(':') ? 'ipv6' : 'ipv4';
  if (family === 'ipv4' && canonical === '255.255.255.255') return 'reserved';
  if (reservedRanges.check(canonical, family)) return 'reserved';
  if (privateRanges.check(canonical, family)) return 'private';
  if (family === 'ipv4') return 'public';
  const embedded = embeddedIPv4(canonical);
  if (embedded !== null) return stricter(embedded.floor, classifyIp(embedded.ipv4));
  return globalUnicast.check(canonical, 'ipv6') ? 'public' : 'reserved';
}
