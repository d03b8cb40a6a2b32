/**
 * What the cluster tests share: raw clients kept for clean-up, the query round trip, and who
 * is on which node by its log. (A node as a process: test/helpers/cluster-node.ts.)
 */
import type WebSocket from 'ws';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import type { StartedC2 } from '../helpers/process.js';
import { TestClient } from '../helpers/ws-client.js';

/** Sends `c2/QUERY q`, answers the ACKNOWLEDGE's text (or the whole c2/ERROR frame). */
export async function query(c: TestClient, q: string, timeoutMs?: number): Promise<string> {
  c.send(`c2/QUERY ${q}`);
  const frame = await c.until((f) => f.startsWith('c2/ACKNOWLEDGE') || f.startsWith('c2/ERROR'), timeoutMs);
  return frame.replace(/^c2\/ACKNOWLEDGE /, '');
}

/** Raw clients opened by a test, closed together by `closeAll`. */
export class ClientPool {
  readonly clients: TestClient[] = [];

  /** A socket that has CONNECTed as `name`. */
  async join(url: string, name: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
    const c = await TestClient.connect(url, name, options);
    this.clients.push(c);
    return c;
  }

  /** A socket that has not CONNECTed yet. */
  async open(url: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
    const c = await TestClient.open(url, options);
    this.clients.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.clients.splice(0)) c.close();
  }
}

/**
 * Two nodes of cluster `id` (name "Cluster") in this process on the Redis at `cluster`, alice
 * joined on the first and bob on the second, and alice has seen bob's join. The nodes go into
 * `servers` for the test's clean-up, the clients into `pool`.
 */
export async function twoNodes(
  cluster: string,
  id: number,
  servers: ChatServer[],
  pool: ClientPool,
): Promise<{ a: ChatServer; b: ChatServer; alice: TestClient; bob: TestClient }> {
  const options = { host: '127.0.0.1', port: 0, id, name: 'Cluster', cluster };
  const a = await startChatServer(options);
  const b = await startChatServer(options);
  servers.push(a, b);
  const alice = await pool.join(a.url, 'alice');
  const bob = await pool.join(b.url, 'bob');
  if ((await alice.next()) !== 'c2/CONNECT bob') throw new Error("alice did not see bob's join");
  return { a, b, alice, bob };
}

interface LogEntry {
  msg?: string;
  user?: string;
}

function logEntries(node: StartedC2): LogEntry[] {
  return node.proc.stdout.flatMap((line) => {
    try {
      return [JSON.parse(line) as LogEntry];
    } catch {
      return [];
    }
  });
}

/** The users a node's log says connected to it ("user connected" lines), ever. */
export function usersOn(node: StartedC2): string[] {
  return logEntries(node).flatMap((e) => (e.msg === 'user connected' && e.user !== undefined ? [e.user] : []));
}

/** The users on a node now, by its log: connected and not left since. */
export function usersOnNow(node: StartedC2): string[] {
  const now: string[] = [];
  for (const e of logEntries(node)) {
    if (e.user === undefined) continue;
    if (e.msg === 'user connected') now.push(e.user);
    else if (e.msg === 'user left' && now.includes(e.user)) now.splice(now.indexOf(e.user), 1);
  }
  return now;
}
