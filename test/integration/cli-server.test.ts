import { writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { C2Processes, listeningUrl } from '../helpers/process.js';
import { selfSignedCert } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const dataDir = tempDir();
const notADirectory = join(dataDir, 'a-file');
writeFileSync(notADirectory, '');

const processes = new C2Processes();
afterEach(() => processes.killAll());

describe('node bin/c2.js server', () => {
  it('logs one ready line, chats, and exits 0 on SIGTERM after closing sockets with 1001', async () => {
    const proc = processes.run([
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--id',
      '7',
      '--name',
      'Test Server',
      '--data-dir',
      dataDir,
    ]);
    const line = await proc.waitFor(/listening on ws:\/\//);
    const url = listeningUrl(line);
    expect(JSON.parse(line).msg).toBe(`listening on ${url} (id 7, name "Test Server")`);
    expect(proc.stdout.filter((l) => /listening/i.test(l))).toHaveLength(1);

    const alice = await TestClient.connect(url.replace('127.0.0.1', 'localhost'), 'alice');
    alice.send('c2/MSG hello');
    expect(await alice.next()).toBe('c2/MSG alice; hello');
    alice.send('c2/QUERY server_info');
    expect(JSON.parse((await alice.next()).slice('c2/ACKNOWLEDGE '.length))).toMatchObject({
      id: 7,
      name: 'Test Server',
    });

    proc.kill('SIGTERM');
    expect(await alice.waitClose()).toBe(1001);
    expect(await proc.exited()).toBe(0);
  });

  it('exits 0 on SIGINT', async () => {
    const { proc } = await processes.start(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir]);
    proc.kill('SIGINT');
    expect(await proc.exited()).toBe(0);
  });

  it('reads flags from C2_* environment variables', async () => {
    const proc = processes.run(['server', '--host', '127.0.0.1'], {
      C2_PORT: '0',
      C2_ID: '42',
      C2_NAME: 'From Env',
      C2_DATA_DIR: dataDir,
      C2_MAX_PER_IP: '3',
      C2_CONNECT_RATE: '7',
      C2_EXEMPT_IPS: '10.0.0.0/8,2001:db8::/32',
      C2_TRUST_PROXY: 'yes',
    });
    const line = await proc.waitFor(/listening on/);
    expect(JSON.parse(line).msg).toMatch(/\(id 42, name "From Env"\)$/);
    expect(JSON.parse(line)).toMatchObject({
      maxPerIp: 3,
      connectRate: 7,
      exemptIps: '10.0.0.0/8,2001:db8::/32',
      trustProxy: true,
    });
  });

  it.each([
    [['server', '--port', 'abc'], /--port.*a port must be a whole number/],
    [['server', '--port', '70000'], /a port must be a whole number from 0 to 65535/],
    [['server', '--id', '-3'], /server id/],
    [['server', '--max-users', '0'], /max users must be a whole number from 1/],
    [['server', '--bogus'], /unknown option '--bogus'/],
    [['server', '--tls-cert', 'x.pem'], /--tls-cert and --tls-key go together/],
    [['server', '--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key'], /cannot read the TLS files/],
    [['server', '--history-size', 'lots'], /the history size must be a whole number/],
    [['server', '--max-per-ip', '-1'], /the sockets per address must be a whole number from 0/],
    [['server', '--connect-rate', 'many'], /the handshakes a minute must be a whole number from 0/],
    [['server', '--exempt-ips', '10.0.0.1/8'], /"10.0.0.1\/8" is not an IP address or CIDR range/],
    [['server', '--exempt-ips', 'localhost'], /"localhost" is not an IP address or CIDR range/],
    [['server', '--data-dir', `${notADirectory}/sub`], /^c2: .*(ENOTDIR|not a directory)/im],
    [['nonsense'], /unknown command 'nonsense'/],
  ])('refuses bad input %j with a readable error and a non-zero exit', async (args, message) => {
    const proc = processes.run(args.includes('--data-dir') ? args : [...args, '--data-dir', dataDir]);
    const code = await proc.exited();
    expect(code).not.toBe(0);
    const err = proc.stderr.join('\n');
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });

  it('serves wss:// and https:// with --tls-cert and --tls-key', async () => {
    const { cert, key } = selfSignedCert(dataDir);
    const { url } = await processes.start([
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--id',
      '3',
      '--data-dir',
      dataDir,
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const client = await TestClient.open(url, { rejectUnauthorized: false });
    client.send('c2/CONNECT secure');
    expect(await client.next()).toBe('c2/ACKNOWLEDGE Chatter Server');
    client.close();
    const health = await new Promise<string>((resolve, reject) => {
      httpsGet(`${url.replace('wss:', 'https:')}/healthz`, { rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    expect(JSON.parse(health)).toMatchObject({ status: 'ok', id: 3 });
  });

  it('says so plainly when the port is taken', async () => {
    const { port } = await processes.start(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir]);
    const second = processes.run(['server', '--host', '127.0.0.1', '--port', String(port), '--data-dir', tempDir()]);
    expect(await second.exited()).toBe(1);
    expect(second.stderr.join('\n')).toMatch(/already in use/);
    expect(second.stderr.join('\n')).not.toMatch(/\bat .*\.js:\d+/);
  });
});
