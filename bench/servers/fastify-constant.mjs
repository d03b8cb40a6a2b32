/**
 * Peer for the directory: the ceiling of an HTTP JSON GET here. A bare Fastify route that
 * answers a constant, pre-serialised body (the real `GET /servers` answer, byte for byte,
 * held as a Buffer) with the same headers, and 304 for a matching If-None-Match. A body too
 * large for a command line (the compressed 100,000-server list) is read from `file`, and
 * sent with `Content-Encoding: <encoding>` when given.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { runServer } from './common.mjs';

await runServer(async ({ body, file, encoding, etag }) => {
  const payload = file === undefined ? Buffer.from(body, 'utf8') : readFileSync(file);
  const app = Fastify({ logger: false });
  app.get('/servers', (request, reply) => {
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    if (encoding !== undefined) reply.header('vary', 'Accept-Encoding').header('content-encoding', encoding);
    return reply.type('application/json; charset=utf-8').send(payload);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: app.server.address().port };
});
