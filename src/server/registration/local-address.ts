import { connect } from 'node:net';

/**
 * The local IP this host uses to reach `host:port` — what the listing sees as the request's
 * origin when there is no NAT between them. Resolves undefined when it cannot connect.
 */
export function localAddressToward(host: string, port: number, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (address: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(address);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('connect', () => done(socket.localAddress?.replace(/^::ffff:/, '')));
    socket.once('error', () => done(undefined));
  });
}
