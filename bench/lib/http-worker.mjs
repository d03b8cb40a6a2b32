/**
 * The HTTP load generator process: keep-alive HTTP/1.1 connections on raw sockets, one
 * request in flight on each (no pipelining), as fast as answers come. A response is cut
 * off the stream by its Content-Length, into one shared read buffer, so the cost per
 * response is a header parse and the kernel's copy: a 114 KiB JSON body costs the
 * generator no JavaScript work. Every response's status and body length are checked.
 */
import net from 'node:net';
import { childArgs, processStats, serveRpc } from './child.mjs';
import { nowUs } from './clock.mjs';
import { Histogram } from './histogram.mjs';

childArgs();

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * `path` with `expectBytes`, or `paths`: [{ path, bytes }], asked in turn on each connection
 * (each connection starting at another one), every 200's body length checked against its own
 * (`bytes: null`: any length).
 */
function run({ port, path, paths, connections, seconds, headers = {}, expectStatus, expectBytes }) {
  const targets = (paths ?? [{ path, bytes: expectBytes }]).map((target) => ({
    bytes: target.bytes,
    request: Buffer.from(
      `GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
      'latin1',
    ),
  }));
  const hist = new Histogram();
  const statuses = {};
  let done = 0;
  let wrong = 0;
  let errors = 0;
  let running = true;
  const before = processStats(nowUs);
  const sockets = [];

  return new Promise((resolve) => {
    for (let i = 0; i < connections; i++) {
      let head = '';
      let body = -1; // bytes of body still to come; -1 while reading the head
      let bodyLength = 0;
      let status = 0;
      let sentAt = 0;
      let turn = i;
      let target = targets[0];
      const send = () => {
        sentAt = nowUs();
        target = targets[turn++ % targets.length];
        socket.write(target.request);
      };
      const finish = () => {
        hist.record(nowUs() - sentAt);
        done++;
        statuses[status] = (statuses[status] ?? 0) + 1;
        // A null length: any (a body compressed per request may vary by a few bytes).
        if (status !== expectStatus || (status === 200 && target.bytes !== null && bodyLength !== target.bytes))
          wrong++;
        head = '';
        body = -1;
        if (running) send();
      };
      const onRead = (n, buf) => {
        let at = 0;
        while (at < n) {
          if (body < 0) {
            const had = head.length;
            const upTo = Math.min(n, at + 4096);
            head += buf.toString('latin1', at, upTo);
            const end = head.indexOf('\r\n\r\n');
            if (end < 0) {
              at = upTo;
              if (head.length > 16_384) socket.destroy(new Error('response head too long'));
              continue;
            }
            at += end + 4 - had;
            status = Number(head.slice(9, 12));
            const match = /\r\ncontent-length:\s*(\d+)/i.exec(head.slice(0, end));
            bodyLength = status === 304 || status === 204 || !match ? 0 : Number(match[1]);
            body = bodyLength;
            if (body === 0) finish();
          } else {
            const take = Math.min(body, n - at);
            body -= take;
            at += take;
            if (body === 0) finish();
          }
        }
      };
      const socket = net.connect({ host: '127.0.0.1', port, onread: { buffer: READ_BUFFER, callback: onRead } });
      socket.setNoDelay(true);
      socket.on('connect', send);
      socket.on('error', () => {
        errors++;
      });
      sockets.push(socket);
    }
    setTimeout(() => {
      running = false;
      const after = processStats(nowUs);
      for (const socket of sockets) socket.destroy();
      const elapsed = (after.t - before.t) / 1e6;
      resolve({
        requestsPerSec: done / elapsed,
        total: done,
        wrong,
        errors,
        statuses,
        p50: hist.quantile(0.5) / 1000,
        p99: hist.quantile(0.99) / 1000,
        max: hist.max / 1000,
        cpu: (after.cpu - before.cpu) / (after.t - before.t),
      });
    }, seconds * 1000);
  });
}

serveRpc({
  run,
  exit: () => {
    setImmediate(() => process.exit(0));
    return true;
  },
});
