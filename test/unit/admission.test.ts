import type { IncomingMessage } from 'node:http';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseIpRanges } from '../../src/protocol/ip.js';
import { Admission, type AdmissionOptions, descriptorHeadroom, refusalResponse } from '../../src/server/admission.js';

function req(remoteAddress: string, forwarded?: string): IncomingMessage {
  return {
    socket: { remoteAddress },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  } as unknown as IncomingMessage;
}

function gate(options: Partial<AdmissionOptions>, clock: { now: number }) {
  const logged: Array<{ reason: string; remote?: string; refusedBefore?: number }> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const admission = new Admission(
    {
      maxPerIp: 16,
      connectRatePerMinute: 60,
      exempt: parseIpRanges('127.0.0.0/8,::1'),
      trustProxy: false,
      descriptorLimit: undefined,
      ...options,
    },
    log,
    () => clock.now,
  );
  admission.start(0);
  return { admission, logged };
}

describe('Admission', () => {
  it('opens a new handshake window after a minute, and logs an offender again with what it refused since', () => {
    const clock = { now: 0 };
    const { admission, logged } = gate({ connectRatePerMinute: 2, maxPerIp: 0 }, clock);
    const from = () => admission.admit(req('203.0.113.1'));
    expect(from().ok).toBe(true);
    expect(from().ok).toBe(true);
    const refused = from();
    expect(refused).toMatchObject({ ok: false, status: 429, reason: 'connect_rate', retryAfter: 60 });
    expect(from().ok).toBe(false);
    expect(logged).toHaveLength(1);
    clock.now = 59_999;
    expect(from()).toMatchObject({ ok: false, retryAfter: 1 });
    clock.now = 60_000;
    expect(from().ok).toBe(true);
    expect(from().ok).toBe(true);
    expect(from().ok).toBe(false);
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatchObject({ reason: 'connect_rate', remote: '203.0.113.1', refusedBefore: 2 });
    expect(admission.refused.get('connect_rate')).toBe(4);
  });

  it('counts an IPv6 client by its /64 and a mapped IPv4 client as IPv4, and frees slots on release', () => {
    const clock = { now: 0 };
    const { admission } = gate({ maxPerIp: 2 }, clock);
    const a = admission.admit(req('2001:db8:1:2::1'));
    const b = admission.admit(req('2001:db8:1:2:ffff::2'));
    expect(a).toMatchObject({ ok: true, key: '2001:db8:1:2::/64' });
    expect(b.ok).toBe(true);
    expect(admission.admit(req('2001:db8:1:2::3'))).toMatchObject({ ok: false, reason: 'max_per_ip' });
    expect(admission.admit(req('2001:db8:1:3::1')).ok).toBe(true);
    if (a.ok) admission.release(a.key);
    expect(admission.admit(req('2001:db8:1:2::3')).ok).toBe(true);
    expect(admission.admit(req('::ffff:198.51.100.4'))).toMatchObject({ ok: true, address: '198.51.100.4' });
    // Exempt: not counted at all.
    for (let i = 0; i < 10; i++)
      expect(admission.admit(req('::ffff:127.0.0.1'))).toMatchObject({ ok: true, key: undefined });
  });

  it('takes the last X-Forwarded-For entry only behind a trusted proxy', () => {
    const clock = { now: 0 };
    expect(gate({}, clock).admission.admit(req('127.0.0.1', '203.0.113.5'))).toMatchObject({ address: '127.0.0.1' });
    const { admission } = gate({ trustProxy: true }, clock);
    expect(admission.admit(req('127.0.0.1', '10.0.0.1, 203.0.113.5'))).toMatchObject({ address: '203.0.113.5' });
    expect(admission.admit(req('127.0.0.1'))).toMatchObject({ address: '127.0.0.1', key: undefined });
    expect(admission.admit(req('127.0.0.1', '203.0.113.5, unknown'))).toMatchObject({ ok: false, status: 400 });
  });

  it('refuses everyone with 503 past the descriptor ceiling, exempt addresses too', () => {
    const clock = { now: 0 };
    const { admission } = gate({ descriptorLimit: 200 }, clock);
    admission.start(36); // 200 - 64 headroom - 36 open = 100 connections
    expect(admission.connectionCeiling).toBe(100);
    const closers: Array<() => void> = [];
    for (let i = 0; i < 101; i++) admission.trackConnection({ once: (_e, f) => closers.push(f) });
    expect(admission.admit(req('127.0.0.1'))).toMatchObject({ ok: false, status: 503, reason: 'descriptors' });
    closers.pop()?.();
    expect(admission.admit(req('127.0.0.1')).ok).toBe(true);
    expect(descriptorHeadroom(1024)).toBe(102);
    expect(descriptorHeadroom(100_000)).toBe(1024);
  });

  it('answers a refusal with a short text body and Retry-After', () => {
    expect(
      refusalResponse({
        ok: false,
        status: 429,
        reason: 'max_per_ip',
        text: 'too many',
        retryAfter: 60,
        offender: 'x',
      }),
    ).toBe(
      'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\nRetry-After: 60\r\n\r\ntoo many\n',
    );
  });
});
