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
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientPool } from '../cluster/helpers.js';
import { C2_BIN, type C2Process } from '../helpers/process.js';
import { one, serviceCommand, startService } from '../helpers/systemd.js';
import { tempDir } from '../helpers/tmp.js';

const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

describe('deploy/c2-server.service', () => {
  const procs: C2Process[] = [];
  const pool = new ClientPool();
  const { unit, text } = serviceCommand('/var/lib/c2');

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
    const service = await startService(procs);
    const stateDirectory = service.env.STATE_DIRECTORY as string;
    expect(service.argv[0]).toBe(C2_BIN);
    expect(service.argv).toContain(stateDirectory);
    expect(one(unit, 'Service.EnvironmentFile').startsWith('-')).toBe(true); // optional: absent here
    const { proc, url } = service;
    const ready = proc.stdout.find((l) => l.includes('listening on')) as string;
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
  it.skipIf(!verify)(
    'systemd-analyze verify has nothing to say about it',
    async () => {
      const file = join(tempDir('c2-unit-'), 'c2-server.service');
      writeFileSync(file, text);
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(SYSTEMD_ANALYZE as string, ['verify', '--man=no', file], { timeout: 15_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}`.trim() }),
        );
      });
      expect(result).toEqual({ code: 0, output: '' });
    },
    20_000,
  );
});
