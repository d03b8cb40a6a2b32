/**
 * TypeBox schemas of the listing API: request validation, response serialisation and the
 * OpenAPI document at /docs all come from these. The properties' rules that JSON Schema
 * cannot say (code points, control characters, connectedUsers ≤ maxUsers) are checked
 * in properties.ts.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ERROR_STATUS } from './errors.js';

export const DEFAULT_SERVER_NAME = 'Chatter Server';
export const DEFAULT_MAX_USERS = 50;
export const MAX_MAX_USERS = 1_000_000;

export const IdParams = Type.Object({
  id: Type.String({
    pattern: '^(0|[1-9][0-9]{0,15})$',
    description: 'Server id: a decimal integer 0 … 9007199254740991, no sign, no leading zeros',
    examples: ['7'],
  }),
});
export type IdParams = Static<typeof IdParams>;

const serverName = Type.String({
  minLength: 1,
  maxLength: 64,
  description: '1–64 code points, no control characters, not only white space',
  examples: ['Chatter Server'],
});
const address = Type.String({
  minLength: 1,
  maxLength: 300,
  description: '`host:port`, an IPv6 host in brackets (`[2001:db8::1]:5000`)',
  examples: ['203.0.113.7:5000'],
});
const connectedUsers = Type.Integer({ minimum: 0, maximum: MAX_MAX_USERS, description: '0 … maxUsers' });
const maxUsers = Type.Integer({ minimum: 1, maximum: MAX_MAX_USERS, description: '1 … 1,000,000' });
const tls = Type.Boolean({
  description:
    'The server speaks `wss://` only (TLS): the listing pings it with `wss://` (verifying its certificate) and clients connect with `wss://`. Default false',
  examples: [false],
});

/** The properties a POST or PUT may set; every one is optional. */
export const ServerProperties = Type.Object(
  {
    serverName: Type.Optional(serverName),
    address: Type.Optional(address),
    connectedUsers: Type.Optional(connectedUsers),
    maxUsers: Type.Optional(maxUsers),
    tls: Type.Optional(tls),
  },
  { additionalProperties: false, description: 'Properties to set; unknown properties are refused' },
);
export type ServerProperties = Static<typeof ServerProperties>;

export const ServerEntry = Type.Object(
  {
    id: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    displayName: Type.String(),
    address: Type.String(),
    connectedUsers: Type.Integer(),
    maxUsers: Type.Integer(),
    tls: Type.Boolean({ description: 'Connect with `wss://` (true) or `ws://` (false)' }),
  },
  { description: 'A listed server' },
);

export const ServerList = Type.Object(
  {
    servers: Type.Array(ServerEntry),
    next: Type.Optional(
      Type.Unsafe<string | null>({
        type: 'string',
        nullable: true,
        description:
          'With `limit` only: the `cursor` of the next page, or null on the last page. Send it back with the same other parameters.',
      }),
    ),
  },
  {
    description:
      'The servers: every listed server by id without parameters; otherwise those matching the filters, in the order asked, at most `limit`',
  },
);

/** The query parameters of GET /servers, for the OpenAPI document (list-query.ts checks them). */
export const ListQuerystring = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: 100,
        description:
          'Only servers whose name or address contains this text, ignoring case and accents (leading and trailing white space is ignored; empty means no filter)',
        examples: ['lounge'],
      }),
    ),
    notFull: Type.Optional(
      Type.Boolean({ description: '`true`: only servers with room (connectedUsers < maxUsers)', examples: [true] }),
    ),
    notEmpty: Type.Optional(
      Type.Boolean({
        description: '`true`: only servers with someone connected (connectedUsers > 0)',
        examples: [true],
      }),
    ),
    sort: Type.Optional(
      Type.String({
        enum: ['id', 'name', 'users', '-users'],
        description:
          'The order: `id` (default), `name` (ignoring case and accents; ties by id), `users` (fewest first; ties by id), `-users` (most first; ties by id, descending)',
        examples: ['-users'],
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: 'Page size, 1–1000; the answer then has `next`. Without it: every matching server',
        examples: [50],
      }),
    ),
    cursor: Type.Optional(
      Type.String({
        maxLength: 512,
        description:
          'The `next` of the previous page, unchanged, with the same q, notFull, notEmpty and sort (limit may change). Needs `limit`. Valid for at least 24 hours',
      }),
    ),
  },
  { additionalProperties: false },
);

const errorProperties = {
  error: Type.String({ enum: Object.keys(ERROR_STATUS), description: 'Stable machine-readable code' }),
  message: Type.String({ description: 'Human-readable explanation' }),
};

/** Every error response has this shape. */
export const ErrorBody = Type.Object(errorProperties);

/** An empty-bodied response, for the OpenAPI document. */
export function emptyResponse(description: string) {
  return Type.Unsafe<undefined>({ type: 'null', description });
}

export function errorResponse(description: string) {
  return Type.Object(errorProperties, { description });
}
