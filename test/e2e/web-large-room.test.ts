/**
 * The web client in Chromium in a large room (docs/PROTOCOL.md, *Large rooms*): a server
 * with `--announce-limit 5` and 250 others. The user list shows the count from the server
 * and the names a page at a time (the first page, then "Load more"); joins are not shown,
 * renames are.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../src/server/chat-server.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';
import { describeWithChromium, launchChromium, screenshot, webRoot } from './helpers.js';

const OTHERS = 250;

describeWithChromium('web client in a large room (Chromium)', () => {
  let server: ChatServer;
  let browser: Browser;
  const raw: TestClient[] = [];

  beforeAll(async () => {
    const root = await webRoot(join(tempDir('c2-e2e-large-'), 'web'));
    [server, browser] = await Promise.all([
      startChatServer({
        host: '127.0.0.1',
        port: 0,
        id: 5,
        name: 'Big Room',
        webRoot: root,
        announceLimit: 5,
        maxUsers: 1_000,
      }),
      launchChromium(),
    ]);
    const url = `ws://127.0.0.1:${server.port}`;
    for (let i = 0; i < OTHERS; i++) raw.push(await TestClient.connect(url, `u${i}`));
  }, 60_000);

  afterAll(async () => {
    for (const c of raw) c.close();
    await browser?.close();
    await server?.close();
  }, 30_000);

  it('shows the count, the first page of names, and loads more on demand', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await expect.poll(() => page.evaluate<string>('document.activeElement?.id')).toBe('join-name');
    await page.keyboard.type('alice');
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: /^Connected$/ })
      .waitFor();

    const list = page.getByRole('complementary', { name: /Users/ });
    const names = list.locator('li');
    await list.getByText('Showing 200 of 251').waitFor();
    await expect.poll(() => list.locator('h3 .count').textContent()).toBe('251');
    await expect.poll(() => page.locator('.users-toggle .count').textContent()).toBe('251');
    expect(await names.count()).toBe(200);
    expect(await names.first().textContent()).toBe('u0');
    await screenshot(page, 'web-large-room');

    await list.getByRole('button', { name: 'Load more' }).click();
    await list.getByText('Showing 251 of 251').waitFor();
    expect(await names.count()).toBe(251);
    expect((await names.last().textContent())?.startsWith('alice')).toBe(true);
    expect(await list.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    // A join is not announced; a rename is, and the list shows the new name.
    const late = await TestClient.connect(`ws://127.0.0.1:${server.port}`, 'late');
    raw.push(late);
    raw[7]?.send('c2/UPDATE username; seven');
    const messages = page.getByRole('region', { name: /^Messages in/ });
    await messages.getByText('u7 is now known as seven').waitFor();
    await list.getByText('seven', { exact: true }).waitFor();
    expect(await messages.getByText('late joined').count()).toBe(0);

    // /users pages through the server's list, and remembers the page for "/users more".
    const composer = page.getByRole('textbox', { name: /^Message / });
    for (const line of ['/users', '/users more']) {
      await composer.fill(line);
      await composer.press('Enter');
    }
    await messages.getByText(/^users 1–50 of 252 \(page 1 of 6\): u0, u1, /).waitFor();
    await messages.getByText(/^users 51–100 of 252 \(page 2 of 6\): u50, /).waitFor();
    await context.close();
  }, 60_000);
});
