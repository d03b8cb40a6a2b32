/**
 * Verifying a server (contract §7): `ws://<address>/` must answer `c2/PING <now>` with
 * `c2/PING <now>; <id>` within the time bound. Failures become 400 responses.
 */
import { pingServer } from '../client/node.js';
import { PingError } from '../client/ping.js';
import { ApiError } from './errors.js';

/** Pings `dial` (`ip:port`) expecting server `id`; throws an ApiError when it fails. */
export type Verifier = (dial: string, id: number, signal?: AbortSignal) => Promise<void>;

export interface VerifierOptions {
  timeoutMs: number;
  maxBytes: number;
}

export function createVerifier(options: VerifierOptions): Verifier {
  return async (dial, id, signal) => {
    try {
      await pingServer(dial, {
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        expectedId: id,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (err instanceof PingError && err.code === 'wrong_id') {
        throw new ApiError('wrong_server_id', `the server at ${dial} ${err.message}`);
      }
      const reason = err instanceof Error ? err.message : String(err);
      throw new ApiError('ping_failed', `c2/PING to ws://${dial}/ failed: ${reason}`);
    }
  };
}
