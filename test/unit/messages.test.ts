import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, splitErrorReason } from '../../src/protocol/error-codes.js';
import { parseFrame, splitArgs } from '../../src/protocol/grammar.js';
import {
  type ClientMessage,
  formatClientMessage,
  formatServerMessage,
  parseServerMessage,
  SERVER_TYPES,
  type ServerMessage,
} from '../../src/protocol/messages.js';
import { COMMANDS } from '../../src/server/commands/index.js';
import { anyString } from '../helpers/arbitraries.js';

/** An argument that is not trailing: no separator inside, and not ending in ";" (which would fuse with the next separator). */
const plain = fc.string({ minLength: 1 }).filter((s) => !s.includes('; ') && !s.endsWith(';'));
const trailing = fc.string();
const name = fc.string({ minLength: 1, maxLength: 16 }).filter((s) => !s.includes(';'));
const timestamp = fc.stringMatching(/^[0-9]{1,16}$/);

const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  name.map((username) => ({ type: 'CONNECT' as const, username })),
  fc.string({ minLength: 1 }).map((text) => ({ type: 'MSG' as const, text })),
  fc
    .tuple(plain, fc.array(plain, { maxLength: 4 }))
    .map(([command, args]) => ({ type: 'QUERY' as const, command, args })),
  fc.tuple(plain, trailing).map(([property, value]) => ({ type: 'UPDATE' as const, property, value })),
  fc.constant({ type: 'DISCONNECT' as const }),
  fc.constant({ type: 'PING' as const }),
  timestamp.map((t) => ({ type: 'PING' as const, timestamp: t })),
);

const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  trailing.map((text) => ({ type: 'ACKNOWLEDGE' as const, text })),
  fc
    .tuple(fc.constantFrom(...Object.keys(ERROR_CODES)), trailing)
    .map(([code, reason]) => ({ type: 'ERROR' as const, code, reason })),
  // From a server that sends no code: the whole reason is text.
  trailing
    .filter((reason) => splitErrorReason(reason).code === null)
    .map((reason) => ({ type: 'ERROR' as const, code: null, reason })),
  fc.tuple(name, trailing).map(([username, text]) => ({ type: 'MSG' as const, username, text })),
  name.map((username) => ({ type: 'CONNECT' as const, username })),
  fc
    .tuple(name, plain, trailing)
    .map(([username, property, value]) => ({ type: 'UPDATE' as const, username, property, value })),
  fc
    .tuple(fc.constantFrom('disconnect', 'lost_connection'), name)
    .map(([reason, username]) => ({ type: 'DISCONNECT' as const, reason, username })),
  fc
    .tuple(name, trailing)
    .map(([username, message]) => ({ type: 'DISCONNECT' as const, reason: 'ban', username, message })),
  fc.stringMatching(/^[0-9]{1,16}$/).map((serverId) => ({ type: 'PING' as const, serverId })),
  fc
    .tuple(timestamp, fc.stringMatching(/^[0-9]{1,16}$/))
    .map(([t, serverId]) => ({ type: 'PING' as const, timestamp: t, serverId })),
);

/** The arguments a client message carries, as the server's command table splits them (QUERY: the name, then the rest). */
function expectedArgs(m: ClientMessage): string[] {
  switch (m.type) {
    case 'CONNECT':
      return [m.username];
    case 'MSG':
      return [m.text];
    case 'QUERY':
      return m.args.length === 0 ? [m.command] : [m.command, m.args.join('; ')];
    case 'UPDATE':
      return [m.property, m.value];
    case 'DISCONNECT':
      return [];
    case 'PING':
      return m.timestamp === undefined ? [] : [m.timestamp];
  }
}

describe('client messages', () => {
  it('the server reads every formatted message back: its type and arguments', () => {
    fc.assert(
      fc.property(clientMessage, (m) => {
        const parsed = parseFrame(formatClientMessage(m));
        if (!parsed.ok) throw new Error(parsed.reason);
        const command = COMMANDS.get(parsed.frame.type);
        expect(command?.name).toBe(m.type);
        expect(splitArgs(parsed.frame.content, command?.arity ?? 0)).toEqual(expectedArgs(m));
      }),
      { numRuns: 2000 },
    );
  });

  it('formats the wire strings of the contract', () => {
    expect(formatClientMessage({ type: 'CONNECT', username: 'alice' })).toBe('c2/CONNECT alice');
    expect(formatClientMessage({ type: 'QUERY', command: 'ban', args: ['bob', 'spam'] })).toBe(
      'c2/QUERY ban; bob; spam',
    );
    expect(formatClientMessage({ type: 'UPDATE', property: 'username', value: 'bob' })).toBe('c2/UPDATE username; bob');
    expect(formatClientMessage({ type: 'PING', timestamp: '42' })).toBe('c2/PING 42');
    expect(formatClientMessage({ type: 'DISCONNECT' })).toBe('c2/DISCONNECT');
  });
});

describe('server messages', () => {
  it('parse(format(m)) round-trips for every valid message', () => {
    fc.assert(
      fc.property(serverMessage, (m) => {
        expect(parseServerMessage(formatServerMessage(m))).toEqual({ ok: true, message: m });
      }),
      { numRuns: 2000 },
    );
  });

  it('treats the last argument as trailing', () => {
    expect(parseServerMessage('c2/MSG alice; a; b')).toEqual({
      ok: true,
      message: { type: 'MSG', username: 'alice', text: 'a; b' },
    });
    expect(parseServerMessage('c2/DISCONNECT ban; bob; go; away')).toEqual({
      ok: true,
      message: { type: 'DISCONNECT', reason: 'ban', username: 'bob', message: 'go; away' },
    });
    expect(parseServerMessage('c2/PING 123; 7')).toEqual({
      ok: true,
      message: { type: 'PING', timestamp: '123', serverId: '7' },
    });
    expect(parseServerMessage('c2/PING 7')).toEqual({ ok: true, message: { type: 'PING', serverId: '7' } });
  });

  it('refuses incomplete server messages', () => {
    for (const bad of ['c2/MSG alice', 'c2/UPDATE a; b', 'c2/DISCONNECT ban', 'c2/PING', 'c2/NOPE', 'hello']) {
      expect(parseServerMessage(bad).ok, bad).toBe(false);
    }
  });

  it('reads any frame as a message that formats back to itself, or refuses it with a reason; never throws', () => {
    fc.assert(
      fc.property(anyString(), fc.constantFrom(...SERVER_TYPES, 'NOPE'), (s, type) => {
        for (const data of [`c2/${s}`, `c2/${type} ${s}`]) {
          const parsed = parseServerMessage(data);
          if (!parsed.ok) {
            expect(typeof parsed.reason).toBe('string');
            expect(parsed.reason.length).toBeGreaterThan(0);
            continue;
          }
          expect(SERVER_TYPES).toContain(parsed.message.type);
          // Every field is text; only an ERROR's code may be null (a reason without one).
          for (const [key, value] of Object.entries(parsed.message)) {
            if (!(key === 'code' && value === null)) expect(typeof value).toBe('string');
          }
          expect(parseServerMessage(formatServerMessage(parsed.message))).toEqual(parsed);
        }
      }),
      { numRuns: 500 },
    );
  });
});
