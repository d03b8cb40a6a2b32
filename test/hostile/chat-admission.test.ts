/**
 * One address cannot take the whole chat server (docs/SECURITY.md, issue 13 item 2): sockets
 * per address are capped at the HTTP upgrade (registered or not), handshakes are rate-limited
 * per address, loopback is exempt unless told otherwise, behind a trusted proxy the address
 * is X-Forwarded-For's, and refusals are logged once a minute per offender and counted in
 * /metrics. Real sockets from several loopback source addresses (127.0.0.2, 127.0.0.3…).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import type { ChatServerOptions } from '../../src/server/options.js';

interface LogLine {
  level: number;
  msg: string;
  remote?: string;
  reason?: string;
  by?: { remote?: string };
}

let server: ChatServer | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  server = undefined;
});

async function start(options: Partial<ChatServerOptions>): Promise<{ url: string; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  server = await startChatServer({ host: '127.0.0.1', port: 0, id: 7, name: 'Test', ...options }, pino(sink));
  return { url: `ws://127.0.0.1:${server.port}`, lines };
}

type Opened = { ok: true; ws: WebSocket } | { ok: false; status: number; body: string; retryAfter?: string };

/** Opens a WebSocket from `from` (a loopback source address), or returns the HTTP refusal. */
function open(url: string, from: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress: from, headers });
    ws.once('open', () => {
      sockets.push(ws);
      resolve({ ok: true, ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({ ok: false, status: res.statusCode ?? 0, body, ...(retryAfter ? { retryAfter } : {}) });
      });
    });
    ws.once('error', (err) => reject(err));
  });
}

async function openMany(url: string, from: string, n: number, headers?: Record<string, string>): Promise<Opened[]> {
  const results: Opened[] = [];
  for (let i = 0; i < n; i++) results.push(await open(url, from, headers));
  return results;
}

function frameOf(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(String(d))));
}

async function metric(port: number, reason: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^c2_connections_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('sockets per address (--max-per-ip)', () => {
  it('caps the sockets one address holds, connected or not, with 429 and a short text, and spares the others', async () => {
    const { url, lines } = await start({ maxPerIp: 4, exemptIps: 'none' });
    // Four sockets that never CONNECT, from 127.0.0.2: all open.
    const held = await openMany(url, '127.0.0.2', 4);
    expect(held.every((o) => o.ok)).toBe(true);
    // The fifth (and sixth) are refused before the upgrade.
    for (let i = 0; i < 2; i++) {
      expect(await open(url, '127.0.0.2')).toEqual({
        ok: false,
        status: 429,
        body: 'too many connections from your address (at most 4 at once)\n',
        retryAfter: '60',
      });
    }
    // Another address is not affected, and can chat.
    const other = await open(url, '127.0.0.3');
    expect(other.ok).toBe(true);
    if (other.ok) {
      other.ws.send('c2/CONNECT carol');
      expect(await frameOf(other.ws)).toMatch(/^c2\/ACKNOWLEDGE/);
    }
    // /healthz answers meanwhile.
    expect((await fetch(`http://127.0.0.1:${server?.port}/healthz`)).status).toBe(200);
    // Closing one frees a slot.
    const first = held[0];
    if (first?.ok) {
      const closed = new Promise((r) => first.ws.once('close', r));
      first.ws.close();
      await closed;
    }
    await new Promise((r) => setTimeout(r, 50));
    expect((await open(url, '127.0.0.2')).ok).toBe(true);
    // Counted, and logged once (not once per refusal).
    expect(await metric(server?.port as number, 'max_per_ip')).toBe(2);
    const warnings = lines.filter((l) => l.level === 40 && l.reason === 'max_per_ip');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.remote).toBe('127.0.0.2');
  });

  it('exempts loopback by default, so a local proxy and npm start keep working', async () => {
    const { url } = await start({ maxPerIp: 2, connectRate: 2 });
    const opened = await openMany(url, '127.0.0.2', 10);
    expect(opened.every((o) => o.ok)).toBe(true);
  });

  it('has no cap at 0', async () => {
    const { url } = await start({ maxPerIp: 0, exemptIps: 'none' });
    const opened = await openMany(url, '127.0.0.2', 40);
    expect(opened.every((o) => o.ok)).toBe(true);
  });
});

describe('handshakes per address (--connect-rate)', () => {
  it('refuses the handshakes past N a minute from one address, even when each socket is closed at once', async () => {
    const { url, lines } = await start({ connectRate: 5, exemptIps: 'none' });
    const results: Opened[] = [];
    for (let i = 0; i < 8; i++) {
      const o = await open(url, '127.0.0.4');
      results.push(o);
      if (o.ok) o.ws.terminate();
    }
    expect(results.map((o) => (o.ok ? 101 : o.status))).toEqual([101, 101, 101, 101, 101, 429, 429, 429]);
    const refused = results[5];
    expect(refused?.ok === false && refused.body).toBe('too many connections from your address (at most 5 a minute)\n');
    expect((await open(url, '127.0.0.5')).ok).toBe(true);
    expect(await metric(server?.port as number, 'connect_rate')).toBe(3);
    expect(lines.filter((l) => l.level === 40 && l.reason === 'connect_rate')).toHaveLength(1);
  });
});

describe('behind a reverse proxy (--trust-proxy)', () => {
  it('counts by the last X-Forwarded-For entry (IPv6 by its /64), and uses it for the op throttle and ban logs', async () => {
    const { url, lines } = await start({ maxPerIp: 2, trustProxy: true, opPassword: 'right' });
    // The proxy is on loopback (exempt); its clients are not. A spoofed first entry is ignored.
    const xff = (ip: string) => ({ 'X-Forwarded-For': `10.9.9.9, ${ip}` });
    expect((await openMany(url, '127.0.0.1', 2, xff('203.0.113.7'))).every((o) => o.ok)).toBe(true);
    expect(await open(url, '127.0.0.1', xff('203.0.113.7'))).toMatchObject({ ok: false, status: 429 });
    expect((await open(url, '127.0.0.1', xff('203.0.113.8'))).ok).toBe(true);
    // Two addresses of one /64 count together; another /64 does not.
    expect((await open(url, '127.0.0.1', xff('2001:db8:0:1::a'))).ok).toBe(true);
    expect((await open(url, '127.0.0.1', xff('2001:db8:0:1::b'))).ok).toBe(true);
    expect(await open(url, '127.0.0.1', xff('2001:db8:0:1:ffff::c'))).toMatchObject({ ok: false, status: 429 });
    expect((await open(url, '127.0.0.1', xff('2001:db8:0:2::a'))).ok).toBe(true);
    expect(lines.find((l) => l.reason === 'max_per_ip' && l.remote === '2001:db8:0:1::/64')).toBeDefined();
    // A header that does not end with an address is refused.
    expect(await open(url, '127.0.0.1', { 'X-Forwarded-For': '203.0.113.9, junk' })).toMatchObject({
      ok: false,
      status: 400,
    });
    // Without the header, the socket's own address (loopback: exempt).
    expect((await openMany(url, '127.0.0.1', 3)).every((o) => o.ok)).toBe(true);

    // The op throttle is per client address, not per proxy.
    const guesser = await open(url, '127.0.0.1', xff('198.51.100.1'));
    const operator = await open(url, '127.0.0.1', xff('198.51.100.2'));
    if (!guesser.ok || !operator.ok) throw new Error('not opened');
    guesser.ws.send('c2/CONNECT guesser');
    await frameOf(guesser.ws);
    for (let i = 0; i < 3; i++) {
      guesser.ws.send('c2/QUERY op; wrong');
      await frameOf(guesser.ws);
    }
    guesser.ws.send('c2/QUERY op; right');
    expect(await frameOf(guesser.ws)).toMatch(/too many wrong passwords: try again/);
    operator.ws.send('c2/CONNECT oper');
    await frameOf(operator.ws);
    operator.ws.send('c2/QUERY op; right');
    expect(await frameOf(operator.ws)).toBe('c2/ACKNOWLEDGE you are now an operator');
    operator.ws.send('c2/QUERY ban; guesser; no guessing');
    await new Promise((r) => setTimeout(r, 100));
    const banLine = lines.find((l) => l.msg === 'username banned');
    expect(banLine).toMatchObject({ remote: '198.51.100.1', by: { remote: '198.51.100.2' } });
  });
});
