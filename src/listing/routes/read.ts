/** `GET /servers` (cached body, ETag/304) and `GET /servers/<id>` (ext). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { ListingContext } from '../context.js';
import { notListedHere } from '../errors.js';
import { ifNoneMatchHits } from '../list-cache.js';
import { emptyResponse, errorResponse, IdParams, ServerEntry, ServerList } from '../schemas.js';

type ServerListBody = Static<typeof ServerList>;

import { idFrom } from './request.js';

export const readRoutes: FastifyPluginAsyncTypebox<{ ctx: ListingContext }> = async (app, { ctx }) => {
  app.get(
    '/servers',
    {
      schema: {
        summary: 'List every server',
        description:
          'Every listed server, by id. Send the ETag back as If-None-Match to get 304 when nothing changed. Any origin may GET (CORS).',
        tags: ['servers'],
        response: {
          200: ServerList,
          304: emptyResponse('Not modified: the listing has not changed since that ETag'),
          503: errorResponse('store_unavailable'),
        },
      },
    },
    // Not async: answered from the cache's batch callback, without a promise per request.
    (request, reply) => {
      ctx.cache.get((error, snapshot) => {
        if (snapshot === undefined) {
          // The store's error goes to the error handler (503 store_unavailable).
          reply.send(error as never);
          return;
        }
        reply.header('etag', snapshot.etag).header('cache-control', 'no-cache');
        if (ifNoneMatchHits(request.headers['if-none-match'], snapshot.etag)) reply.code(304).send();
        // Already serialised and encoded: Fastify sends a Buffer as is, without the serialiser.
        else reply.type('application/json; charset=utf-8').send(snapshot.body as unknown as ServerListBody);
      });
    },
  );

  app.get(
    '/servers/:id',
    {
      schema: {
        summary: 'One server',
        tags: ['servers'],
        params: IdParams,
        response: {
          200: ServerEntry,
          400: errorResponse('invalid_id'),
          404: errorResponse('not_listed'),
          503: errorResponse('store_unavailable'),
        },
      },
    },
    async (request) => {
      const id = idFrom(request.params.id);
      const entry = (await ctx.cache.current()).byId.get(id);
      if (entry === undefined) throw notListedHere(id);
      return entry;
    },
  );
};
