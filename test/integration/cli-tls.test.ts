/**
 * TLS servers in the directory (contract §7 `tls`), end to end through bin/c2.js: `c2 server
 * --tls-cert … --tls-key … --listing …` registers with `tls: true`, `c2 listing` pings it
 * over wss:// (verifying the certificate, or not with --allow-self-signed), and `c2 servers`
 * and `c2 chat <id>` use wss:// for it. Certificates are made in the test (openssl). Needs
 * the build.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveChatTarget } from '../../src/cli/chat-command.js';
import { type ListedServer, listServers } from '../helpers/listing.js';
import { C2Processes, listeningUrl } from '../helpers/process.js';
import { certificateAuthority, selfSignedCert } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';

const processes = new C2Processes();
afterEach(() => processes.killAll());
const c2 = (args: string[], env: Record<string, string> = {}) => processes.run(args, env);

/** A `c2 listing` process on 127.0.0.1, port 0, in memory; resolves with its URL. */
async function listing(extra: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const { url } = await processes.start(
    [
      'listing',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      ':memory:',
      '--allow-private-addresses',
      '--check-interval',
      '300',
      ...extra,
    ],
    { env },
  );
  return url;
}

/** A `c2 server` process with a certificate, registering with the listing at `listingUrl`. */
function tlsServer(
  listingUrl: string,
  tls: { cert: string; key: string },
  id: number,
  env: Record<string, string> = {},
) {
  return c2(
    [
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--id',
      String(id),
      '--name',
      `Secure ${id}`,
      '--data-dir',
      tempDir(),
      '--tls-cert',
      tls.cert,
      '--tls-key',
      tls.key,
      '--listing',
      listingUrl,
    ],
    env,
  );
}

async function run(args: string[], env: Record<string, string> = {}) {
  const p = c2(args, env);
  const code = await p.exited(15_000);
  return { code, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
}

describe('c2 server --tls-cert … --listing (real processes)', { timeout: 45_000 }, () => {
  it('a self-signed server is listed with tls: true by a listing run with --allow-self-signed; c2 servers marks it', async () => {
    const url = await listing(['--allow-self-signed']);
    const server = tlsServer(url, selfSignedCert(tempDir()), 1821);
    const address = new URL(listeningUrl(await server.waitFor(/listening on wss:/))).host;
    await server.waitFor(/listing: registered/);
    expect(await listServers(url)).toEqual([
      { id: 1821, displayName: 'Secure 1821', address, connectedUsers: 0, maxUsers: 50, tls: true },
    ]);
    // The liveness checker pings it over wss:// every 300 ms and keeps it.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await listServers(url)).toHaveLength(1);

    // c2 servers verifies certificates as any client: this one is not trusted, so no ping time.
    const table = await run(['servers', '--listing', url, '--timeout', '1000']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`^Secure 1821\\s+wss://${address.replace(/\./g, '\\.')}\\s+0/50\\s+—$`, 'm'),
    );
    const json = await run(['servers', '--listing', url, '--json', '--timeout', '1000']);
    expect(JSON.parse(json.stdout)).toEqual([
      { id: 1821, displayName: 'Secure 1821', address, connectedUsers: 0, maxUsers: 50, tls: true, pingMs: null },
    ]);
  });

  it('C2_ALLOW_SELF_SIGNED=1 is the flag; without it the listing refuses the server with the plain reason, and the server says how to fix it', async () => {
    const allowing = await listing([], { C2_ALLOW_SELF_SIGNED: '1' });
    const cert = selfSignedCert(tempDir());
    const ok = tlsServer(allowing, cert, 1822);
    await ok.waitFor(/listing: registered/);

    const strict = await listing([], { C2_ALLOW_SELF_SIGNED: '0' });
    const refused = tlsServer(strict, cert, 1823);
    const address = new URL(listeningUrl(await refused.waitFor(/listening on wss:/))).host;
    const line = await refused.waitFor(/could not reach this server over wss:\/\//);
    expect(line).toContain(`${address} did not answer a c2 PING over wss:// within 5 s`);
    expect(line).toContain('--allow-self-signed');
    expect(line).not.toMatch(/self-signed certificate|DEPTH_ZERO/);
    expect(await listServers(strict)).toEqual([]);
  });

  it('a certificate from an authority the listing trusts (NODE_EXTRA_CA_CERTS) is verified, no flag needed; c2 servers pings it over wss://, c2 chat <id> dials wss://', async () => {
    const { ca, cert, key } = certificateAuthority(tempDir());
    const trust = { NODE_EXTRA_CA_CERTS: ca };
    const url = await listing([], trust);
    const server = tlsServer(url, { cert, key }, 1824);
    const address = new URL(listeningUrl(await server.waitFor(/listening on wss:/))).host;
    await server.waitFor(/listing: registered/);
    const [entry] = (await listServers(url)) as ListedServer[];
    expect(entry).toMatchObject({ id: 1824, address, tls: true });

    const json = await run(['servers', '--listing', url, '--json'], trust);
    const [shown] = JSON.parse(json.stdout);
    expect(shown).toMatchObject({ id: 1824, tls: true });
    expect(shown.pingMs).toBeGreaterThan(0);
    const table = await run(['servers', '--listing', url], trust);
    expect(table.stdout).toMatch(/^NAME\s+ADDRESS\s+USERS\s+PING$/m);
    expect(table.stdout).toMatch(
      new RegExp(`^Secure 1824\\s+wss://${address.replace(/\./g, '\\.')}\\s+0/50\\s+[0-9.]+ ms$`, 'm'),
    );

    // `c2 chat 1824 --listing …` finds the entry and dials wss://.
    expect(await resolveChatTarget({ id: 1824 }, url)).toBe(`wss://${address}`);
    await expect(resolveChatTarget({ id: 4711 }, url)).rejects.toThrow(`server 4711 is not listed at ${url}`);
  });
});
