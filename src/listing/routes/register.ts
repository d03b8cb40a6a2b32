/**
 * `POST /servers/<id>`: register a server (contract §7).
 *
 * Order: id → body → properties and address syntax → the caller's dial budget (429) →
 * address policy (dialable, the caller's own) → 409 if listed (unless this is the entry's
 * own host re-registering the same address) → c2 ping → insert. The primary key settles a
 * race between two registrations of one id, across instances.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { canonicalIp, formatAddress, type HostPort, parseAddress } from '../address/parse.js';
import type { CheckedAddress } from '../address/policy.js';
import type { ListingContext } from '../context.js';
import { ApiError } from '../errors.js';
import { generateKey, hashKey } from '../keys.js';
import { checkAddressSyntax, withDefaults } from '../properties.js';
import { errorResponse, IdParams, ServerProperties } from '../schemas.js';
import type { NewServer, ServerRecord } from '../store/types.js';
import { absentBodyIsEmpty, idFrom, takeDial } from './request.js';

function alreadyListed(id: number): ApiError {
  return new ApiError(
    'already_listed',
    `server ${id} is already listed; only its own host can register it again, at the same address`,
  );
}

export const registerRoute: FastifyPluginAsyncTypebox<{ ctx: ListingContext }> = async (app, { ctx }) => {
  const { store, policy, verify, metrics, log, options } = ctx;

  /** The caller's own host re-registering the entry's address may replace it. */
  const mayReplace = (existing: ServerRecord, target: CheckedAddress, callerIp: string) =>
    existing.address === target.address && policy.isOwnHost(target, callerIp);

  app.post(
    '/servers/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        summary: 'Register a server',
        description:
          "Verifies the server with a c2 ping of ws://<address>/ (wss://<address>/ when tls is true, verifying its certificate) and lists it. The body is optional; missing properties take their defaults (address: the caller's IP, port 5000).",
        tags: ['servers'],
        params: IdParams,
        body: ServerProperties,
        response: {
          201: {
            description: 'Listed. The body is the authorization key for PUT and DELETE.',
            content: { 'text/plain': { schema: Type.String({ description: 'The key' }) } },
          },
          400: errorResponse(
            'invalid_id, invalid_body, invalid_property, address_not_allowed, address_not_yours, address_unresolvable, ping_failed or wrong_server_id',
          ),
          403: errorResponse('origin_not_allowed'),
          409: errorResponse('already_listed'),
          413: errorResponse('body_too_large'),
          415: errorResponse('unsupported_media_type'),
          429: errorResponse('rate_limited'),
          503: errorResponse('store_unavailable or busy'),
        },
      },
    },
    async (request, reply) => {
      const id = idFrom(request.params.id);
      const callerIp = canonicalIp(request.ip) ?? request.ip;
      const refused = (err: unknown) =>
        metrics.registration(err instanceof ApiError && err.code === 'already_listed' ? 'conflict' : 'refused');
      let properties: ReturnType<typeof withDefaults>;
      let hp: HostPort;
      try {
        properties = withDefaults(request.body);
        hp =
          request.body.address === undefined
            ? defaultAddress(callerIp, options.defaultChatPort)
            : checkAddressSyntax(request.body.address);
      } catch (err) {
        refused(err);
        throw err;
      }
      // Every check above needed no network; from here on the request costs lookups and a dial.
      const dial = takeDial(ctx, request, reply);
      let target: CheckedAddress;
      try {
        target = await policy.checkForCaller(hp, callerIp);
        const existing = await store.get(id);
        if (existing !== undefined && !mayReplace(existing, target, callerIp)) throw alreadyListed(id);
        await verify({ ...target, tls: properties.tls }, id);
      } catch (err) {
        refused(err);
        throw err;
      } finally {
        dial.release();
      }

      const key = generateKey();
      const entry: NewServer = {
        id,
        displayName: properties.serverName,
        address: target.address,
        connectedUsers: properties.connectedUsers,
        maxUsers: properties.maxUsers,
        tls: properties.tls,
        keyHash: hashKey(key),
        registeredFrom: callerIp,
      };
      const now = options.now();
      const nextCheckAt = now + options.checkIntervalMs;
      let outcome: 'created' | 'replaced' | undefined;
      if (await store.insert(entry, now, nextCheckAt)) {
        outcome = 'created';
      } else {
        // Listed meanwhile, or a re-registration: replace only the entry this check saw.
        const current = await store.get(id);
        if (
          current &&
          mayReplace(current, target, callerIp) &&
          (await store.replace(entry, current.address, now, nextCheckAt))
        ) {
          outcome = 'replaced';
        }
      }
      if (outcome === undefined) {
        metrics.registration('conflict');
        throw alreadyListed(id);
      }
      metrics.registration(outcome);
      log.info(
        { id, address: target.address, tls: properties.tls, from: callerIp, outcome },
        `${outcome === 'created' ? 'registered' : 're-registered'} server ${id} at ${properties.tls ? 'wss://' : ''}${target.address}`,
      );
      return reply.code(201).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(key);
    },
  );
};

function defaultAddress(callerIp: string, port: number): HostPort {
  const hp = parseAddress(formatAddress(callerIp, port));
  if (hp === null)
    throw new ApiError('invalid_property', `cannot make a default address from ${callerIp}; give "address"`);
  return hp;
}
