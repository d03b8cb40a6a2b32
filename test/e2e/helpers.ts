/**
 * Browser tests: Debian's Chromium (`/usr/bin/chromium`) driven by playwright-core (no
 * browser is ever downloaded), against real servers started in this process on port 0.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { DEFAULT_WEB_ROOT } from '../../src/http/web-client.js';

export const CHROMIUM = process.env.C2_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url));

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/**
 * `describe`, or `describe.skip` with a visible notice when Chromium is missing; with
 * `C2_REQUIRE_E2E=1` a missing Chromium fails instead.
 */
export function describeWithChromium(name: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, body);
    return;
  }
  if (process.env.C2_REQUIRE_E2E === '1') {
    throw new Error(`C2_REQUIRE_E2E=1 but there is no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  }
  console.warn(`⚠ browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set C2_CHROMIUM)`);
  describe.skip(name, body);
}

/**
 * base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's
 * `--ignore-certificate-errors-spki-list` takes it: a test's browser trusts exactly that key
 * (honoured with the temporary profile Playwright gives it); every other certificate is
 * still verified.
 */
export function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Chromium, with `extraArgs` after the usual ones (for one test's browser only). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    headless: true,
    timeout: 20_000,
  });
}

/**
 * The built web client: `dist/web` (built by `npm run build`); when it is missing, it is
 * built into `outDir` with the project's own Vite config.
 */
export async function webRoot(outDir: string): Promise<string> {
  if (existsSync(join(DEFAULT_WEB_ROOT, 'index.html'))) return DEFAULT_WEB_ROOT;
  const { build } = await import('vite');
  await build({
    configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

/** Writes a screenshot under test-results/ for people to look at; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Pretends the tab went to the background (or came back), as a switch of browser tab
 * would. (Browser-side code is passed as text: these tests are type-checked without the
 * DOM library.)
 */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(`
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' });
    document.dispatchEvent(new Event('visibilitychange'));
  `);
}

/** How many pixels the page is wider than the window (0 or less: no sideways scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}
