/**
 * Waiting, bounded, for something that happens asynchronously: the one polling helper of the
 * tests. (To wait for a socket's frames, see TestClient.next/until; to check that nothing
 * more arrives, TestClient.quiet, which needs no sleep.)
 */

/** Not there yet: `check` answered one of these. */
type NotYet = undefined | null | false;

/**
 * Calls `check` every 20 ms until it answers something other than undefined, null or false
 * (a plain condition: return the boolean), and resolves with that; an error thrown by
 * `check` counts as "not yet" and is reported if time runs out. Rejects after `timeoutMs`,
 * naming `what` it was waiting for.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string | (() => string) = 'the condition',
  timeoutMs = 10_000,
): Promise<Exclude<T, NotYet>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const label = typeof what === 'string' ? what : what();
      const because = lastError === undefined ? '' : ` (last error: ${(lastError as Error)?.message ?? lastError})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}${because}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
