import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startChatServer } from '../../src/server/chat-server.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

let chat: ChatFixture;
afterEach(() => chat.close());

describe('operators', () => {
  it('op with the right password makes an operator; a wrong one does not', async () => {
    chat = await withChatServer({ opPassword: 'hunter2' });
    const a = await chat.connect('alice');
    a.send('c2/QUERY op; nope');
    expect(await a.next()).toBe('c2/ERROR [op_refused] wrong operator password');
    a.send('c2/QUERY ban; bob');
    expect(await a.next()).toBe('c2/ERROR [not_operator] ban is for operators only');
    a.send('c2/QUERY op; hunter2');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE you are now an operator');
    a.send('c2/QUERY ban; bob');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE banned "bob"');
  });

  it('keeps a password with "; " in it whole', async () => {
    chat = await withChatServer({ opPassword: 'a; b' });
    const a = await chat.connect('alice');
    a.send('c2/QUERY op; a; b');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE you are now an operator');
  });

  it('nobody becomes an operator without a configured password', async () => {
    chat = await withChatServer();
    const a = await chat.connect('alice');
    a.send('c2/QUERY op; ');
    expect(await a.next()).toMatch(/^c2\/ERROR /);
    a.send('c2/QUERY op; anything');
    expect(await a.next()).toMatch(/^c2\/ERROR \[op_refused\] this server has no operator password/);
  });

  it('throttles repeated wrong passwords, also across reconnects from the same address', async () => {
    chat = await withChatServer({ opPassword: 'right' });
    const a = await chat.connect('alice');
    for (let i = 0; i < 3; i++) {
      a.send('c2/QUERY op; wrong');
      expect(await a.next()).toBe('c2/ERROR [op_refused] wrong operator password');
    }
    a.send('c2/QUERY op; right');
    expect(await a.next()).toMatch(/^c2\/ERROR \[op_refused\] too many wrong passwords: try again in 1 s/);
    const again = await chat.connect('alice2');
    again.send('c2/QUERY op; right');
    expect(await again.next()).toMatch(/^c2\/ERROR \[op_refused\] too many wrong passwords/);
    await new Promise((r) => setTimeout(r, 1050));
    again.send('c2/QUERY op; right');
    expect(await again.next()).toBe('c2/ACKNOWLEDGE you are now an operator');
  });

  it('bounds wrong passwords from many addresses together: past 30 a minute, every address waits, and it is logged once', async () => {
    const lines: Array<{ level: number; msg: string; failures?: number; addresses?: number }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const server = await startChatServer(
      { host: '127.0.0.1', port: 0, id: 7, name: 'Test', opPassword: 'right', maxUsers: 100 },
      pino({ level: 'info' }, sink),
    );
    const clients: TestClient[] = [];
    chat = {
      close: async () => {
        for (const c of clients) c.close();
        await server.close();
      },
    } as unknown as ChatFixture;
    // One guess from each of 40 loopback addresses: none is over its own limit.
    const answers: string[] = [];
    for (let i = 0; i < 40; i++) {
      const c = await TestClient.open(`ws://127.0.0.1:${server.port}`, { localAddress: `127.0.0.${i + 2}` });
      clients.push(c);
      c.send(`c2/CONNECT guesser${i}`);
      await c.next();
      c.send('c2/QUERY op; wrong');
      answers.push(await c.next());
    }
    expect(answers.slice(0, 31)).toEqual(Array(31).fill('c2/ERROR [op_refused] wrong operator password'));
    for (const a of answers.slice(31)) {
      expect(a).toMatch(/^c2\/ERROR \[op_refused\] too many wrong passwords on this server: try again in 1 s$/);
    }
    // The right password waits too, from an address that never guessed.
    const operator = await TestClient.open(`ws://127.0.0.1:${server.port}`, { localAddress: '127.0.1.1' });
    clients.push(operator);
    operator.send('c2/CONNECT root');
    await operator.next();
    operator.send('c2/QUERY op; right');
    expect(await operator.next()).toMatch(/^c2\/ERROR \[op_refused\] too many wrong passwords on this server/);
    const warnings = lines.filter((l) => l.level === 40 && /operator password/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ failures: 31, addresses: 31 });
    await new Promise((r) => setTimeout(r, 1050));
    operator.send('c2/QUERY op; right');
    expect(await operator.next()).toBe('c2/ACKNOWLEDGE you are now an operator');
  });

  it('gives a non-operator ERROR for every operator command', async () => {
    chat = await withChatServer({ opPassword: 'pw' });
    const a = await chat.connect('alice');
    for (const frame of [
      'c2/QUERY ban; bob',
      'c2/QUERY ban; bob; msg',
      'c2/QUERY unban; bob',
      'c2/QUERY ban',
      'c2/QUERY unban',
    ]) {
      a.send(frame);
      expect(await a.next(), frame).toMatch(/^c2\/ERROR \[not_operator\] (ban|unban) is for operators only$/);
    }
  });
});

describe('bans', () => {
  async function threeUsersAndAnOperator() {
    chat = await withChatServer({ opPassword: 'pw' });
    const op = await chat.connect('op');
    const bob = await chat.connect('Bob');
    const carol = await chat.connect('carol');
    await op.take(2);
    await bob.next();
    op.send('c2/QUERY op; pw');
    expect(await op.next()).toBe('c2/ACKNOWLEDGE you are now an operator');
    return { op, bob, carol };
  }

  it('a ban is announced to all three clients, the banned one included, then the socket closes with 1008', async () => {
    const { op, bob, carol } = await threeUsersAndAnOperator();
    op.send('c2/QUERY ban; bob; spamming; twice');
    const notice = 'c2/DISCONNECT ban; Bob; spamming; twice';
    // The operator sees the ban done (the broadcast), then the response.
    expect(await op.next()).toBe(notice);
    expect(await op.next()).toBe('c2/ACKNOWLEDGE banned "bob" and disconnected them');
    expect(await carol.next()).toBe(notice);
    expect(await bob.next()).toBe(notice);
    expect(await bob.waitClose()).toBe(1008);
    await eventually(() => chat.server.hub.openSockets === 2, 'the server to see the socket closed');
    await carol.quiet(); // no second, lost_connection notice
    carol.send('c2/QUERY active_users');
    expect(await carol.next()).toBe('c2/ACKNOWLEDGE ["op","carol"]');
  });

  it('uses a default message when none is given', async () => {
    const { op, carol } = await threeUsersAndAnOperator();
    op.send('c2/QUERY ban; BOB');
    await op.take(2);
    expect(await carol.next()).toBe('c2/DISCONNECT ban; Bob; banned by an operator');
  });

  it('a banned name cannot CONNECT or be taken by UPDATE, in any case; unban lifts it', async () => {
    const { op, carol } = await threeUsersAndAnOperator();
    op.send('c2/QUERY ban; dave');
    expect(await op.next()).toBe('c2/ACKNOWLEDGE banned "dave"');
    const d = await chat.open();
    d.send('c2/CONNECT DAVE');
    expect(await d.next()).toBe('c2/ERROR [banned] username "DAVE" is banned from this server');
    carol.send('c2/UPDATE username; Dave');
    expect(await carol.next()).toBe('c2/ERROR [banned] username "Dave" is banned from this server');
    op.send('c2/QUERY unban; dave');
    expect(await op.next()).toBe('c2/ACKNOWLEDGE unbanned "dave"');
    op.send('c2/QUERY unban; dave');
    expect(await op.next()).toBe('c2/ERROR [not_banned] "dave" is not banned');
    d.send('c2/CONNECT DAVE');
    expect(await d.next()).toBe('c2/ACKNOWLEDGE Test');
  });

  it('refuses to ban an invalid username', async () => {
    const { op } = await threeUsersAndAnOperator();
    op.send(`c2/QUERY ban; ${'x'.repeat(17)}`);
    expect(await op.next()).toMatch(/^c2\/ERROR \[bad_username\] username is longer/);
  });

  it("reserves the server's own name, which the console speaks under", async () => {
    chat = await withChatServer({ name: 'Hal' });
    const c = await chat.open();
    c.send('c2/CONNECT hal');
    expect(await c.next()).toMatch(/^c2\/ERROR \[name_reserved\] username "hal" is reserved/);
  });
});

describe('history', () => {
  it('returns the last n messages, oldest first, default 50, at most 500', async () => {
    chat = await withChatServer({ limits: { floodRatePerSecond: 1e6, floodBurst: 1e6 } });
    const a = await chat.connect('alice');
    a.send('c2/QUERY history');
    expect(await a.next()).toBe('c2/ACKNOWLEDGE []');
    const before = Date.now();
    for (let i = 0; i < 600; i++) a.send(`c2/MSG m${i}`);
    await a.take(600);
    const after = Date.now();
    const ask = async (q: string) => {
      a.send(q);
      const frame = await a.next();
      expect(frame).toMatch(/^c2\/ACKNOWLEDGE /);
      return JSON.parse(frame.slice(15)) as Array<{ username: string; text: string; time: number }>;
    };
    const fifty = await ask('c2/QUERY history');
    expect(fifty.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${550 + i}`));
    expect(fifty[0]?.username).toBe('alice');
    expect(fifty[0]?.time).toBeGreaterThanOrEqual(before);
    expect(fifty[49]?.time).toBeLessThanOrEqual(after);
    expect((await ask('c2/QUERY history; 3')).map((m) => m.text)).toEqual(['m597', 'm598', 'm599']);
    expect(await ask('c2/QUERY history; 0')).toEqual([]);
    const capped = await ask('c2/QUERY history; 100000');
    expect(capped).toHaveLength(500);
    expect(capped[0]?.text).toBe('m100');
    for (const bad of ['-1', 'ten', '1.5', '1e3', ' 1']) {
      a.send(`c2/QUERY history; ${bad}`);
      expect(await a.next(), bad).toMatch(/^c2\/ERROR \[bad_argument\] history needs a whole number/);
    }
  });

  it('survives a restart with the same data directory, with bans and the id', async () => {
    const dataDir = tempDir();
    chat = await withChatServer({ dataDir, id: undefined, opPassword: 'pw' });
    const firstId = chat.server.options.id;
    const a = await chat.connect('alice');
    a.send('c2/MSG before restart; with separators');
    await a.next();
    a.send('c2/QUERY op; pw');
    await a.next();
    a.send('c2/QUERY ban; troll');
    await a.next();
    await chat.close();

    chat = await withChatServer({ dataDir, id: undefined });
    expect(chat.server.options.id).toBe(firstId);
    const b = await chat.connect('bob');
    b.send('c2/QUERY history');
    const [m] = JSON.parse((await b.next()).slice(15));
    expect(m).toMatchObject({ username: 'alice', text: 'before restart; with separators' });
    const t = await chat.open();
    t.send('c2/CONNECT Troll');
    expect(await t.next()).toMatch(/is banned/);
  });
});
