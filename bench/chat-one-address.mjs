#!/usr/bin/env node
/**
 * The attack of issue 13 item 2, bounded and on loopback only: one address opens WebSockets
 * to a chat server one after another and holds them, never sending `CONNECT`; then another
 * client asks `GET /healthz`. Prints how many sockets the one address held, how the rest were
 * answered, whether /healthz answered, and how many log lines the server wrote about it.
 *
 *   node bench/chat-one-address.mjs [--root DIR] [--limit 1024] [--sockets 1200] [--from 127.0.0.2]
 *                                   [-- extra c2 server flags, e.g. --exempt-ips none]
 *
 * --root is a checkout with `bin/c2.js` and a built `dist/` (default: this one), so an older
 * build can be measured with the same attack. The server runs as its own process under
 * `ulimit -n <limit>` (through `sh`), so the attack meets a small limit quickly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const dash = process.argv.indexOf('--');
const own = dash === -1 ? process.argv.slice(2) : process.argv.slice(2, dash);
const extra = dash === -1 ? [] : process.argv.slice(dash + 1);

function option(name, fallback) {
  const at = own.indexOf(`--${name}`);
  return at === -1 ? fallback : own[at + 1];
}

const root = resolve(option('root', join(here, '..')));
const limit = Number(option('limit', '1024'));
const count = Number(option('sockets', '1200'));
const from = option('from', '127.0.0.2');
const dir = mkdtempSync(join(tmpdir(), 'c2-one-address-'));

const server = spawn(
  'sh',
  [
    '-c',
    `ulimit -n ${limit} && exec "$0" "$@"`,
    process.execPath,
    join(root, 'bin', 'c2.js'),
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    dir,
    '--no-console',
    ...extra,
  ],
  { env: { ...process.env, C2_LOG_FORMAT: 'json' } },
);
let out = '';
server.stdout.on('data', (d) => {
  out += d;
});
server.stderr.on('data', (d) => {
  out += d;
});
const started = Date.now();
while (!/listening on/.test(out)) {
  if (server.exitCode !== null || Date.now() - started > 15_000) throw new Error(`server did not start: ${out}`);
  await new Promise((r) => setTimeout(r, 50));
}
const url = JSON.parse(out.split('\n').find((l) => /listening on/.test(l))).url;

const answers = {};
const held = [];
for (let i = 0; i < count; i++) {
  const answer = await new Promise((done) => {
    const ws = new WebSocket(url, { localAddress: from });
    const timer = setTimeout(() => done('timeout'), 3000);
    ws.once('open', () => {
      clearTimeout(timer);
      held.push(ws);
      done(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      res.resume();
      done(res.statusCode);
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      done(err.code ?? 'error');
    });
  });
  answers[answer] = (answers[answer] ?? 0) + 1;
}
await new Promise((r) => setTimeout(r, 500));
let health;
try {
  const res = await fetch(`${url.replace('ws:', 'http:')}/healthz`, { signal: AbortSignal.timeout(3000) });
  health = res.status;
} catch (err) {
  health = `no answer (${err.cause?.code ?? err.name})`;
}
const logLines = out.split('\n').filter((l) => /EMFILE|refusing connections/.test(l)).length;
console.log(
  JSON.stringify({
    root,
    limit,
    flags: extra.join(' '),
    tried: count,
    held: held.filter((ws) => ws.readyState === WebSocket.OPEN).length,
    answers,
    healthz: health,
    logLines,
  }),
);
for (const ws of held) ws.terminate();
server.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
