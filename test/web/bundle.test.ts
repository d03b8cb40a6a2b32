/**
 * The web client's production bundle, built from the current source with the project's
 * Vite config: nothing Node-only in it (no `ws`, no `node:` modules), relative asset paths
 * (it is served at `/` by both servers, and works behind a path prefix), and a sane size.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

describe('the web client bundle', () => {
  let out: string;
  let js: string;

  beforeAll(async () => {
    out = join(tempDir('c2-web-bundle-'), 'web');
    const { build } = await import('vite');
    await build({
      configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
      logLevel: 'silent',
      build: { outDir: out, emptyOutDir: true, sourcemap: false },
    });
    const assets = readdirSync(join(out, 'assets'));
    js = assets
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(out, 'assets', f), 'utf8'))
      .join('\n');
  }, 60_000);

  it('has an index.html that loads its assets by relative paths', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" crossorigin src="\.\/assets\/index-[\w-]+\.js"><\/script>/);
    expect(html).toMatch(/href="\.\/assets\/index-[\w-]+\.css"/);
    expect(html).toContain('<meta name="viewport"');
    expect(statSync(join(out, 'favicon.svg')).size).toBeGreaterThan(0);
  });

  it('contains nothing Node-only', () => {
    expect(js).not.toMatch(/\bfrom\s*["'](node:|ws["'])/);
    expect(js).not.toMatch(/\brequire\(["'](node:|ws["'])/);
    expect(js).not.toMatch(/import\(["']node:/);
    expect(js).not.toContain('__vite-browser-external');
    // The client library and the codec are in it, using the browser's WebSocket.
    expect(js).toContain('c2/');
  });

  it('stays small', () => {
    expect(js.length).toBeLessThan(600_000);
  });
});
