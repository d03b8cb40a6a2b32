/**
 * One chat server per data directory (docs/SECURITY.md): two `c2 server` processes started
 * at the same moment on one new directory — exactly one runs, the other exits 1 with one line
 * naming the directory and the winner's pid (and neither dies of the schema being created
 * twice); a lock left by a `kill -9` does not block the restart. (bin/c2.js runs dist/:
 * `npm run build` first.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type C2Process, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const ROUNDS = 5;

const procs: C2Process[] = [];
afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
});

function server(dataDir: string): C2Process {
  const proc = runC2(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--no-console']);
  procs.push(proc);
  return proc;
}

/** Resolves with the "listening on" URL, or undefined when the process exits first. */
async function outcome(proc: C2Process): Promise<string | undefined> {
  try {
    const line = await proc.waitFor(/listening on/, 15_000);
    return (JSON.parse(line) as { url: string }).url;
  } catch (err) {
    if (proc.proc.exitCode === null) throw err;
    return undefined;
  }
}

describe('the data directory lock', () => {
  it(`lets exactly one of two simultaneous first starts run, ${ROUNDS} times`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dataDir = join(tempDir(), 'data'); // not there yet: both create it
      const pair = [server(dataDir), server(dataDir)];
      const urls = await Promise.all(pair.map(outcome));
      const winner = urls.findIndex((u) => u !== undefined);
      expect(winner).not.toBe(-1);
      expect(urls.filter((u) => u !== undefined)).toHaveLength(1);
      const running = pair[winner] as C2Process;
      const loser = pair[1 - winner] as C2Process;
      expect(await loser.exited()).toBe(1);
      const lines = loser.stderr.filter((l) => l.trim() !== '');
      expect(lines).toEqual([
        `c2: the data directory ${dataDir} is in use by another c2 server (process ${running.proc.pid}): one server per data directory`,
      ]);
      // The one that runs serves.
      const client = await TestClient.connect(urls[winner] as string, `round${round}`);
      client.close();
      running.kill('SIGTERM');
      expect(await running.exited()).toBe(0);
      // A clean stop leaves no pid file behind.
      expect(existsSync(join(dataDir, 'server.pid'))).toBe(false);
    }
  }, 120_000);

  it('does not block a restart after kill -9, and still refuses a second server then', async () => {
    const dataDir = tempDir();
    const first = server(dataDir);
    expect(await outcome(first)).toBeDefined();
    first.kill('SIGKILL');
    expect(await first.exited()).toBe('SIGKILL');
    // The stale pid file is still there; the lock is not.
    expect(existsSync(join(dataDir, 'server.pid'))).toBe(true);
    const restarted = server(dataDir);
    expect(await outcome(restarted)).toBeDefined();
    const second = server(dataDir);
    expect(await outcome(second)).toBeUndefined();
    expect(await second.exited()).toBe(1);
    expect(second.stderr.join('\n')).toContain(`in use by another c2 server (process ${restarted.proc.pid})`);
    restarted.kill('SIGTERM');
    expect(await restarted.exited()).toBe(0);
  }, 60_000);
});
