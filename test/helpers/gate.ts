/**
 * A TCP gate in front of a server: forwards every connection to `target` while open; while
 * shut, it resets new connections at once (as a server that is down). It lets a test keep a
 * reconnecting client away for exactly as long as it wants (say, until others have talked),
 * whatever the client's backoff. Loopback only.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Gate {
  port: number;
  /** Where connections go (a restarted server may come back on another port). */
  target: { host: string; port: number };
  open: boolean;
  close(): Promise<void>;
}

export async function startGate(target: { host: string; port: number }): Promise<Gate> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (!gate.open) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(gate.target.port, gate.target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const gate: Gate = {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    target,
    open: true,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return gate;
}
