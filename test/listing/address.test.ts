/** The address property: parsing, canonical form, and which IPs may be dialled. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyIp } from '../../src/listing/address/classify.js';
import { canonicalIp, formatHostPort, parseAddress } from '../../src/listing/address/parse.js';
import { AddressPolicy } from '../../src/listing/address/policy.js';
import { ApiError } from '../../src/listing/errors.js';

describe('parseAddress', () => {
  it('parses IPv4, bracketed IPv6 and host names into a canonical form', () => {
    expect(parseAddress('203.0.113.7:5000')).toEqual({ host: '203.0.113.7', kind: 'ipv4', port: 5000 });
    expect(parseAddress('[2001:DB8:0:0::1]:443')).toEqual({ host: '2001:db8::1', kind: 'ipv6', port: 443 });
    expect(parseAddress('[::ffff:8.8.8.8]:5000')).toEqual({ host: '8.8.8.8', kind: 'ipv4', port: 5000 });
    expect(parseAddress('Chat.Example.COM:65535')).toEqual({ host: 'chat.example.com', kind: 'name', port: 65535 });
    expect(parseAddress('localhost:1')).toEqual({ host: 'localhost', kind: 'name', port: 1 });
  });

  it('refuses malformed addresses', () => {
    for (const bad of [
      '',
      'host',
      'host:',
      ':5000',
      'host:0',
      'host:65536',
      'host:+5',
      'host:5 ',
      'host:05',
      '2001:db8::1:5000',
      '[2001:db8::1]',
      '[2001:db8::1]:',
      '[fe80::1%lo]:5000',
      '[host]:5000',
      '01.2.3.4:5000',
      '1.2.3.4.5:5000',
      '999.1.1.1:5000',
      'under_score.example:5000',
      'a..b:5000',
      '.a:5000',
      'a.:5000',
      `${'a'.repeat(64)}.example:5000`,
      'exa mple:5000',
      'ws://h:5000',
      'h:5000/',
      'user@h:5000',
    ]) {
      expect(parseAddress(bad), bad).toBeNull();
    }
  });

  it('refuses host names that an IPv4 parser reads as a number (hex, octal, short dotted, decimal)', () => {
    for (const bad of [
      '0x7f000001:5000',
      '0X7F000001:5000',
      '0x7f.0x0.0x0.0x1:5000',
      '0x7f.1:5000',
      'example.0x1:5000',
      '0x:5000',
      '017700000001:5000',
      '0177.0.0.1:5000',
      '127.1:5000',
      '127.0.1:5000',
      '2130706433:5000',
      '10.1:5000',
    ]) {
      expect(parseAddress(bad), bad).toBeNull();
    }
    // A number elsewhere than the last label is an ordinary name.
    for (const good of ['0x7f.example:5000', '1.example:5000', 'a0x1:5000', '0x1g:5000', '1a:5000']) {
      expect(parseAddress(good), good).toMatchObject({ kind: 'name' });
    }
  });

  it('formats back what it parses (round trip)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65_535 }), (ip, port) => {
        const hp = parseAddress(`${ip}:${port}`);
        expect(hp).not.toBeNull();
        expect(formatHostPort(hp!)).toBe(`${ip}:${port}`);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 1, max: 65_535 }), (ip, port) => {
        const hp = parseAddress(`[${ip}]:${port}`);
        expect(hp).not.toBeNull();
        expect(parseAddress(formatHostPort(hp!))).toEqual(hp);
      }),
    );
  });

  it('reads arbitrary input as a canonical host and port, or null; never throws', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const hp = parseAddress(text);
        if (hp === null) return;
        expect(['ipv4', 'ipv6', 'name']).toContain(hp.kind);
        expect(Number.isInteger(hp.port) && hp.port >= 1 && hp.port <= 65_535).toBe(true);
        expect(parseAddress(formatHostPort(hp))).toEqual(hp);
      }),
    );
  });
});

describe('classifyIp', () => {
  it('public addresses', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '203.0.112.255', '2606:4700::1111', '2a00:1450::1']) {
      expect(classifyIp(ip), ip).toBe('public');
    }
  });

  it('private, loopback, link-local, shared and unique-local addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '127.255.0.2',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '::1',
      'fe80::1',
      'fd12:3456::1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '2002:c0a8:101::1',
    ]) {
      expect(classifyIp(ip), ip).toBe('private');
    }
  });

  it('reserved addresses are never dialled', () => {
    for (const ip of [
      '0.0.0.0',
      '0.1.2.3',
      '224.0.0.1',
      '239.1.1.1',
      '240.0.0.1',
      '255.255.255.255',
      '192.0.2.1',
      '198.51.100.1',
      '203.0.113.1',
      '198.18.0.1',
      '::',
      'ff02::1',
      '2001:db8::1',
      'not an ip',
    ]) {
      expect(classifyIp(ip), ip).toBe('reserved');
    }
  });

  it('IPv6 forms that carry an IPv4 address are judged as the IPv4 address inside', () => {
    const cases: Array<[string, string]> = [
      // IPv4-compatible (::/96)
      ['::127.0.0.1', 'private'],
      ['::169.254.169.254', 'private'],
      ['::10.0.0.1', 'private'],
      ['::0.0.0.2', 'reserved'],
      ['::224.0.0.1', 'reserved'],
      ['::8.8.8.8', 'public'],
      // IPv4-mapped (::ffff:0:0/96), in every spelling
      ['::ffff:127.0.0.1', 'private'],
      ['0:0:0:0:0:ffff:a9fe:a9fe', 'private'],
      // SIIT, IPv4-translated (::ffff:0:0:0/96)
      ['::ffff:0:10.0.0.1', 'private'],
      ['::ffff:0:127.0.0.1', 'private'],
      ['::ffff:0:a9fe:a9fe', 'private'],
      ['::ffff:0:0.0.0.0', 'reserved'],
      ['::ffff:0:8.8.8.8', 'public'],
      // NAT64, well-known prefix (64:ff9b::/96)
      ['64:ff9b::127.0.0.1', 'private'],
      ['64:ff9b::a9fe:a9fe', 'private'],
      ['64:ff9b::192.0.2.1', 'reserved'],
      ['64:ff9b::8.8.8.8', 'public'],
      // NAT64, local-use prefix (64:ff9b:1::/48): private at least, whatever is inside
      ['64:ff9b:1::a9fe:a9fe', 'private'],
      ['64:ff9b:1::7f00:1', 'private'],
      ['64:ff9b:1::8.8.8.8', 'private'],
      ['64:ff9b:1::e000:1', 'reserved'],
      // 6to4 (2002::/16)
      ['2002:7f00:1::', 'private'],
      ['2002:a9fe:a9fe::1', 'private'],
      ['2002:e000:1::1', 'reserved'],
      ['2002:808:808::1', 'public'],
      // ISATAP interface identifiers under a global /64
      ['2600:1:2:3:0:5efe:10.0.0.1', 'private'],
      ['2600:1:2:3:200:5efe:127.0.0.1', 'private'],
      ['2600:1:2:3:200:5efe:8.8.8.8', 'public'],
      // Teredo (2001::/32) stays in the reserved special-purpose block, whatever is inside
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
      ['2001:0:7f00:1:0:0:80ff:fffe', 'reserved'],
      // Other NAT64 space, and IPv6 outside global unicast (2000::/3), is not dialled
      ['64:ff9b:2::7f00:1', 'reserved'],
      ['4000::1', 'reserved'],
      ['::1:0:0:1', 'reserved'],
    ];
    for (const [ip, expected] of cases) expect(classifyIp(ip), ip).toBe(expected);
  });

  it('an IPv6 address holding any non-public IPv4 address is never public', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const inner = classifyIp(v4);
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
        const tail = `${hex(a, b)}:${hex(c, d)}`;
        for (const v6 of [`::${tail}`, `::ffff:0:${tail}`, `64:ff9b::${tail}`, `2002:${tail}::1`]) {
          if (inner !== 'public') expect(classifyIp(v6), `${v6} (${v4}: ${inner})`).not.toBe('public');
        }
        expect(classifyIp(`64:ff9b:1::${tail}`)).not.toBe('public');
      }),
    );
  });

  it('the boundaries of 172.16.0.0/12', () => {
    expect(classifyIp('172.15.255.255')).toBe('public');
    expect(classifyIp('172.32.0.0')).toBe('public');
  });
});

describe('canonicalIp', () => {
  it('turns IPv4-mapped IPv6 (dual-stack sockets) into IPv4', () => {
    expect(canonicalIp('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(canonicalIp('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(canonicalIp('2001:0db8::0001')).toBe('2001:db8::1');
    expect(canonicalIp('localhost')).toBeNull();
  });
});

describe('AddressPolicy', () => {
  const resolve = async (host: string) => {
    const table: Record<string, string[]> = {
      'public.example': ['8.8.8.8'],
      'mixed.example': ['8.8.8.8', '10.0.0.1'],
      'dual.example': ['8.8.4.4', '2606:4700::1111'],
    };
    const found = table[host];
    if (!found) throw new Error('ENOTFOUND');
    return found;
  };
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof ApiError ? e.code : String(e)),
    );

  it('dials the caller’s own IP for a name that resolves to it', async () => {
    const policy = new AddressPolicy({ allowPrivateAddresses: false, anyAddress: false, resolve });
    const checked = await policy.checkForCaller(parseAddress('dual.example:5000')!, '2606:4700::1111');
    expect(checked).toEqual({
      address: 'dual.example:5000',
      dial: '[2606:4700::1111]:5000',
      ips: ['8.8.4.4', '2606:4700::1111'],
    });
  });

  it('refuses a name if any of its addresses is private (no rebinding to an internal host)', async () => {
    const policy = new AddressPolicy({ allowPrivateAddresses: false, anyAddress: true, resolve });
    expect(await code(policy.check(parseAddress('mixed.example:5000')!))).toBe('address_not_allowed');
    expect(await code(policy.check(parseAddress('public.example:5000')!))).toBe('ok');
  });

  it('address_not_yours unless --any-address; address_unresolvable for unknown names', async () => {
    const strict = new AddressPolicy({ allowPrivateAddresses: false, anyAddress: false, resolve });
    const open = new AddressPolicy({ allowPrivateAddresses: false, anyAddress: true, resolve });
    expect(await code(strict.checkForCaller(parseAddress('public.example:5000')!, '1.1.1.1'))).toBe(
      'address_not_yours',
    );
    expect(await code(open.checkForCaller(parseAddress('public.example:5000')!, '1.1.1.1'))).toBe('ok');
    expect(await code(strict.checkForCaller(parseAddress('8.8.8.8:5000')!, '::ffff:8.8.8.8'))).toBe('ok');
    expect(await code(strict.check(parseAddress('unknown.example:5000')!))).toBe('address_unresolvable');
  });

  it('a resolver that never answers is cut off', async () => {
    const policy = new AddressPolicy({
      allowPrivateAddresses: false,
      anyAddress: true,
      resolveTimeoutMs: 50,
      resolve: () => new Promise(() => {}),
    });
    expect(await code(policy.check(parseAddress('slow.example:5000')!))).toBe('address_unresolvable');
  });
});
