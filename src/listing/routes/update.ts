/**
 * `PUT /servers/<id>`: set some properties (contract §7). Authenticated before the body
 * is looked at; a new address must pass the address policy and answer the ping. A
 * successful PUT also counts as a liveness check.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { canonicalIp } from '../address/parse.js';
import type { ListingContext } from '../context.js';
import { checkAddressSyntax, checkServerName, checkUserCounts } from '../properties.js';
import { emptyResponse, errorResponse, IdParams, ServerProperties } from '../schemas.js';
import type { ServerPatch } from '../store/types.js';
import { absentBodyIsEmpty, authenticate, authenticatedEntry, vanished } from './request.js';

export const updateRoute: FastifyPluginAsyncTypebox<{ ctx: ListingContext }> = async (app, { ctx }) => {
  const { store, policy, verify, log, options } = ctx;

  app.put(
    '/servers/:id',
    {
      preParsing: authenticate(ctx),
      preValidation: absentBodyIsEmpty,
      schema: {
        summary: 'Update a server',
        description:
          "Sets the given properties; the others keep their values. A new address must be the caller's and answer a c2 ping.",
        tags: ['servers'],
        params: IdParams,
        security: [{ C2Listing: [] }],
        body: ServerProperties,
        response: {
          200: emptyResponse('Updated (empty body)'),
          400: errorResponse(
            'invalid_id, not_listed, invalid_body, invalid_property, address_not_allowed, address_not_yours, address_unresolvable, ping_failed or wrong_server_id',
          ),
          401: errorResponse('missing_key, malformed_authorization or bad_key'),
          413: errorResponse('body_too_large'),
          415: errorResponse('unsupported_media_type'),
          503: errorResponse('store_unavailable'),
        },
      },
    },
    async (request, reply) => {
      const entry = authenticatedEntry(request);
      const body = request.body;
      const patch: ServerPatch = {};
      if (body.serverName !== undefined) patch.displayName = checkServerName(body.serverName);
      if (body.connectedUsers !== undefined || body.maxUsers !== undefined) {
        const connectedUsers = body.connectedUsers ?? entry.connectedUsers;
        const maxUsers = body.maxUsers ?? entry.maxUsers;
        checkUserCounts(connectedUsers, maxUsers);
        if (body.connectedUsers !== undefined) patch.connectedUsers = connectedUsers;
        if (body.maxUsers !== undefined) patch.maxUsers = maxUsers;
      }
      if (body.address !== undefined) {
        const callerIp = canonicalIp(request.ip) ?? request.ip;
        const target = await policy.checkForCaller(checkAddressSyntax(body.address), callerIp);
        if (target.address !== entry.address) {
          await verify(target, entry.id);
          patch.address = target.address;
        }
      }
      const now = options.now();
      if (!(await store.update(entry.id, entry.keyHash, patch, now, now + options.checkIntervalMs))) {
        throw await vanished(ctx, entry.id);
      }
      if (patch.address !== undefined) {
        log.info({ id: entry.id, address: patch.address }, `server ${entry.id} moved to ${patch.address}`);
      }
      return reply.code(200).send();
    },
  );
};
