/**
 * Browser tests: Debian's Chromium (`/usr/bin/chromium`) driven by playwright-core (no
 * browser is ever downloaded), against real servers started in this process on port 0.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEFAULT_WEB_ROOT } from '../../src/http/web-client.js';
import { describeRequiring } from '../helpers/requires.js';

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
  const tool = { name: 'Chromium', path: CHROMIUM, install: 'apt-get install chromium', env: 'C2_CHROMIUM' };
  describeRequiring(tool, name, body);
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

export interface ChatPage {
  context: BrowserContext;
  page: Page;
  /** The message pane. */
  messages: Locator;
  /** Waits for the connection status to read `text`. */
  status(text: RegExp): Promise<void>;
}

/**
 * A new 1280×800 page on `url` (a chat server serving the web client, or a proxy in front of
 * one), joined as `name` with the keyboard, once it says "Connected".
 */
export async function joinedPage(browser: Browser, url: string, name: string): Promise<ChatPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => console.error('page error:', err));
  const messages = page.getByRole('region', { name: /^Messages in/ });
  const status = (text: RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();
  await page.goto(url);
  await expect.poll(() => page.evaluate<string>('document.activeElement?.id')).toBe('join-name');
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await status(/^Connected$/);
  return { context, page, messages, status };
}
