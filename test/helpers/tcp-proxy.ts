import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/**
 * Forwards TCP connections to host:port until closed; closing cuts every connection. A test
 * puts it between a server and its store to cut the store off (`close`), or to drop what the
 * store sends back on the connections open now while their requests still reach it (`mute`).
 */
export interface TcpProxy {
  readonly port: number;
  /** From now on, what the target sends on the connections open now is dropped (new connections are not). */
  mute(): void;
  /** What the target sends reaches the clients again. */
  unmute(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const links = new Set<{ muted: boolean; client: Socket; upstream: Socket }>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    const link = { muted: false, client, upstream };
    links.add(link);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!link.muted) client.write(d);
    });
    const end = (): void => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    mute() {
      for (const link of links) link.muted = true;
    },
    unmute() {
      for (const link of links) link.muted = false;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const link of links) {
          link.client.destroy();
          link.upstream.destroy();
        }
      });
      return closed;
    },
  };
}
