/**
 * The client library in a large room (docs/PROTOCOL.md, *Large rooms*): a real server with
 * `--announce-limit 5` and 30 users. The client takes the count from `server_info`, never
 * asks for the whole list, pages it with `active_users; <offset>; <count>`, sees no joins
 * but sees renames; and it goes from one mode to the other as the room grows and shrinks.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { NodeWebSocket } from '../../src/client/node.js';
import type { WebSocketConstructor } from '../../src/client/websocket.js';
import { type ChatFixture, withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import type { TestClient } from '../helpers/ws-client.js';
import { dropOnServer, trackedClient } from './helpers.js';

let chat: ChatFixture | undefined;
let fake: WebSocketServer | undefined;
afterEach(async () => {
  await chat?.close();
  chat = undefined;
  for (const ws of fake?.clients ?? []) ws.terminate();
  await new Promise((r) => (fake ? fake.close(r) : r(undefined)));
  fake = undefined;
});

/** A WebSocket that records every frame the client sends. */
function recording(): { WebSocket: WebSocketConstructor; sent: string[] } {
  const sent: string[] = [];
  class Recorded extends NodeWebSocket {
    override send(data: string): void {
      sent.push(data);
      super.send(data);
    }
  }
  return { WebSocket: Recorded as unknown as WebSocketConstructor, sent };
}

async function users(fixture: ChatFixture, names: readonly string[]): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (const name of names) clients.push(await fixture.connect(name));
  return clients;
}

const names = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `u${from + i}`);

describe('C2Client in a large room', () => {
  it('counts from server_info, pages the list, sees no joins but renames', async () => {
    chat = await withChatServer({ announceLimit: 5 });
    const others = await users(chat, names(30));
    const { WebSocket, sent } = recording();
    const { client, events } = trackedClient({ WebSocket });
    await client.connect(chat.url, 'me');

    expect(client.largeRoom).toBe(true);
    expect(client.userCount).toBe(31);
    expect(client.announceLimit).toBe(5);
    expect(client.users).toEqual([]); // nothing loaded until asked
    expect(events.userCount.at(-1)).toEqual({ count: 31, large: true, complete: false, announceLimit: 5 });
    expect(sent).not.toContain('c2/QUERY active_users'); // the whole list is never asked for
    expect(sent.slice(0, 2)).toEqual(['c2/CONNECT me', 'c2/QUERY server_info']);

    // Pages, as the server has them now, in join order.
    expect(await client.usersPage(5, 5)).toEqual(['u5', 'u6', 'u7', 'u8', 'u9']);
    const pages: string[][] = [];
    for await (const page of client.userPages(10)) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 1]);
    expect(pages.flat()).toEqual([...names(30), 'me']);
    expect(sent).toContain('c2/QUERY active_users; 30; 10');

    // Loaded into the roster a page at a time; two at once load one page.
    const [first, again] = await Promise.all([client.loadMoreUsers(12), client.loadMoreUsers(12)]);
    expect(first).toEqual(names(12));
    expect(again).toBe(first);
    await client.loadMoreUsers(12);
    expect(client.users).toEqual(names(24));
    expect(events.users.at(-1)).toEqual(names(24));

    // A join and a leave go unannounced; a rename does not.
    const late = await chat.connect('late');
    others[29]?.close();
    others[3]?.send('c2/UPDATE username; three');
    await eventually(() => events.rename.length === 1, 'the rename');
    expect(events.rename[0]).toEqual({ from: 'u3', to: 'three', own: false });
    expect(events.join).toEqual([]);
    expect(events.leave).toEqual([]);
    expect(client.users[3]).toBe('three');
    late.close();
  });

  it('asks server_info again from time to time', async () => {
    chat = await withChatServer({ announceLimit: 5 });
    await users(chat, names(10));
    const { client, events } = trackedClient({ userCountRefreshMs: 100 });
    await client.connect(chat.url, 'me');
    expect(client.userCount).toBe(11);
    await users(chat, names(4, 10));
    await eventually(
      () => client.userCount === 15,
      () => `15 users, not ${client.userCount}`,
    );
    expect(events.join).toEqual([]);
    expect(events.userCount.at(-1)).toMatchObject({ count: 15, large: true });
  });

  it('a reconnect asks server_info again', async () => {
    chat = await withChatServer({ announceLimit: 5 });
    await users(chat, names(10));
    // No polling within the test: only the reconnect can tell the new count.
    const { client } = trackedClient({ userCountRefreshMs: 60_000, reconnect: { initialDelayMs: 50 } });
    await client.connect(chat.url, 'me');
    expect(client.userCount).toBe(11);
    await users(chat, names(4, 10));
    dropOnServer(chat.server, 'me');
    await eventually(
      () => client.state === 'connected' && client.userCount === 15,
      () => `${client.state}, ${client.userCount} users`,
    );
    expect(client.largeRoom).toBe(true);
  });

  it('goes to count mode when the room grows past the limit, and back when it shrinks', async () => {
    chat = await withChatServer({ announceLimit: 5 });
    const first = await users(chat, names(3));
    const { client, events } = trackedClient({ userCountRefreshMs: 100 });
    await client.connect(chat.url, 'me');
    expect(client.largeRoom).toBe(false);
    expect(client.users).toEqual([...names(3), 'me']);

    // The 5th user is announced; the 6th and 7th are not: the count comes from server_info.
    const more = await users(chat, names(3, 3));
    await eventually(() => client.largeRoom, 'count mode');
    await eventually(
      () => client.userCount === 7,
      () => `7 users, not ${client.userCount}`,
    );
    expect(events.join.map((e) => e.username)).toEqual(['u3']);
    expect(events.userCount.at(-1)).toMatchObject({ count: 7, large: true });

    // Down to 4: the leave that brings the room under the limit is announced, and the
    // client goes back to the whole list, kept from the notices.
    for (const c of [...more, first[0]]) c?.close();
    await eventually(
      () => !client.largeRoom && client.users.length === 3,
      () => `back to a list: ${client.users}`,
    );
    expect(client.users).toEqual(['u1', 'u2', 'me']);
    expect(client.usersComplete).toBe(true);
    const back = await chat.connect('back');
    await eventually(() => client.users.includes('back'), 'the join kept from its notice');
    expect(client.userCount).toBe(4);
    back.close();
  });
});

describe('C2Client against servers without pages', () => {
  /**
   * A server that joins anyone and answers each query with `answers[frame]` (a list: one
   * after the other, the last again), else an ERROR. `asked` records the queries.
   */
  const asked: string[] = [];
  async function scripted(answers: Record<string, string | string[]>): Promise<string> {
    asked.length = 0;
    fake = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => fake?.once('listening', r));
    fake.on('connection', (ws) =>
      ws.on('message', (data) => {
        const frame = data.toString();
        if (frame.startsWith('c2/CONNECT ')) return ws.send('c2/ACKNOWLEDGE Old');
        asked.push(frame);
        const answer = answers[frame] ?? 'c2/ERROR unknown command';
        ws.send(typeof answer === 'string' ? answer : ((answer.length > 1 ? answer.shift() : answer[0]) ?? ''));
      }),
    );
    return `ws://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  }

  it('an old server (no announceLimit, no pages): the whole list, and pages cut from it', async () => {
    const url = await scripted({
      'c2/QUERY server_info': 'c2/ACKNOWLEDGE {"connectedUsers":3,"epoch":"e1","lastSeq":0}',
      'c2/QUERY active_users': 'c2/ACKNOWLEDGE ["a","b","me"]',
    });
    const { client } = trackedClient();
    await client.connect(url, 'me');
    expect(client.largeRoom).toBe(false);
    expect(client.users).toEqual(['a', 'b', 'me']);
    expect(client.announceLimit).toBeNull();
    expect(await client.usersPage(1, 1)).toEqual(['b']);
  });

  it('a server that refuses server_info: the whole list as before', async () => {
    const url = await scripted({ 'c2/QUERY active_users': 'c2/ACKNOWLEDGE ["me"]' });
    const { client } = trackedClient();
    await client.connect(url, 'me');
    expect(client.users).toEqual(['me']);
    expect(client.userCount).toBe(1);
  });

  it('a whole list too large to answer ([too_large]): count mode', async () => {
    const url = await scripted({
      'c2/QUERY server_info': 'c2/ACKNOWLEDGE {"connectedUsers":3,"announceLimit":10,"epoch":"e1","lastSeq":0}',
      'c2/QUERY active_users': 'c2/ERROR [too_large] 3 users are connected, too many for one answer',
      'c2/QUERY active_users; 0; 2': 'c2/ACKNOWLEDGE ["a","b"]',
    });
    const { client } = trackedClient();
    await client.connect(url, 'me');
    expect(client.largeRoom).toBe(true);
    expect(client.userCount).toBe(3);
    expect(await client.loadMoreUsers(2)).toEqual(['a', 'b']);
  });

  it('a refresh refused (flood): the count stays, and the whole list is not asked for', async () => {
    const url = await scripted({
      'c2/QUERY server_info': [
        'c2/ACKNOWLEDGE {"connectedUsers":30,"announceLimit":5,"epoch":"e1","lastSeq":0}',
        'c2/ERROR [flood] slow down',
      ],
    });
    const { client } = trackedClient();
    await client.connect(url, 'me');
    await client.refreshUsers();
    expect(client.largeRoom).toBe(true);
    expect(client.userCount).toBe(30);
    expect(asked).toEqual(['c2/QUERY server_info', 'c2/QUERY server_info']);
  });
});
