import { type C2Process, type StartedC2, startC2 } from './process.js';
import { tempDir } from './tmp.js';

/** `c2 server` arguments for a node of cluster `id` in the Redis at `redisUrl`, on 127.0.0.1, port 0. */
export function clusterNodeArgs(redisUrl: string, id: number, options: { name?: string; extra?: string[] } = {}) {
  return [
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--id',
    String(id),
    '--name',
    options.name ?? 'Cluster',
    '--cluster',
    redisUrl,
    '--data-dir',
    tempDir(),
    '--no-console',
    ...(options.extra ?? []),
  ];
}

/**
 * A node of cluster `id` as a real `c2 server` process (named "Cluster"), once it listens;
 * added to `procs` (for the test to kill at its end) before it is waited for.
 */
export function startClusterNode(
  procs: C2Process[],
  redisUrl: string,
  id: number,
  extra: string[] = [],
): Promise<StartedC2> {
  return startC2(clusterNodeArgs(redisUrl, id, { extra }), { procs });
}
