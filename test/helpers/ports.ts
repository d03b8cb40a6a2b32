/**
 * Ports for the few tests that need a port number before anything listens on it: a server
 * that must come up on a port a client already knows (a listing that is down at first, or
 * restarted), or a port that must refuse connections. Everything else listens on port 0
 * and reads the port back.
 *
 * A port found by binding and releasing it ("free port") races every other test file
 * running in parallel: anyone may take it before we use it. Instead the port is *held*:
 * it is the local port of an open TCP connection (to a throwaway listener), so the kernel
 * gives it to nobody else, and a connection to it is refused (ECONNREFUSED, as when a
 * server is down). `release()` frees it just before it is used, which leaves a window of
 * one step of this process (or the start of one child process) instead of the whole test.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface HeldPort {
  port: number;
  /** Frees the port (at once: the connection is reset, leaving no TIME_WAIT behind). */
  release(): Promise<void>;
}

/** Holds a port the kernel picks, or `port` (a server's port while it is down between two runs). */
export async function holdPort(port = 0, host = '127.0.0.1'): Promise<HeldPort> {
  const accepted: Socket[] = [];
  const listener = createServer((socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, host, () => resolve());
  });
  const { port: listenerPort } = listener.address() as { port: number };
  const holder = connect({ port: listenerPort, host, ...(port === 0 ? {} : { localAddress: host, localPort: port }) });
  holder.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      holder.once('connect', () => resolve());
      holder.once('error', reject);
    });
  } catch (err) {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    port: holder.localPort as number,
    release() {
      released ??= (async () => {
        holder.resetAndDestroy();
        for (const s of accepted) s.destroy();
        await new Promise<void>((resolve) => listener.close(() => resolve()));
      })();
      return released;
    },
  };
}

/** Runs `start` on a released port, trying again briefly if it was taken in between (EADDRINUSE). */
export async function startOnPort<T>(start: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await start();
    } catch (err) {
      const inUse = (err as { code?: string })?.code === 'EADDRINUSE' || /EADDRINUSE|in use/.test(String(err));
      if (!inUse || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
