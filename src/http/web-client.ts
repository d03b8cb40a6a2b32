import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `vite build` puts the web client: `<package>/dist/web` (from src/http or dist/http). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chatter</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>Chatter</h1>
<p>This server is running, but the web client has not been built into <code>dist/web</code> yet.</p>
<p>Connect with the terminal client instead: <code>node bin/c2.js chat ws://HOST:PORT</code>,
or any WebSocket client speaking the c2 protocol (see <code>docs/PROTOCOL.md</code>).</p>
</body></html>
`;

/** Serves the built web client at `/`, or a page saying it is not built. */
export async function registerWebClient(app: FastifyInstance, webRoot: string = DEFAULT_WEB_ROOT): Promise<void> {
  if (existsSync(`${webRoot}/index.html`)) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: 'index.html', wildcard: false });
    return;
  }
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER));
}
