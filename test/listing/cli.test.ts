/**
 * `c2 listing` as a real process (bin/c2.js runs dist/: `npm run build` first): the
 * ready line, clean exit on SIGTERM/SIGINT, flags from the environment, readable errors.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { selfSignedCert } from '../helpers/tls.js';
import { postgresBackend, postgresGate, type TestDb } from './helpers/backends.js';
import { http } from './helpers/http.js';

const BIN = fileURLToPath(new URL('../../bin/c2.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', C2_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function readyUrl(r: Run, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /listening on (https?:\/\/[^\s"]+)/.exec(r.stdout());
    if (match) return match[1] as string;
    if (r.child.exitCode !== null) throw new Error(`exited ${r.child.exitCode}: ${r.stderr()}${r.stdout()}`);
    if (Date.now() > deadline) throw new Error(`no ready line in ${timeoutMs} ms: ${r.stdout()} ${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function exitCode(r: Run, timeoutMs = 10_000): Promise<number | null> {
  return Promise.race([
    r.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the process did not exit')), timeoutMs)),
  ]);
}

/** A failed start: non-zero exit, a readable one-line reason on stderr, no stack trace. */
async function expectReadableFailure(r: Run, mentions: RegExp): Promise<void> {
  const code = await exitCode(r);
  expect(code).not.toBe(0);
  expect(r.stderr()).toMatch(mentions);
  expect(r.stderr()).not.toMatch(/^\s+at /m);
}

describe('c2 listing (process)', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` before these tests');
    dir = mkdtempSync(join(tmpdir(), 'c2-listing-cli-'));
  });
  afterAll(() => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs one ready line naming its address, serves, and exits 0 on SIGTERM', async () => {
    const r = run(['listing', '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'a.db')]);
    const url = await readyUrl(r);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.stdout().match(/listening on/g)).toHaveLength(1);
    expect((await http(url, '/healthz')).json()).toEqual({ status: 'ok', store: 'sqlite' });
    r.child.kill('SIGTERM');
    expect(await exitCode(r)).toBe(0);
    expect(existsSync(join(dir, 'a.db'))).toBe(true);
  });

  it('exits 0 on SIGINT', async () => {
    const r = run(['listing', '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'b.db')]);
    await readyUrl(r);
    r.child.kill('SIGINT');
    expect(await exitCode(r)).toBe(0);
  });

  describe('flags from the environment', () => {
    let chat: ChatServer;
    beforeAll(async () => {
      chat = await startChatServer({ host: '127.0.0.1', port: 0, id: 77, name: 'env' });
    });
    afterAll(() => chat?.close());

    it('reads C2_HOST, C2_PORT, C2_DB and C2_ALLOW_PRIVATE_ADDRESSES', async () => {
      const env = {
        C2_HOST: '127.0.0.1',
        C2_PORT: '0',
        C2_DB: join(dir, 'env.db'),
        C2_ALLOW_PRIVATE_ADDRESSES: 'true',
      };
      const r = run(['listing'], env);
      const url = await readyUrl(r);
      const res = await http(url, '/servers/77', { method: 'POST', body: { address: `127.0.0.1:${chat.port}` } });
      expect(res.status, res.text).toBe(201);
      r.child.kill('SIGTERM');
      expect(await exitCode(r)).toBe(0);
    });

    it('--register-limit, --auth-failure-limit and --cors-origin, as flags and as C2_REGISTER_LIMIT, C2_AUTH_FAILURE_LIMIT, C2_CORS_ORIGIN', async () => {
      const help = run(['listing', '--help']);
      expect(await exitCode(help)).toBe(0);
      for (const name of [
        '--register-limit',
        'C2_REGISTER_LIMIT',
        '--auth-failure-limit',
        'C2_AUTH_FAILURE_LIMIT',
        '--cors-origin',
        'C2_CORS_ORIGIN',
      ]) {
        expect(help.stdout()).toContain(name);
      }
      const common = ['listing', '--host', '127.0.0.1', '--port', '0', '--allow-private-addresses'];
      const address = `127.0.0.1:${chat.port}`;
      const check = async (url: string) => {
        const post = (headers: Record<string, string> = {}) =>
          http(url, '/servers/77', { method: 'POST', body: { address }, headers });
        expect((await post({ origin: 'https://other.example' })).json()).toMatchObject({ error: 'origin_not_allowed' });
        const created = await post({ origin: 'https://admin.example' });
        expect(created.status, created.text).toBe(201);
        expect((await post()).json()).toMatchObject({ error: 'rate_limited' });
        const put = () => http(url, '/servers/77', { method: 'PUT', headers: { authorization: 'C2Listing nope' } });
        expect((await put()).json()).toMatchObject({ error: 'malformed_authorization' });
        expect((await put()).json()).toMatchObject({ error: 'rate_limited' });
      };
      const flags = run([
        ...common,
        '--db',
        join(dir, 'limits-flags.db'),
        '--register-limit',
        '1',
        '--auth-failure-limit',
        '1',
        '--cors-origin',
        'https://admin.example/,https://two.example',
      ]);
      await check(await readyUrl(flags));
      const env = run([...common, '--db', join(dir, 'limits-env.db')], {
        C2_REGISTER_LIMIT: '1',
        C2_AUTH_FAILURE_LIMIT: '1',
        C2_CORS_ORIGIN: 'https://Admin.Example:443',
      });
      await check(await readyUrl(env));
      // 0: no limit.
      const none = run([...common, '--db', join(dir, 'limits-none.db'), '--register-limit', '0']);
      const url = await readyUrl(none);
      for (let i = 0; i < 12; i++) {
        const res = await http(url, '/servers/77', { method: 'POST', body: { address } });
        expect(res.status, res.text).toBe(201);
      }
      for (const r of [flags, env, none]) {
        r.child.kill('SIGTERM');
        expect(await exitCode(r)).toBe(0);
      }
    });

    it('C2_ALLOW_PRIVATE_ADDRESSES=0 means off', async () => {
      const env = { C2_HOST: '127.0.0.1', C2_PORT: '0', C2_DB: join(dir, 'env0.db'), C2_ALLOW_PRIVATE_ADDRESSES: '0' };
      const r = run(['listing'], env);
      const url = await readyUrl(r);
      const res = await http(url, '/servers/77', { method: 'POST', body: { address: `127.0.0.1:${chat.port}` } });
      expect(res.json()).toMatchObject({ error: 'address_not_allowed' });
      r.child.kill('SIGTERM');
      expect(await exitCode(r)).toBe(0);
    });
  });

  it('bad flags: a readable error, a non-zero exit, no stack trace', async () => {
    const db = ['--db', join(dir, 'never.db'), '--host', '127.0.0.1'];
    await expectReadableFailure(run(['listing', '--port', 'abc', ...db]), /port/);
    await expectReadableFailure(run(['listing', '--port', '0', '--check-interval', '5', ...db]), /check interval/);
    await expectReadableFailure(run(['listing', '--port', '0', '--max-failures', '0', ...db]), /max failures/);
    await expectReadableFailure(run(['listing', '--port', '0', '--tls-cert', 'x.pem', ...db]), /--tls-key/);
    await expectReadableFailure(run(['listing', '--port', '0', '--bogus', ...db]), /unknown option/);
    await expectReadableFailure(
      run(['listing', '--port', '0', ...db], { C2_CHECK_INTERVAL: 'soon' }),
      /check interval/,
    );
    await expectReadableFailure(run(['listing', '--port', '0', ...db], { C2_TRUST_PROXY: 'maybe' }), /C2_TRUST_PROXY/);
    await expectReadableFailure(run(['listing', '--port', '0', '--register-limit', '-1', ...db]), /register limit/);
    await expectReadableFailure(
      run(['listing', '--port', '0', ...db], { C2_AUTH_FAILURE_LIMIT: 'many' }),
      /auth failure limit/,
    );
    await expectReadableFailure(run(['listing', '--port', '0', '--cors-origin', 'ftp://x.example', ...db]), /origin/);
    await expectReadableFailure(
      run(['listing', '--port', '0', ...db], { C2_CORS_ORIGIN: 'https://x.example/path' }),
      /not an origin/,
    );
    await expectReadableFailure(
      run(['listing', '--port', '0', '--tls-cert', join(dir, 'no.pem'), '--tls-key', join(dir, 'no.key'), ...db]),
      /TLS/,
    );
  });

  it('an unreachable database: a readable error without the password, exit 1', async () => {
    const r = run([
      'listing',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--db',
      'postgres://postgres:s3cret@127.0.0.1:1/x',
    ]);
    await expectReadableFailure(r, /cannot open the database postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/x/);
    expect(r.stderr() + r.stdout()).not.toContain('s3cret');
  });

  it('a port in use: a readable error', async () => {
    const first = run(['listing', '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'c.db')]);
    const port = new URL(await readyUrl(first)).port;
    await expectReadableFailure(
      run(['listing', '--host', '127.0.0.1', '--port', port, '--db', join(dir, 'd.db')]),
      /in use/,
    );
    first.child.kill('SIGTERM');
    expect(await exitCode(first)).toBe(0);
  });

  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    const { cert, key } = selfSignedCert(dir);
    const r = run([
      'listing',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      join(dir, 'tls.db'),
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    const url = await readyUrl(r);
    expect(url).toMatch(/^https:\/\//);
    const status = await new Promise<number>((resolve, reject) => {
      request(`${url}/healthz`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
    r.child.kill('SIGTERM');
    expect(await exitCode(r)).toBe(0);
  });

  describe('with PostgreSQL', async () => {
    const gate = await postgresGate();
    let db: TestDb;
    beforeAll(async () => {
      if (gate.run) db = await postgresBackend.create();
    });
    afterAll(() => db?.drop());

    it.skipIf(!gate.run && !gate.required)('--db postgres://… selects the PostgreSQL store', async () => {
      if (!gate.run) throw new Error(`PostgreSQL is required (C2_REQUIRE_POSTGRES=1) but unreachable: ${gate.reason}`);
      const r = run(['listing', '--host', '127.0.0.1', '--port', '0', '--db', db.db]);
      const url = await readyUrl(r);
      expect(r.stdout()).toContain('postgres store');
      expect((await http(url, '/healthz')).json()).toEqual({ status: 'ok', store: 'postgres' });
      r.child.kill('SIGTERM');
      expect(await exitCode(r)).toBe(0);
    });
  });
});
