/**
 * The machine codes that begin every `c2/ERROR` reason (contract §2): `c2/ERROR [<code>]
 * <text>`. A client tells "try another name" from "give up" by the code, never by the text.
 * The codes never change meaning; docs/PROTOCOL.md lists them with when each is sent.
 */
export const ERROR_CODES = {
  malformed: 'the frame does not start with c2/ or has no type',
  unknown_type: 'the message type is not one of CONNECT, MSG, QUERY, UPDATE, DISCONNECT, PING',
  binary_frame: 'a binary WebSocket frame (c2 is text)',
  not_connected: 'MSG, QUERY, UPDATE or DISCONNECT before CONNECT',
  already_connected: 'a second CONNECT on a connected socket',
  missing_argument: 'a required argument is missing (the text gives the usage)',
  flood: 'over the flood limit: the MSG or UPDATE was not sent',
  bad_username: 'the name breaks the username rules (length, characters, white space)',
  name_taken: 'another connected user holds this name or one that looks like it',
  name_reserved: "the name is (or looks like) the server's own name",
  banned: 'the name is banned on this server',
  server_full: 'the server has its maximum number of users',
  bad_message: 'the message text breaks the rules (empty, only white space, too long, control characters)',
  unknown_property: 'UPDATE of a property other than username',
  same_name: 'UPDATE to the name the user already has',
  bad_timestamp: 'a PING timestamp that is not 1 to 16 decimal digits',
  unknown_query: 'a QUERY command the server does not have (QUERY help lists them)',
  bad_argument: 'a query argument out of range or malformed (the text says which)',
  too_many_arguments: 'a query that takes no arguments was given some',
  too_large: 'the answer would pass the answer bound (active_users of a very large room): ask for it a page at a time',
  not_operator: 'an operator-only query from a non-operator',
  op_refused: 'QUERY op refused: no operator password, a wrong one, or too many wrong ones',
  not_banned: 'QUERY unban of a name that is not banned',
  unavailable: 'the server could not do it now (its store failed); nothing was done: try again later',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes that mean "this name will not do: choose another", as opposed to "give up" or "retry". */
export const NAME_ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'bad_username',
  'name_taken',
  'name_reserved',
  'banned',
  'same_name',
]);

const CODE_PREFIX = /^\[([a-z][a-z0-9_]{0,31})\] /;

/**
 * Splits an ERROR reason into its code and its text. A reason without a code (an older or
 * another server) has code null and is all text.
 */
export function splitErrorReason(reason: string): { code: string | null; text: string } {
  const m = CODE_PREFIX.exec(reason);
  return m ? { code: m[1] as string, text: reason.slice(m[0].length) } : { code: null, text: reason };
}

export function formatErrorReason(code: string | null, text: string): string {
  return code === null ? text : `[${code}] ${text}`;
}
