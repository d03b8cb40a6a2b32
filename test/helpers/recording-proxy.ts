import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP request that went through a RecordingProxy, and the status it got. */
export interface Recorded {
  method: string;
  path: string;
  status: number;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`: give this to the servers instead of the target. */
  readonly url: string;
  /** Every request passed on, in order (the status once answered). */
  readonly requests: Recorded[];
  /** How many requests with this method went through. */
  count(method: string): number;
  close(): Promise<void>;
}

/**
 * A plain HTTP proxy on 127.0.0.1, port 0, in front of `target` (an `http://` URL), that
 * records each request's method, path and status: to count what servers ask of a listing
 * (a POST is a registration) without reading its logs.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const entry: Recorded = { method: req.method ?? '', path: req.url ?? '', status: 0 };
    requests.push(entry);
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(entry.status, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      entry.status = 502;
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (method) => requests.filter((r) => r.method === method).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
