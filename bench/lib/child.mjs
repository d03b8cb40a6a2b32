/**
 * The child side of the bench's IPC: answers `{ id, cmd, args }` requests from the
 * orchestrator with `{ re, ok, result | error }`, and exits when the orchestrator goes away
 * (so no bench process outlives a crashed or interrupted run).
 */
export function serveRpc(handlers) {
  process.on('message', async (message) => {
    if (message === null || typeof message !== 'object' || typeof message.cmd !== 'string') return;
    const { id, cmd, args } = message;
    try {
      const handler = handlers[cmd];
      if (handler === undefined) throw new Error(`unknown command ${cmd}`);
      const result = await handler(args ?? {});
      process.send?.({ re: id, ok: true, result });
    } catch (err) {
      process.send?.({ re: id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Tells the orchestrator something happened (`ready`, …). */
export function emit(event, data = {}) {
  process.send?.({ event, ...data });
}

/** The arguments the orchestrator passed (one JSON argv entry). */
export function childArgs() {
  return JSON.parse(process.argv[2] ?? '{}');
}

/** CPU time (µs, user + system), memory and the monotonic time of this process. */
export function processStats(nowUs) {
  const cpu = process.cpuUsage();
  return { t: nowUs(), cpu: cpu.user + cpu.system, mem: process.memoryUsage() };
}
