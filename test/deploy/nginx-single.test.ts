/**
 * docs/DEPLOY.md, "Behind nginx with TLS": Debian's nginx runs deploy/nginx-single.conf (its
 * placeholders filled, nothing else changed) in front of a `c2 server --host 127.0.0.1
 * --trust-proxy` process. Clients come from other loopback addresses (127.0.0.2, …), so the
 * address nginx forwards differs from nginx's own, as a remote client's would. The
 * certificate is from a test authority the clients trust (nothing is relaxed).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClientPool } from '../cluster/helpers.js';
import { describeWithNginx, startNginx, type TestNginx } from '../helpers/nginx.js';
import { type C2Process, type StartedC2, startC2 } from '../helpers/process.js';
import { certificateAuthority } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';
import { http } from '../listing/helpers/http.js';

/** A GET of `url` (the listing tests' http helper). */
const get = (url: string, options: { ca?: string; localAddress?: string } = {}) => http(url, url, options);

describeWithNginx('one c2 server behind nginx (deploy/nginx-single.conf)', () => {
  const procs: C2Process[] = [];
  const pool = new ClientPool();
  let server: StartedC2;
  let nginx: TestNginx;
  let ca: string;
  let wss: string;

  beforeAll(async () => {
    const certs = certificateAuthority(tempDir('c2-deploy-single-'));
    ca = readFileSync(certs.ca, 'utf8');
    server = await startC2(
      [
        'server',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--trust-proxy',
        '--name',
        'Proxied',
        '--max-per-ip',
        '1',
        '--exempt-ips',
        'none',
        '--data-dir',
        tempDir(),
        '--no-console',
      ],
      { procs },
    );
    nginx = await startNginx(
      'nginx-single.conf',
      { C2_PORT: String(server.port), TLS_CERT: certs.cert, TLS_KEY: certs.key },
      ['HTTPS_LISTEN', 'HTTP_LISTEN'],
    );
    wss = `wss://127.0.0.1:${nginx.port}`;
  }, 30_000);

  afterAll(async () => {
    pool.closeAll();
    await nginx?.dispose();
    for (const p of procs) p.kill('SIGKILL');
  });

  it('wss clients chat through nginx; the server sees and limits each by its own forwarded address', async () => {
    const alice = await pool.join(wss, 'alice', { ca, localAddress: '127.0.0.2' });
    expect(alice.frames).toEqual([]);
    const bob = await pool.join(wss, 'bob', { ca, localAddress: '127.0.0.3' });
    expect(await alice.next()).toBe('c2/CONNECT bob');
    alice.send('c2/MSG hello through nginx');
    expect(await alice.next()).toBe('c2/MSG alice; hello through nginx');
    expect(await bob.next()).toBe('c2/MSG alice; hello through nginx');

    // The server logged each user with the address nginx saw, not nginx's own 127.0.0.1.
    const connected = server.proc.stdout
      .map((l) => JSON.parse(l) as { msg: string; user?: string; remote?: string })
      .filter((e) => e.msg === 'user connected')
      .map((e) => `${e.user} ${e.remote}`);
    expect(connected).toEqual(['alice 127.0.0.2', 'bob 127.0.0.3']);

    // --max-per-ip 1 counts forwarded addresses: a second socket from 127.0.0.2 is refused,
    // also when it claims another address (nginx appends the one it saw; c2 takes the last).
    await expect(pool.open(wss, { ca, localAddress: '127.0.0.2' })).rejects.toThrow(/429/);
    await expect(
      pool.open(wss, { ca, localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.9' } }),
    ).rejects.toThrow(/429/);
    // … while a third address still gets in: nginx's own address is not what is counted.
    await pool.join(wss, 'carol', { ca, localAddress: '127.0.0.4' });
    expect(await alice.next()).toBe('c2/CONNECT carol');
  });

  it('serves the web client over https, redirects http, and keeps /metrics to the machine', async () => {
    const page = await get(`https://127.0.0.1:${nginx.port}/`, { ca, localAddress: '127.0.0.2' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const direct = await get(`${server.url.replace(/^ws/, 'http')}/`);
    expect(page.text).toBe(direct.text);
    const script = /<script[^>]+src="([^"]+)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const asset = await get(new URL(script as string, `https://127.0.0.1:${nginx.port}/`).href, { ca });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);

    const plain = await get(`http://127.0.0.1:${nginx.ports.HTTP_LISTEN}/some/where?x=1`);
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://127.0.0.1/some/where?x=1');

    expect((await get(`https://127.0.0.1:${nginx.port}/metrics`, { ca, localAddress: '127.0.0.2' })).status).toBe(403);
    const metrics = await get(`https://127.0.0.1:${nginx.port}/metrics`, { ca });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^c2_connected_users 3$/m);
  });
});
