/**
 * The listing's cross-origin policy.
 *
 * Reads (`GET`/`HEAD /servers` and `/servers/<id>`): any web page may read the directory and
 * see its ETag. Written out rather than with @fastify/cors: the policy is constant, so on the
 * hot path it is two constant headers, where the plugin copies and merges its options object
 * and builds a closure on every request (about a twentieth of what a 304 costs here; see
 * BENCHMARKS.md).
 *
 * Writes (`POST`, `PUT`, `DELETE`): a browser sends some cross-origin requests without asking
 * first (a body-less `POST` is a "simple" request), and the listing acts on a request before
 * the browser decides whether the page may read the answer; so a write that carries an
 * `Origin` header is refused with `403 origin_not_allowed` before anything is looked at,
 * unless that origin is one the operator allowed (`--cors-origin`). Requests without
 * `Origin` (chat servers, curl, any program) are not concerned. Preflights offer the write
 * methods to the allowed origins only.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

const READ_METHODS = 'GET, HEAD';
const ALL_METHODS = 'GET, HEAD, POST, PUT, DELETE';

/** Adds the CORS headers to every response of `reads` and answers preflights of `paths`. */
export function directoryCors(reads: FastifyInstance, paths: readonly string[], writeOrigins: readonly string[]): void {
  const writers = new Set(writeOrigins);
  reads.addHook('onRequest', (_request, reply, done) => {
    reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', 'ETag');
    done();
  });
  for (const path of paths) {
    reads.options(path, { schema: { hide: true } }, (request, reply) => {
      const origin = request.headers.origin;
      reply
        .header(
          'access-control-allow-methods',
          origin !== undefined && writers.has(origin) ? ALL_METHODS : READ_METHODS,
        )
        .header('access-control-max-age', '600')
        .header('vary', writers.size > 0 ? 'Origin, Access-Control-Request-Headers' : 'Access-Control-Request-Headers');
      // Any request header may accompany a read (If-None-Match, Cache-Control, …): reading
      // is all a cross-origin page can do, and it sends no credentials (origin `*`).
      const requested = request.headers['access-control-request-headers'];
      if (requested !== undefined) reply.header('access-control-allow-headers', requested);
      return reply.code(204).send();
    });
  }
}

/** Refuses the writes of `writes` from web pages on origins other than `allowed`. */
export function writeOrigins(writes: FastifyInstance, allowed: readonly string[]): void {
  const origins = new Set(allowed);
  writes.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    if (!origins.has(origin)) {
      const shown = origin.length > 100 ? `${origin.slice(0, 100)}…` : origin;
      return done(
        new ApiError(
          'origin_not_allowed',
          `a web page on ${shown} may not register, update or unlist servers here (the listing's operator allows origins with --cors-origin)`,
        ),
      );
    }
    reply
      .header('access-control-allow-origin', origin)
      .header(
        'access-control-expose-headers',
        'Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset',
      )
      .header('vary', 'Origin');
    done();
  });
}

/** An origin as browsers send it (`scheme://host[:port]`), from what an operator wrote; null if it is not one. */
export function canonicalOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (url.pathname !== '/') return null;
  return url.origin;
}
