import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import type { ChatServerOptions } from '../../src/server/options.js';
import { TestClient } from './ws-client.js';

/** Starts a real chat server on 127.0.0.1, port 0, and closes it (and its clients) after. */
export async function withChatServer(options: Partial<ChatServerOptions> = {}) {
  const server = await startChatServer({ host: '127.0.0.1', port: 0, id: 7, name: 'Test', ...options });
  const clients: TestClient[] = [];
  const url = `ws://127.0.0.1:${server.port}`;
  return {
    server,
    url,
    async open(): Promise<TestClient> {
      const c = await TestClient.open(url);
      clients.push(c);
      return c;
    },
    async connect(username: string): Promise<TestClient> {
      const c = await TestClient.connect(url, username);
      clients.push(c);
      return c;
    },
    async close(): Promise<void> {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}

export type ChatFixture = Awaited<ReturnType<typeof withChatServer>>;
export type { ChatServer };
