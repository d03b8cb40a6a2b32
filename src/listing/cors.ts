/**
 * CORS for the read routes (`GET`/`HEAD /servers` and `/servers/<id>`): any web page may read
 * the directory and see its ETag; preflights offer `GET, HEAD` only; the write routes, which
 * live outside this scope, carry no CORS headers, so no browser on another origin can
 * register, update or delete.
 *
 * Written out rather than with @fastify/cors: the policy is constant, so on the hot path it is
 * two constant headers, where the plugin copies and merges its options object and builds a
 * closure on every request (about a twentieth of what a 304 costs here; see BENCHMARKS.md).
 */
import type { FastifyInstance } from 'fastify';

/** Adds the CORS headers to every response of `reads` and answers preflights of `paths`. */
export function readOnlyCors(reads: FastifyInstance, paths: readonly string[]): void {
  reads.addHook('onRequest', (_request, reply, done) => {
    reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'ETag');
    done();
  });
  for (const path of paths) {
    reads.options(path, { schema: { hide: true } }, (request, reply) => {
      reply
        .header('access-control-allow-methods', 'GET, HEAD')
        .header('access-control-max-age', '600')
        .header('vary', 'Access-Control-Request-Headers');
      // Any request header may accompany a read (If-None-Match, Cache-Control, …): reading
      // is all a cross-origin page can do, and it sends no credentials (origin `*`).
      const requested = request.headers['access-control-request-headers'];
      if (requested !== undefined) reply.header('access-control-allow-headers', requested);
      return reply.code(204).send();
    });
  }
}
