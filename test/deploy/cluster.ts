/**
 * The cluster of docs/DEPLOY.md section 3, every part from its file in deploy/: a Redis from
 * deploy/redis-c2.conf (a password, AOF, no eviction), three nodes each run as
 * deploy/c2-server.service runs it with deploy/c2-node.env as its /etc/c2/server.env, and
 * nginx with deploy/nginx-cluster.conf in front of them (round robin, TLS with a certificate
 * from a test authority).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import type { C2Process, StartedC2 } from '../helpers/process.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { nodeEnvFile, startService } from '../helpers/systemd.js';
import { certificateAuthority } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';

export interface DeployedCluster {
  redis: TestRedis;
  nodes: StartedC2[];
  nginx: TestNginx;
  /** The test authority's certificate (PEM), for clients to trust. */
  ca: string;
  /** The server certificate (PEM) nginx presents. */
  cert: string;
  /** nginx, then the nodes, then Redis. */
  dispose(): Promise<void>;
}

/** `certs`: nginx's certificate and its authority (default: a new one). */
export async function startDeployedCluster(
  certs: { ca: string; cert: string; key: string } = certificateAuthority(tempDir('c2-deploy-cluster-')),
): Promise<DeployedCluster> {
  const procs: C2Process[] = [];
  const redis = await startTestRedis({ deployConfig: { password: randomBytes(16).toString('hex') } });
  let nginx: TestNginx | undefined;
  try {
    const nodeEnv = nodeEnvFile({ NODE_HOST: '127.0.0.1', REDIS_URL: redis.url, OP_PASSWORD: 'not used here' });
    const nodes = await Promise.all([1, 2, 3].map(() => startService(procs, nodeEnv)));
    const [one, two, three] = nodes.map((n) => `127.0.0.1:${n.port}`) as [string, string, string];
    nginx = await startNginx('nginx-cluster.conf', {
      NODE_1: one,
      NODE_2: two,
      NODE_3: three,
      TLS_CERT: certs.cert,
      TLS_KEY: certs.key,
    });
    const started = nginx;
    return {
      redis,
      nodes,
      nginx,
      ca: readFileSync(certs.ca, 'utf8'),
      cert: readFileSync(certs.cert, 'utf8'),
      async dispose() {
        await started.dispose();
        for (const p of procs) p.kill('SIGKILL');
        await redis.dispose();
      },
    };
  } catch (err) {
    for (const p of procs) p.kill('SIGKILL');
    await redis.dispose();
    throw err;
  }
}
