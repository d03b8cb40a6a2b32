/** Both servers stop promptly, even with a connection open that never sent a request. */
import { connect, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { startChatServer } from '../../src/server/chat-server.js';
import { startTestListing } from '../helpers/listing.js';

async function silentConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

it('closes within the grace period when a client opened a connection and sent nothing', async () => {
  const listing = await startTestListing();
  const chat = await startChatServer({ host: '127.0.0.1', port: 0, id: 3, name: 'Closing' });
  const sockets = [await silentConnection(listing.port), await silentConnection(chat.port)];
  try {
    const started = Date.now();
    // Node counts such a connection as busy: without the forced close, each waits about a minute.
    await Promise.all([listing.close(), chat.close()]);
    expect(Date.now() - started).toBeLessThan(8000);
  } finally {
    for (const s of sockets) s.destroy();
  }
});
