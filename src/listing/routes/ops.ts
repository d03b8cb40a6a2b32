/** `GET /healthz` (the database answers) and `GET /metrics` (Prometheus text). */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ListingContext } from '../context.js';
import { errorResponse } from '../schemas.js';

export const opsRoutes: FastifyPluginAsyncTypebox<{ ctx: ListingContext }> = async (app, { ctx }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Health: 200 while the database answers',
        tags: ['operations'],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), store: Type.String() }),
          503: errorResponse('store_unavailable'),
        },
      },
    },
    async () => {
      await ctx.store.ping();
      return { status: 'ok' as const, store: ctx.store.kind };
    },
  );

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );
};
