/**
 * IP addresses as both servers count callers by them: the canonical text of an address, the
 * key limits are kept under (an IPv4 address, or an IPv6 /64), and CIDR ranges. Pure (no
 * Node module), so the chat server and the listing share one reading of an address.
 */

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

export function isIPv4Literal(text: string): boolean {
  return IPV4.test(text);
}

function ipv4Octets(text: string): number[] {
  return text.split('.').map(Number);
}

/** The eight groups of an IPv6 literal as written (no zone, embedded IPv4 allowed); null if not one. */
function parseIPv6(text: string): number[] | null {
  if (text.length < 2 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const side = (part: string, last: boolean): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const items = part.split(':');
    for (const [i, item] of items.entries()) {
      if (last && i === items.length - 1 && item.includes('.')) {
        if (!IPV4.test(item)) return null;
        const [a = 0, b = 0, c = 0, d = 0] = ipv4Octets(item);
        groups.push((a << 8) | b, (c << 8) | d);
      } else if (HEX_GROUP.test(item)) groups.push(Number.parseInt(item, 16));
      else return null;
    }
    return groups;
  };
  if (halves.length === 1) {
    const all = side(text, true);
    return all !== null && all.length === 8 ? all : null;
  }
  const head = side(halves[0] as string, false);
  const tail = side(halves[1] as string, true);
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIPv6(groups: readonly number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/**
 * Canonical text of an IP literal (IPv4 dotted, IPv6 compressed lower case); null if not
 * one. An IPv4-mapped IPv6 address is that IPv4 address (dual-stack sockets report them).
 */
export function canonicalIp(text: string): string | null {
  if (IPV4.test(text)) return text;
  const groups = parseIPv6(text);
  if (groups === null) return null;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6] as number;
    const lo = groups[7] as number;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return formatIPv6(groups);
}

/** The eight 16-bit groups of an IPv6 address; null if it is not one (or is IPv4-mapped). */
export function ipv6Groups(text: string): number[] | null {
  const canonical = canonicalIp(text);
  return canonical === null || !canonical.includes(':') ? null : parseIPv6(canonical);
}

/**
 * The key a caller's limits are counted under: an IPv4 address, or an IPv6 /64 (one
 * subscriber's network: anyone with one IPv6 address has 2^64 more for free). Text that is
 * not an IP address is its own key.
 */
export function addressKey(ip: string): string {
  const canonical = canonicalIp(ip) ?? ip;
  const groups = canonical.includes(':') ? parseIPv6(canonical) : null;
  if (groups === null) return canonical;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** An address as 128 bits: an IPv4 address as its IPv4-mapped IPv6 form. */
function bitsOf(ip: string): bigint | null {
  const canonical = canonicalIp(ip);
  if (canonical === null) return null;
  if (IPV4.test(canonical)) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Octets(canonical);
    return (0xffffn << 32n) | BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
  }
  let bits = 0n;
  for (const g of parseIPv6(canonical) as number[]) bits = (bits << 16n) | BigInt(g);
  return bits;
}

export interface IpRange {
  /** As written, canonical: `127.0.0.0/8`, `2001:db8::/32`, `::1/128`. */
  text: string;
  base: bigint;
  /** Prefix length in the 128-bit space (an IPv4 /8 is 104). */
  bits: number;
}

/**
 * A CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or one address (`::1`, `192.0.2.7`); null
 * when it is neither, or when the address has bits set past the prefix (`10.0.0.1/8`: a typo
 * more likely than a wish).
 */
export function parseIpRange(text: string): IpRange | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const canonical = canonicalIp(address);
  if (canonical === null) return null;
  const v4 = IPV4.test(canonical);
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  const bits = v4 ? prefix + 96 : prefix;
  const base = bitsOf(canonical) as bigint;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
  if ((base & mask) !== base) return null;
  return { text: `${canonical}/${prefix}`, base, bits };
}

/** Whether `ip` is inside `range`; false for text that is not an IP address. */
export function inIpRange(ip: string, range: IpRange): boolean {
  const bits = bitsOf(ip);
  if (bits === null) return false;
  return range.bits === 0 || bits >> BigInt(128 - range.bits) === range.base >> BigInt(128 - range.bits);
}

/**
 * A comma-separated list of ranges (`127.0.0.0/8,::1`); `none` is the empty list. Throws
 * an Error naming the first entry that is not a range.
 */
export function parseIpRanges(text: string): IpRange[] {
  const trimmed = text.trim();
  if (trimmed === 'none') return [];
  const ranges: IpRange[] = [];
  for (const item of trimmed.split(',')) {
    const range = parseIpRange(item.trim());
    if (range === null) throw new Error(`"${item.trim()}" is not an IP address or CIDR range (or "none")`);
    ranges.push(range);
  }
  return ranges;
}
