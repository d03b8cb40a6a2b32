import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey, canonicalIp, inIpRange, parseIpRange, parseIpRanges } from '../../src/protocol/ip.js';

/** What the listing did before the reading moved to src/protocol: Node's isIPv6 and the URL parser. */
function reference(text: string): string | null {
  if (/^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(text))
    return text;
  if (!isIPv6(text) || text.includes('%')) return null;
  const v6 = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped) {
    const hi = Number.parseInt(mapped[1] as string, 16);
    const lo = Number.parseInt(mapped[2] as string, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return v6;
}

const group = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
/** IPv6 spellings: full, compressed at a random run, with leading zeros or upper case, an IPv4 tail. */
const spelled = fc
  .record({
    groups: fc.array(group, { minLength: 8, maxLength: 8 }),
    from: fc.integer({ min: 0, max: 8 }),
    length: fc.integer({ min: 0, max: 8 }),
    pad: fc.boolean(),
    upper: fc.boolean(),
    v4tail: fc.boolean(),
  })
  .map(({ groups, from, length, pad, upper, v4tail }) => {
    let items = groups.map((g) => (pad ? g.toString(16).padStart(4, '0') : g.toString(16)));
    if (v4tail) {
      const hi = groups[6] as number;
      const lo = groups[7] as number;
      items = [...items.slice(0, 6), `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`];
    }
    const end = Math.min(items.length, from + length);
    const text =
      length > 0 && from < items.length
        ? `${items.slice(0, from).join(':')}::${items.slice(end).join(':')}`
        : items.join(':');
    return upper ? text.toUpperCase() : text;
  });

describe('canonicalIp (src/protocol/ip.ts)', () => {
  it('reads every IPv6 spelling as Node and the URL parser do', () => {
    fc.assert(
      fc.property(spelled, (text) => {
        expect(canonicalIp(text)).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what Node refuses, for strings of address characters', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F:.%]{0,20}$/), (text) => {
        expect(canonicalIp(text)).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
    for (const text of [
      '',
      ':',
      ':::',
      '1::2::3',
      '::1 ',
      ' ::1',
      '::\n1',
      '[::1]',
      'fe80::1%eth0',
      '1.2.3',
      '01.2.3.4',
      '1:2:3:4:5:6:7:8:9',
    ])
      expect(canonicalIp(text)).toBe(null);
  });

  it('keys an IPv4 address by itself and an IPv6 address by its /64', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('IP ranges', () => {
  it('parses ranges and single addresses, and refuses typos', () => {
    expect(parseIpRange('127.0.0.0/8')?.text).toBe('127.0.0.0/8');
    expect(parseIpRange('::1')?.text).toBe('::1/128');
    expect(parseIpRange('2001:DB8::/32')?.text).toBe('2001:db8::/32');
    expect(parseIpRange('0.0.0.0/0')?.text).toBe('0.0.0.0/0');
    for (const bad of [
      '127.0.0.1/8',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/08',
      'localhost',
      '',
      '1.2.3.4/8/9',
    ])
      expect(parseIpRange(bad)).toBe(null);
  });

  it('matches IPv4 (also when mapped), IPv6, and /0', () => {
    const loopback = parseIpRanges('127.0.0.0/8,::1');
    const inAny = (ip: string) => loopback.some((r) => inIpRange(ip, r));
    expect(inAny('127.0.0.1')).toBe(true);
    expect(inAny('127.255.3.4')).toBe(true);
    expect(inAny('::ffff:127.0.0.2')).toBe(true);
    expect(inAny('::1')).toBe(true);
    expect(inAny('128.0.0.1')).toBe(false);
    expect(inAny('::2')).toBe(false);
    expect(inAny('not an ip')).toBe(false);
    const net = parseIpRange('2001:db8:aa00::/40');
    expect(net && inIpRange('2001:db8:aaff:1::1', net)).toBe(true);
    expect(net && inIpRange('2001:db8:ab00::1', net)).toBe(false);
    const all = parseIpRange('0.0.0.0/0');
    expect(all && inIpRange('203.0.113.9', all)).toBe(true);
    expect(all && inIpRange('2001:db8::1', all)).toBe(false);
  });

  it('reads "none" as no range and names a bad entry', () => {
    expect(parseIpRanges('none')).toEqual([]);
    expect(() => parseIpRanges('127.0.0.0/8, nope')).toThrow('"nope" is not an IP address or CIDR range (or "none")');
  });
});
