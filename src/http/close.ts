import type { FastifyInstance } from 'fastify';

/**
 * Closes a Fastify app: requests in flight get `graceMs` to finish, then every connection
 * still open is closed. Without the second step a connection that was opened but never sent
 * a request (a client's spare keep-alive socket, a browser's preconnect, or anyone at all)
 * holds the close until Node's headers timeout, about a minute: Node counts it as busy, not
 * idle, so `close()` does not end it.
 */
export async function closeApp(app: FastifyInstance, graceMs: number): Promise<void> {
  const force = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}
