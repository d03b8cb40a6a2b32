/**
 * What every server under test shares: it reports its own CPU time and memory (after a
 * forced GC when asked), and exits on request, so a `--cpu-prof` profile is written.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childArgs, emit, processStats, serveRpc } from '../lib/child.mjs';
import { nowUs } from '../lib/clock.mjs';

export async function runServer(start) {
  const args = childArgs();
  const { port, info } = await start(args);
  serveRpc({
    stats: () => processStats(nowUs),
    gc: async () => {
      for (let i = 0; i < 3; i++) {
        globalThis.gc?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
      return processStats(nowUs);
    },
    exit: () => {
      setImmediate(() => process.exit(0));
      return true;
    },
  });
  emit('ready', { port, info: info ?? {} });
}

/**
 * The URL of the build under test: the project's dist/, or the directory named by
 * C2_BENCH_DIST (to try a change of the server against the same bench before making it), or `dir`.
 */
export function distUrl(dir = process.env.C2_BENCH_DIST) {
  return dir ? pathToFileURL(resolve(dir)).href : new URL('../../dist', import.meta.url).href;
}
