/**
 * Peer for the directory: the ceiling of an HTTP JSON GET here. A bare Fastify route that
 * answers a constant, pre-serialised body (the real `GET /servers` answer, byte for byte,
 * held as a Buffer) with the same headers, and 304 for a matching If-None-Match.
 */
import Fastify from 'fastify';
import { runServer } from './common.mjs';

await runServer(async ({ body, etag }) => {
  const payload = Buffer.from(body, 'utf8');
  const app = Fastify({ logger: false });
  app.get('/servers', (request, reply) => {
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(payload);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: app.server.address().port };
});
