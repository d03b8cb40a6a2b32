/**
 * `PUT /servers/<id>`: set some properties (contract §7). Authenticated before the body
 * is looked at; a new address is charged to the caller's dial budget, then must pass the
 * address policy and answer the ping; so must the listed address when `tls` changes (over
 * the new scheme). A successful PUT also counts as a liveness check.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { canonicalIp, formatHostPort, type HostPort, parseAddress } from '../address/parse.js';
import type { ListingContext } from '../context.js';
import { ApiError } from '../errors.js';
import { checkAddressSyntax, checkServerName, checkUserCounts } from '../properties.js';
import { emptyResponse, errorResponse, IdParams, ServerProperties } from '../schemas.js';
import type { ServerPatch } from '../store/types.js';
import { absentBodyIsEmpty, authenticate, authenticatedEntry, takeDial, vanished } from './request.js';

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
          "Sets the given properties; the others keep their values. A new address must be the caller's and answer a c2 ping; a change of tls is verified by a ping over the new scheme.",
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
          403: errorResponse('origin_not_allowed'),
          413: errorResponse('body_too_large'),
          415: errorResponse('unsupported_media_type'),
          429: errorResponse('rate_limited'),
          503: errorResponse('store_unavailable or busy'),
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
      const tls = body.tls ?? entry.tls;
      const tlsChanged = tls !== entry.tls;
      if (body.address !== undefined || tlsChanged) {
        const callerIp = canonicalIp(request.ip) ?? request.ip;
        const hp = body.address !== undefined ? checkAddressSyntax(body.address) : storedAddress(entry.address);
        const moved = body.address !== undefined && formatHostPort(hp) !== entry.address;
        if (!moved && !tlsChanged) {
          // The same address: checked again (ownership), never dialled.
          await policy.checkForCaller(hp, callerIp);
        } else {
          // A new address, or the same one over another scheme: from here on the request
          // costs lookups and a dial.
          const dial = takeDial(ctx, request, reply);
          try {
            // An address named in the body must be the caller's; the listed one is the
            // entry's already (its key holder may switch it to or from TLS from anywhere).
            const target =
              body.address !== undefined ? await policy.checkForCaller(hp, callerIp) : await policy.check(hp);
            await verify({ ...target, tls }, entry.id);
            if (moved) patch.address = target.address;
            if (tlsChanged) patch.tls = tls;
          } finally {
            dial.release();
          }
        }
      }
      const now = options.now();
      if (!(await store.update(entry.id, entry.keyHash, patch, now, now + options.checkIntervalMs))) {
        throw await vanished(ctx, entry.id);
      }
      if (patch.address !== undefined) {
        log.info({ id: entry.id, address: patch.address }, `server ${entry.id} moved to ${patch.address}`);
      }
      if (patch.tls !== undefined) {
        log.info({ id: entry.id, tls: patch.tls }, `server ${entry.id} now speaks ${patch.tls ? 'wss://' : 'ws://'}`);
      }
      return reply.code(200).send();
    },
  );
};

function storedAddress(address: string): HostPort {
  const hp = parseAddress(address);
  if (hp === null)
    throw new ApiError('invalid_property', `the listed address "${address}" is malformed; give "address"`);
  return hp;
}
