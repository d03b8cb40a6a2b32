/**
 * Builds the web client into `dist/web`, which the chat server and the listing server
 * serve at `/` (src/http/web-client.ts). Run from the package root:
 * `vite build --config web/vite.config.ts` (`npm run build:web`).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [react()],
  // No `.env` files or public env variables: the client is configured at run time.
  envDir: false,
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    // The source is in the package; maps would triple what is served and shipped.
    sourcemap: false,
    // One small app: a single chunk keeps the first load to two requests.
    chunkSizeWarningLimit: 400,
  },
  server: { host: '127.0.0.1' },
});
