/**
 * docs/DEPLOY.md, "A cluster behind nginx", every part from its file in deploy/ (./cluster.ts):
 * Debian's nginx with deploy/nginx-cluster.conf, round robin over three nodes run as the
 * systemd unit runs them, a Redis from deploy/redis-c2.conf. Library clients (`NodeC2Client`, with
 * reconnect) connect through nginx over wss://, land on different nodes, chat; then a node
 * with users on it is killed with SIGKILL. The others see those users leave
 * (`lost_connection`) within 10 s; the killed node's clients reconnect through nginx, land on
 * a live node under the same names, and resume with `recovered: true`: every message sent
 * meanwhile restored, once, in order.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { C2Error } from '../../src/client/errors.js';
import { NodeC2Client } from '../../src/client/node.js';
import type { LeaveEvent, ResumedEvent, ServerInfo } from '../../src/client/types.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { ClientPool, usersOn, usersOnNow } from '../cluster/helpers.js';
import { eventually } from '../helpers/eventually.js';
import { describeWithNginx, type TestNginx } from '../helpers/nginx.js';
import type { StartedC2 } from '../helpers/process.js';
import type { TestRedis } from '../helpers/redis.js';
import { http } from '../listing/helpers/http.js';
import { type DeployedCluster, startDeployedCluster } from './cluster.js';

const USERS = 6;

/** A library client and everything it emitted, as a person would see it. */
interface Seen {
  client: NodeC2Client;
  name: string;
  /** Chat messages, "user: text", in the order emitted (replayed ones included). */
  messages: string[];
  leaves: Array<LeaveEvent & { at: number }>;
  resumed: ResumedEvent[];
}

/** The status of a GET over https, trusting `ca`. */
const statusOf = async (url: string, ca: string) => (await http(url, url, { ca })).status;

const running = (n: StartedC2) => n.proc.proc.exitCode === null && n.proc.proc.signalCode === null;

describeWithNginx('a cluster of three nodes behind nginx (deploy/nginx-cluster.conf)', () => {
  const pool = new ClientPool();
  let cluster: DeployedCluster;
  const people: Seen[] = [];
  let redis: TestRedis;
  let nodes: StartedC2[];
  let nginx: TestNginx;
  let url: string;
  let TrustingWebSocket: WebSocketConstructor;
  let ca: string;

  beforeAll(async () => {
    cluster = await startDeployedCluster();
    ({ redis, nodes, nginx, ca } = cluster);
    // `ws` trusting the test authority, as NodeWebSocket is set up otherwise.
    TrustingWebSocket = class extends WebSocket {
      constructor(address: string) {
        super(address, { ca, perMessageDeflate: false, followRedirects: false });
      }
    } as unknown as WebSocketConstructor;
    url = `wss://127.0.0.1:${nginx.port}`;
  }, 40_000);

  afterAll(async () => {
    pool.closeAll();
    await Promise.allSettled(people.map((p) => p.client.disconnect()));
    await cluster?.dispose();
  }, 20_000);

  async function person(name: string): Promise<Seen> {
    const client = new NodeC2Client({
      WebSocket: TrustingWebSocket,
      reconnect: { initialDelayMs: 100, maxDelayMs: 500, maxRefusals: 1000 },
    });
    const seen: Seen = { client, name, messages: [], leaves: [], resumed: [] };
    client.on('message', (m) => seen.messages.push(`${m.username}: ${m.text}`));
    client.on('leave', (e) => seen.leaves.push({ ...e, at: Date.now() }));
    client.on('resumed', (e) => seen.resumed.push(e));
    people.push(seen);
    await client.connect(url, name);
    return seen;
  }

  it('spreads clients over the nodes; kill -9 one: its users are announced gone within 10 s and resume elsewhere, nothing missing', async () => {
    const everyone: Seen[] = [];
    for (let i = 0; i < USERS; i++) everyone.push(await person(`user${i}`));
    // Round robin: every node has users.
    await eventually(() => nodes.every((n) => usersOn(n).length > 0), 'users on every node', 5000);
    const placed = nodes.map((n) => usersOn(n).sort());
    expect(placed.flat().sort()).toEqual(everyone.map((p) => p.name).sort());

    const first = everyone[0] as Seen;
    expect(first.client.serverName).toBe('Chatter Cluster'); // deploy/c2-node.env's C2_NAME
    // Each node's /metrics is its own: nginx refuses it.
    expect(await statusOf(`https://127.0.0.1:${nginx.port}/metrics`, ca)).toBe(403);
    expect(await statusOf(`https://127.0.0.1:${nginx.port}/healthz`, ca)).toBe(200);
    await first.client.send('before the kill');
    await eventually(() => everyone.every((p) => p.messages.length === 1), 'everyone has the first message');

    const victim = nodes[1] as StartedC2;
    const victims = everyone.filter((p) => placed[1]?.includes(p.name));
    const survivors = everyone.filter((p) => !victims.includes(p));
    expect(victims.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    await victim.proc.exited();

    // Said while the victims are away: their names are held until the node's lease runs out.
    const during: string[] = [];
    for (const [i, p] of survivors.entries()) {
      for (let k = 0; k < 2; k++) {
        const text = `during ${i}.${k}`;
        await p.client.send(text);
        during.push(`${p.name}: ${text}`);
      }
    }

    // Every survivor sees every victim leave, lost_connection, within 10 s of the kill.
    await eventually(
      () => survivors.every((s) => victims.every((v) => s.leaves.some((l) => l.username === v.name))),
      'the victims announced gone',
      12_000,
    );
    for (const s of survivors) {
      for (const v of victims) {
        const leave = s.leaves.find((l) => l.username === v.name) as LeaveEvent & { at: number };
        expect(leave.reason).toBe('lost_connection');
        expect(leave.at - killedAt).toBeLessThan(10_000);
      }
    }

    // The victims come back through nginx on a live node, resumed with nothing missing.
    await eventually(() => victims.every((v) => v.resumed.length === 1), 'the victims resumed', 15_000);
    for (const v of victims) {
      expect(v.resumed).toEqual([{ recovered: true, restored: during.length }]);
      expect(v.client.username).toBe(v.name);
      expect(v.messages).toEqual(['user0: before the kill', ...during]);
    }
    const live = [nodes[0], nodes[2]] as StartedC2[];
    for (const v of victims) expect(live.some((n) => usersOn(n).includes(v.name))).toBe(true);

    // And the room carries on: one message from a victim reaches everyone, once.
    const back = victims[0] as Seen;
    await back.client.send('back again');
    const all = ['user0: before the kill', ...during, `${back.name}: back again`];
    await eventually(() => everyone.every((p) => p.messages.length === all.length), 'everyone has every message');
    for (const p of everyone) expect(p.messages).toEqual(all);
    expect([...(first.client.users as string[])].sort()).toEqual(everyone.map((p) => p.name).sort());
    console.log(
      `victims: ${victims.map((v) => v.name).join(', ')}; lost_connection seen ${Math.max(
        ...survivors.flatMap((s) => s.leaves.map((l) => l.at - killedAt)),
      )} ms after the kill`,
    );
  }, 60_000);

  it('nginx restarted: every client is cut off, reconnects through it and resumes, nothing missing', async () => {
    expect(people).toHaveLength(USERS);
    const live = nodes.filter(running);
    const watcher = await pool.join(live[0]?.url as string, 'watcher');
    const before = people.map((p) => p.resumed.length);
    await nginx.stop();
    // Everyone through nginx is gone at once (their sockets closed): the nodes say so.
    const gone = await watcher.take(USERS, 5000);
    expect(gone.sort()).toEqual(people.map((p) => `c2/DISCONNECT lost_connection; ${p.name}`).sort());
    watcher.send('c2/MSG while nginx was down');
    watcher.send('c2/MSG and again');
    expect(await watcher.take(2)).toEqual(['c2/MSG watcher; while nginx was down', 'c2/MSG watcher; and again']);
    const expected = [...(people[0] as Seen).messages, 'watcher: while nginx was down', 'watcher: and again'];
    await nginx.start();
    await eventually(
      () => people.every((p, i) => p.resumed.length === (before[i] as number) + 1),
      'all resumed',
      15_000,
    );
    for (const p of people) {
      expect(p.resumed.at(-1)).toEqual({ recovered: true, restored: 2 });
      expect(p.messages).toEqual(expected);
    }
    const joined = await watcher.take(USERS, 5000);
    expect(joined.sort()).toEqual(people.map((p) => `c2/CONNECT ${p.name}`).sort());
  }, 40_000);

  it('Redis restarted (deploy/redis-c2.conf: AOF): nobody is cut off, [unavailable] meanwhile, then the same sequence goes on', async () => {
    const first = people[0] as Seen;
    const closes: string[] = [];
    for (const p of people) p.client.on('close', () => closes.push(p.name));
    const info = (await first.client.query('server_info')) as ServerInfo;
    const before = people.map((p) => p.messages.length);
    await redis.stop();
    const refused = await first.client.send('into the void').then(
      () => null,
      (err: C2Error) => err,
    );
    expect(refused).toMatchObject({ code: 'server', serverCode: 'unavailable' });
    await redis.start();
    await eventually(
      () =>
        first.client.send('Redis is back').then(
          () => true,
          () => false,
        ),
      'a message taken again',
      15_000,
    );
    await eventually(() => people.every((p, i) => p.messages.length === (before[i] as number) + 1), 'everyone has it');
    for (const p of people) expect(p.messages.at(-1)).toBe(`${first.name}: Redis is back`);
    const after = (await first.client.query('server_info')) as ServerInfo;
    expect(after).toMatchObject({ epoch: info.epoch, lastSeq: info.lastSeq + 1, connectedUsers: USERS + 1 });
    expect(closes).toEqual([]);
    // Each live node logged the outage, naming Redis without its password.
    const password = new URL(redis.url).password;
    for (const n of nodes.filter(running)) {
      const logs = [...n.proc.stdout, ...n.proc.stderr].join('\n');
      expect(logs).toContain('the cluster store (Redis) is unreachable');
      expect(logs).toContain(':***@127.0.0.1');
      expect(logs).not.toContain(password);
    }
  }, 40_000);

  it('a node stopped as systemd stops it (SIGTERM): its users are announced gone at once and resume on another', async () => {
    const live = nodes.filter(running);
    expect(live).toHaveLength(2);
    const onNode = (n: StartedC2) => people.filter((p) => usersOnNow(n).includes(p.name));
    const stopping = live.find((n) => onNode(n).length > 0) as StartedC2;
    const movers = onNode(stopping);
    // Everyone on it leaves: the movers, and the watcher of the test before if it was there.
    const gone = usersOnNow(stopping);
    const stayers = people.filter((p) => !movers.includes(p));
    expect(movers.length).toBeGreaterThan(0);
    const leavesBefore = stayers.map((p) => p.leaves.length);
    const resumedBefore = movers.map((p) => p.resumed.length);
    const stoppedAt = Date.now();
    stopping.proc.kill('SIGTERM');
    expect(await stopping.proc.exited(20_000)).toBe(0);
    await eventually(
      () => stayers.every((p, i) => p.leaves.length >= (leavesBefore[i] as number) + gone.length),
      'the movers announced gone',
    );
    for (const p of stayers) {
      const fresh = p.leaves.slice(leavesBefore[stayers.indexOf(p)]);
      expect(fresh.map((l) => `${l.username} ${l.reason}`).sort()).toEqual(
        gone.map((name) => `${name} lost_connection`).sort(),
      );
      for (const l of fresh) expect(l.at - stoppedAt).toBeLessThan(2000);
    }
    await eventually(() => movers.every((p, i) => p.resumed.length === (resumedBefore[i] as number) + 1), 'resumed');
    for (const p of movers) expect(p.resumed.at(-1)).toEqual({ recovered: true, restored: 0 });
    const mover = movers[0] as Seen;
    await mover.client.send('moved over');
    await eventually(() => people.every((p) => p.messages.at(-1) === `${mover.name}: moved over`), 'everyone has it');
  }, 40_000);
});
