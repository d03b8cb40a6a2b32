/**
 * The listing's Fastify application (contract §7): plugins, body parsing, CORS and the
 * write routes' origin check, OpenAPI at /docs, the /servers routes, /healthz, /metrics and
 * the web client. (The limits per caller are in limits.ts, applied by the routes.)
 */

import type { Socket } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type onResponseHookHandler } from 'fastify';
import { registerWebClient } from '../http/web-client.js';
import type { ListingContext } from './context.js';
import { directoryCors, writeOrigins } from './cors.js';
import { registerDocs } from './docs.js';
import { installErrorHandling } from './error-handler.js';
import { opsRoutes } from './routes/ops.js';
import { readRoutes } from './routes/read.js';
import { registerRoute } from './routes/register.js';
import { removeRoute } from './routes/remove.js';
import { updateRoute } from './routes/update.js';

/**
 * Node checks its request timeout every `connectionsCheckingInterval` (30 s by default, so
 * a trickled body got its 408 after up to twice the timeout). Checking every thirtieth of
 * the timeout (at most every second), against the timeout less one interval, answers 408
 * within the timeout, body included.
 */
function requestTimeouts(timeoutMs: number) {
  const connectionsCheckingInterval = Math.min(1000, Math.max(20, Math.floor(timeoutMs / 30)));
  return { requestTimeout: timeoutMs - connectionsCheckingInterval, connectionsCheckingInterval };
}

export async function buildListingApp(ctx: ListingContext): Promise<FastifyInstance> {
  const { options, log } = ctx;
  const timeouts = requestTimeouts(options.requestTimeoutMs);
  const app = Fastify({
    // Per-request lines (info) stay out of the log; the listing logs its own events.
    loggerInstance: log.child({ component: 'http' }, { level: 'warn' }),
    // Behind one reverse proxy: the caller is the address that proxy saw, i.e. the last
    // X-Forwarded-For entry (earlier entries are whatever the client chose to send).
    trustProxy: options.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    bodyLimit: options.bodyLimitBytes,
    // A request, body included, must arrive whole within this time (slow senders cannot
    // hold sockets).
    requestTimeout: timeouts.requestTimeout,
    http: timeouts,
    // While closing, requests still in flight are answered normally (the store closes last).
    return503OnClosing: false,
    // A long id is an invalid id (400), not a URI error.
    routerOptions: { maxParamLength: 1000 },
    clientErrorHandler: answerMalformedHttp,
    ajv: {
      // Unknown properties and wrongly typed values are refused, never dropped or coerced.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, ...timeouts } } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  installErrorHandling(app, log, ctx.metrics.route('unmatched'));
  installJsonOnly(app);

  // Requests are counted by a hook each route gets with its own counter (no per-request
  // lookup of the route or of a label key); unmatched requests by the not-found handler.
  app.addHook('onRoute', (route) => {
    const count = ctx.metrics.route(route.url);
    const counted: onResponseHookHandler = (request, reply, done) => {
      count(request.method, reply.statusCode);
      done();
    };
    route.onResponse = route.onResponse === undefined ? [counted] : [route.onResponse, counted].flat();
  });

  await registerDocs(app);

  // The read routes in their own scope, with their CORS policy (src/listing/cors.ts).
  await app.register(async (reads) => {
    directoryCors(reads, ['/servers', '/servers/:id'], options.corsOrigins);
    await reads.register(readRoutes, { ctx });
  });
  // The write routes in theirs: a web page on another origin is refused before anything else.
  await app.register(async (writes) => {
    writeOrigins(writes, options.corsOrigins);
    await writes.register(registerRoute, { ctx });
    await writes.register(updateRoute, { ctx });
    await writes.register(removeRoute, { ctx });
  });
  await app.register(opsRoutes, { ctx });
  await app.register(async (child) => registerWebClient(child, options.webRoot));
  return app;
}

/**
 * Requests Node cannot even parse (garbage, oversized headers) still get the JSON error
 * shape, then the connection is closed.
 */
function answerMalformedHttp(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request did not arrive in time']
        : [400, 'Bad Request', 'malformed HTTP request'];
  const body = JSON.stringify({ error: 'bad_request', message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Bodies are JSON (`application/json`) or absent. An empty JSON body counts as absent
 * (every property is optional); other media types get 415.
 */
function installJsonOnly(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}
