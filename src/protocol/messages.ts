/**
 * Typed c2 messages in both directions: formatters for both, and the parser of what a
 * server sends. What a client sends is split by the server's command table (each type's
 * arity, src/server/commands/) with grammar.ts: there is one way to read a client's frame.
 * The last argument of every type is trailing (contract §2).
 */
import { formatErrorReason, splitErrorReason } from './error-codes.js';
import { formatFrame, parseFrame, printable, type RawFrame, splitArgs } from './grammar.js';

export type DisconnectReason = 'disconnect' | 'lost_connection' | 'ban';

/** Messages a client sends to a server. */
export type ClientMessage =
  | { type: 'CONNECT'; username: string }
  | { type: 'MSG'; text: string }
  | { type: 'QUERY'; command: string; args: string[] }
  | { type: 'UPDATE'; property: string; value: string }
  | { type: 'DISCONNECT' }
  | { type: 'PING'; timestamp?: string };

/** Messages a server sends to a client. */
export type ServerMessage =
  | { type: 'ACKNOWLEDGE'; text: string }
  /** `c2/ERROR [<code>] <reason>`: `code` is null when the server sent none. */
  | { type: 'ERROR'; code: string | null; reason: string }
  | { type: 'MSG'; username: string; text: string }
  | { type: 'CONNECT'; username: string }
  | { type: 'UPDATE'; username: string; property: string; value: string }
  | { type: 'DISCONNECT'; reason: string; username: string; message?: string }
  | { type: 'PING'; timestamp?: string; serverId: string };

export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: string };

export const CLIENT_TYPES = ['CONNECT', 'MSG', 'QUERY', 'UPDATE', 'DISCONNECT', 'PING'] as const;
export const SERVER_TYPES = ['ACKNOWLEDGE', 'ERROR', 'MSG', 'CONNECT', 'UPDATE', 'DISCONNECT', 'PING'] as const;

export function formatClientMessage(m: ClientMessage): string {
  switch (m.type) {
    case 'CONNECT':
      return formatFrame('CONNECT', [m.username]);
    case 'MSG':
      return formatFrame('MSG', [m.text]);
    case 'QUERY':
      return formatFrame('QUERY', [m.command, ...m.args]);
    case 'UPDATE':
      return formatFrame('UPDATE', [m.property, m.value]);
    case 'DISCONNECT':
      return formatFrame('DISCONNECT');
    case 'PING':
      return formatFrame('PING', m.timestamp === undefined ? [] : [m.timestamp]);
  }
}

export function formatServerMessage(m: ServerMessage): string {
  switch (m.type) {
    case 'ACKNOWLEDGE':
      return formatFrame('ACKNOWLEDGE', m.text === '' ? [] : [m.text]);
    case 'ERROR':
      return formatFrame('ERROR', [formatErrorReason(m.code, m.reason)]);
    case 'MSG':
      return formatFrame('MSG', [m.username, m.text]);
    case 'CONNECT':
      return formatFrame('CONNECT', [m.username]);
    case 'UPDATE':
      return formatFrame('UPDATE', [m.username, m.property, m.value]);
    case 'DISCONNECT':
      return formatFrame(
        'DISCONNECT',
        m.message === undefined ? [m.reason, m.username] : [m.reason, m.username, m.message],
      );
    case 'PING':
      return formatFrame('PING', m.timestamp === undefined ? [m.serverId] : [m.timestamp, m.serverId]);
  }
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function unknownType(frame: RawFrame): { ok: false; reason: string } {
  return fail(`unknown message type "${printable(frame.type, 32)}"`);
}

/** Parses a frame a server sent. Never throws. */
export function parseServerMessage(data: string): ParseResult<ServerMessage> {
  const parsed = parseFrame(data);
  if (!parsed.ok) return parsed;
  const { frame } = parsed;
  switch (frame.type) {
    case 'ACKNOWLEDGE':
      return { ok: true, message: { type: 'ACKNOWLEDGE', text: frame.content } };
    case 'ERROR': {
      const { code, text } = splitErrorReason(frame.content);
      return { ok: true, message: { type: 'ERROR', code, reason: text } };
    }
    case 'CONNECT':
      return { ok: true, message: { type: 'CONNECT', username: frame.content } };
    case 'MSG': {
      const [username = '', text] = splitArgs(frame.content, 2);
      if (text === undefined) return fail('MSG from a server needs a username and a text');
      return { ok: true, message: { type: 'MSG', username, text } };
    }
    case 'UPDATE': {
      const [username = '', property, value] = splitArgs(frame.content, 3);
      if (property === undefined || value === undefined) {
        return fail('UPDATE from a server needs a username, a property and a value');
      }
      return { ok: true, message: { type: 'UPDATE', username, property, value } };
    }
    case 'DISCONNECT': {
      const [reason = '', username, message] = splitArgs(frame.content, 3);
      if (username === undefined) return fail('DISCONNECT from a server needs a reason and a username');
      return {
        ok: true,
        message:
          message === undefined
            ? { type: 'DISCONNECT', reason, username }
            : { type: 'DISCONNECT', reason, username, message },
      };
    }
    case 'PING': {
      const args = splitArgs(frame.content, 2);
      if (args.length === 0) return fail('PING from a server needs a server id');
      const [first = '', second] = args;
      return {
        ok: true,
        message:
          second === undefined
            ? { type: 'PING', serverId: first }
            : { type: 'PING', timestamp: first, serverId: second },
      };
    }
    default:
      return unknownType(frame);
  }
}
