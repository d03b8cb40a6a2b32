/** Connection's one dependency on a private field of ws, checked where the socket is attached. */

import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Connection } from '../../src/server/connection.js';
import { resolveChatOptions } from '../../src/server/options.js';

const { limits } = resolveChatOptions({}, 1);

describe('Connection', () => {
  it('refuses a ws without the net.Socket it writes to, saying why', () => {
    expect(() => new Connection({} as WebSocket, '127.0.0.1', limits)).toThrow(/ws no longer exposes its net\.Socket/);
    const halfSocket = { _socket: { write() {} } } as unknown as WebSocket;
    expect(() => new Connection(halfSocket, '127.0.0.1', limits)).toThrow(/pinned in package\.json/);
  });
});
