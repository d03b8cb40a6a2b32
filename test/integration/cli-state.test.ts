import { afterEach, describe, expect, it } from 'vitest';
import { type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const procs: C2Process[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

function server(dataDir: string, ...extra: string[]): C2Process {
  const p = runC2(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...extra]);
  procs.push(p);
  return p;
}

async function ack(client: TestClient, frame: string): Promise<string> {
  client.send(frame);
  const reply = await client.until((f) => f.startsWith('c2/ACKNOWLEDGE') || f.startsWith('c2/ERROR'));
  expect(reply, frame).toMatch(/^c2\/ACKNOWLEDGE/);
  return reply.slice('c2/ACKNOWLEDGE '.length);
}

describe('server state across a real restart of the process', () => {
  it('keeps the random id, bans and history in --data-dir', async () => {
    const dataDir = tempDir();
    const first = server(dataDir, '--op-password', 'pw');
    const url1 = listeningUrl(await first.waitFor(/listening on/));
    const alice = await TestClient.connect(url1, 'alice');
    const info1 = JSON.parse(await ack(alice, 'c2/QUERY server_info'));
    for (let i = 0; i < 3; i++) {
      alice.send(`c2/MSG message ${i}`);
      await alice.next();
    }
    await ack(alice, 'c2/QUERY op; pw');
    await ack(alice, 'c2/QUERY ban; mallory; go away');
    first.kill('SIGTERM');
    expect(await first.exited()).toBe(0);

    const second = server(dataDir);
    const url2 = listeningUrl(await second.waitFor(/listening on/));
    expect(JSON.parse(second.stdout.find((l) => l.includes('listening on')) ?? '{}').id).toBe(info1.id);
    const bob = await TestClient.connect(url2, 'bob');
    expect(JSON.parse(await ack(bob, 'c2/QUERY server_info')).id).toBe(info1.id);
    const history = JSON.parse(await ack(bob, 'c2/QUERY history')) as Array<{ text: string }>;
    expect(history.map((m) => m.text)).toEqual(['message 0', 'message 1', 'message 2']);
    const mallory = await TestClient.open(url2);
    mallory.send('c2/CONNECT Mallory');
    expect(await mallory.next()).toMatch(/^c2\/ERROR \[banned\] username "Mallory" is banned/);
    for (const c of [alice, bob, mallory]) c.close();
  });
});

describe('the operator console on standard input', () => {
  it('runs /help, /users, /say, /ban and /unban', async () => {
    const p = server(tempDir(), '--console', '--name', 'Hal');
    const url = listeningUrl(await p.waitFor(/listening on/));
    await p.waitFor(/^operator console ready/);
    const alice = await TestClient.connect(url, 'alice');
    const bob = await TestClient.connect(url, 'bob');
    await alice.next();
    const type = (line: string) => p.proc.stdin?.write(`${line}\n`);

    type('/help');
    await p.waitFor(/^\s+\/unban NAME\s+lift a ban$/);
    type('/users');
    await p.waitFor(/^2 connected: alice, bob$/);
    type('/say maintenance at noon; be ready');
    expect(await alice.next()).toBe('c2/MSG Hal; maintenance at noon; be ready');
    expect(await bob.next()).toBe('c2/MSG Hal; maintenance at noon; be ready');
    await p.waitFor(/^sent as "Hal"$/);
    type('/ban BOB flooding the room');
    expect(await alice.next()).toBe('c2/DISCONNECT ban; bob; flooding the room');
    expect(await bob.next()).toBe('c2/DISCONNECT ban; bob; flooding the room');
    expect(await bob.waitClose()).toBe(1008);
    await p.waitFor(/^banned "BOB" and disconnected them$/);
    type('/unban bob');
    await p.waitFor(/^unbanned "bob"$/);
    // A name with a space, quoted as the chat clients quote it (issue 13, item 8).
    const bobSmith = await TestClient.connect(url, 'bob smith');
    await alice.until((f) => f === 'c2/CONNECT bob smith');
    type('/ban "bob smith" spamming the room');
    expect(await bobSmith.until((f) => f.startsWith('c2/DISCONNECT'))).toBe(
      'c2/DISCONNECT ban; bob smith; spamming the room',
    );
    await p.waitFor(/^banned "bob smith" and disconnected them$/);
    const evader = await TestClient.open(url);
    evader.send('c2/CONNECT Bob Smith');
    expect(await evader.next()).toMatch(/^c2\/ERROR \[banned\] username "Bob Smith" is banned/);
    type('/unban "bob smith"');
    await p.waitFor(/^unbanned "bob smith"$/);
    evader.send('c2/CONNECT Bob Smith');
    expect(await evader.until((f) => f.startsWith('c2/ACKNOWLEDGE') || f.startsWith('c2/ERROR'))).toMatch(
      /^c2\/ACKNOWLEDGE/,
    );
    evader.close();
    type('/unban "bob smith" extra');
    await p.waitFor(/^usage: \/unban NAME/);
    type('/frobnicate');
    await p.waitFor(/^unknown command "\/frobnicate": \/help lists them$/);
    type('/ban');
    await p.waitFor(/^usage: \/ban NAME \[message\]$/);
    type('/say    ');
    await p.waitFor(/^error: message is empty$/);
    await TestClient.connect(url, 'bob').then((c) => c.close());
    alice.send('c2/QUERY history');
    expect(await alice.until((f) => f.startsWith('c2/ACKNOWLEDGE'))).toMatch(
      /"username":"Hal","text":"maintenance at noon; be ready"/,
    );
    alice.close();
  });

  it.each([[[]], [['--console', '--no-console']]])(
    'is off when standard input is not a terminal, and with --no-console (%j)',
    async (flags: string[]) => {
      const p = server(tempDir(), ...flags);
      await p.waitFor(/listening on/);
      p.proc.stdin?.write('/users\n');
      await new Promise((r) => setTimeout(r, 300));
      expect(p.stdout.some((l) => /console|connected:/.test(l))).toBe(false);
    },
  );
});
