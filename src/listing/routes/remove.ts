/** `DELETE /servers/<id>`: unlist a server (contract §7). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ListingContext } from '../context.js';
import { emptyResponse, errorResponse, IdParams } from '../schemas.js';
import { authenticate, authenticatedEntry, vanished } from './request.js';

export const removeRoute: FastifyPluginAsyncTypebox<{ ctx: ListingContext }> = async (app, { ctx }) => {
  app.delete(
    '/servers/:id',
    {
      preParsing: authenticate(ctx),
      schema: {
        summary: 'Unlist a server',
        tags: ['servers'],
        params: IdParams,
        security: [{ C2Listing: [] }],
        response: {
          200: emptyResponse('Deleted (empty body)'),
          400: errorResponse('invalid_id or not_listed'),
          401: errorResponse('missing_key, malformed_authorization or bad_key'),
          403: errorResponse('origin_not_allowed'),
          429: errorResponse('rate_limited'),
          503: errorResponse('store_unavailable'),
        },
      },
    },
    async (request, reply) => {
      const entry = authenticatedEntry(request);
      if (!(await ctx.store.remove(entry.id, entry.keyHash))) throw await vanished(ctx, entry.id);
      ctx.log.info({ id: entry.id, address: entry.address }, `unlisted server ${entry.id}`);
      return reply.code(200).send();
    },
  );
};
