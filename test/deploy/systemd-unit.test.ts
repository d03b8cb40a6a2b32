/**
 * docs/DEPLOY.md, "One server under systemd": deploy/c2-server.service, its placeholders
 * filled (@C2_DIR@ this checkout, @C2_PORT@ 0), is read as systemd reads it and its
 * ExecStart run as systemd would run it: the Environment= lines (and nothing else but PATH)
 * as the environment, ${STATE_DIRECTORY} expanded to a fresh directory. The server must
 * start with the unit's settings, take the client's address from X-Forwarded-For, keep its
 * state where StateDirectory= says, and exit 0 on the unit's KillSignal. When
 * `systemd-analyze` exists, `systemd-analyze verify` must find nothing to say about it.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientPool } from '../cluster/helpers.js';
import { deployFile } from '../helpers/nginx.js';
import { type C2Process, C2_BIN, listeningUrl, runCommand } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
/** systemd's PATH for services (systemd.exec(5)); then where this test's node is. */
const SERVICE_PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${dirname(process.execPath)}`;

type Unit = Map<string, string[]>;

/** `[Section]` `Key=value` lines into "Section.Key" → values (a key may repeat). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not a Key=value line: ${line}`);
    const key = `${section}.${line.slice(0, eq)}`;
    unit.set(key, [...(unit.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

/** A systemd command line or Environment= value split into words ("double quotes" group). */
function words(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string);
}

function one(unit: Unit, key: string): string {
  const values = unit.get(key) ?? [];
  if (values.length !== 1) throw new Error(`${key}: expected one value, found ${values.length}`);
  return values[0] as string;
}

describe('deploy/c2-server.service', () => {
  const procs: C2Process[] = [];
  const pool = new ClientPool();
  const text = deployFile('c2-server.service', { C2_DIR: REPO, C2_PORT: '0' });
  const unit = parseUnit(text);

  afterAll(() => {
    pool.closeAll();
    for (const p of procs) p.kill('SIGKILL');
  });

  it('asks for a dynamic user, a state directory, restarts on failure, SIGTERM and a descriptor limit', () => {
    expect(one(unit, 'Service.DynamicUser')).toBe('yes');
    expect(one(unit, 'Service.StateDirectory')).toBe('c2');
    expect(one(unit, 'Service.Restart')).toBe('on-failure');
    expect(one(unit, 'Service.KillSignal')).toBe('SIGTERM');
    expect(Number(one(unit, 'Service.LimitNOFILE'))).toBeGreaterThanOrEqual(65_536);
    expect(one(unit, 'Install.WantedBy')).toBe('multi-user.target');
  });

  it('its ExecStart, with its Environment=, starts a server that is ready, trusts the proxy, and stops cleanly on SIGTERM', async () => {
    const stateDirectory = tempDir('c2-unit-state-');
    const env: Record<string, string> = { PATH: SERVICE_PATH, STATE_DIRECTORY: stateDirectory };
    for (const value of unit.get('Service.Environment') ?? []) {
      for (const assignment of words(value)) {
        const eq = assignment.indexOf('=');
        env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
      }
    }
    expect(one(unit, 'Service.EnvironmentFile').startsWith('-')).toBe(true); // optional: absent here
    const argv = words(one(unit, 'Service.ExecStart')).map((w) =>
      w.replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? ''),
    );
    expect(argv[0]).toBe(C2_BIN);
    expect(argv).toContain(stateDirectory);
    // As systemd runs it: the file itself (its #! line finds node on PATH), this environment only.
    const proc = runCommand(argv[0] as string, argv.slice(1), env);
    procs.push(proc);
    const ready = await proc.waitFor(/listening on/, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; stderr: ${proc.stderr.join('\n')}`);
    });
    const url = listeningUrl(ready);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(ready).toContain('name \\"Chatter Server\\"');
    expect(existsSync(join(stateDirectory, 'server.db'))).toBe(true);

    // C2_TRUST_PROXY: the address is the last X-Forwarded-For entry (nginx's view of the client).
    await pool.join(url, 'alice', { headers: { 'X-Forwarded-For': '203.0.113.1, 198.51.100.7' } });
    const connected = proc.stdout.find((l) => l.includes('"user connected"')) as string;
    expect(JSON.parse(connected)).toMatchObject({ user: 'alice', remote: '198.51.100.7' });

    const timeoutStop = Number(one(unit, 'Service.TimeoutStopSec')) * 1000;
    proc.kill(one(unit, 'Service.KillSignal') as NodeJS.Signals);
    expect(await proc.exited(timeoutStop)).toBe(0);
  }, 40_000);

  const verify = SYSTEMD_ANALYZE !== undefined;
  if (!verify) console.warn('⚠ systemd-analyze verify skipped: no systemd-analyze on this machine');
  it.skipIf(!verify)('systemd-analyze verify has nothing to say about it', async () => {
    const file = join(tempDir('c2-unit-'), 'c2-server.service');
    writeFileSync(file, text);
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(SYSTEMD_ANALYZE as string, ['verify', '--man=no', file], { timeout: 15_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}`.trim() }),
      );
    });
    expect(result).toEqual({ code: 0, output: '' });
  }, 20_000);
});
