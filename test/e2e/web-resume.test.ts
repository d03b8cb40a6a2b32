/**
 * The web client in Chromium across a restart of the chat server process (contract §10):
 * the page stays open (reconnecting) while the server is stopped with SIGTERM and started
 * again on the same data directory, and another user talks meanwhile; the page then shows
 * every message once, the missed ones in their place, and the one "Reconnected — …" line.
 * The page reaches the server through a TCP gate (test/helpers/gate.ts), which keeps it
 * away until the other user has talked. Needs the build (`npm run build`: the server
 * process serves dist/web).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Gate, startGate } from '../helpers/gate.js';
import { C2Processes, type StartedC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';
import { describeWithChromium, joinedPage, launchChromium, screenshot } from './helpers.js';

const processes = new C2Processes();
const raw: TestClient[] = [];

function serverProcess(dataDir: string): Promise<StartedC2> {
  const args = ['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--name', 'Resume Room'];
  return processes.start([...args, '--no-console']);
}

async function talker(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url, 'bob');
  raw.push(c);
  return c;
}

describeWithChromium('web client across a restart of the chat server (Chromium)', () => {
  let browser: Browser;
  let gate: Gate | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    for (const c of raw) c.close();
    await browser?.close();
    await gate?.close();
    processes.killAll();
  }, 30_000);

  it('shows every message once, the missed ones in place, and the restored notice', async () => {
    const dataDir = tempDir('c2-e2e-resume-');
    let server = await serverProcess(dataDir);
    gate = await startGate({ host: '127.0.0.1', port: server.port });
    const { context, page, messages, status } = await joinedPage(browser, `http://127.0.0.1:${gate.port}/`, 'alice');
    let bob = await talker(server.url);
    bob.send('c2/MSG before the restart');
    await messages.getByText('before the restart').waitFor();

    // The server process restarts; the page cannot get back in until bob has talked.
    gate.open = false;
    server.proc.kill('SIGTERM');
    await server.proc.exited(15_000);
    bob.close();
    await status(/Reconnecting/);
    server = await serverProcess(dataDir);
    gate.target.port = server.port;
    bob = await talker(server.url);
    bob.send('c2/MSG said while you were away');
    bob.send('c2/MSG and this too');
    await bob.until((f) => f === 'c2/MSG bob; and this too', 10_000);
    gate.open = true;

    await messages.getByText('Reconnected — 2 missed messages restored').waitFor({ timeout: 30_000 });
    await status(/^Connected$/);
    bob.send('c2/MSG after the return');
    await messages.getByText('after the return').waitFor();
    await page.getByRole('complementary', { name: /Users/ }).getByText('bob').waitFor();

    const rows = (await messages.locator('li.row').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    const texts = ['before the restart', 'said while you were away', 'and this too', 'after the return'];
    for (const text of texts) expect(rows.filter((r) => r.endsWith(text))).toHaveLength(1);
    const at = texts.map((text) => rows.findIndex((r) => r.endsWith(text)));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    const notice = rows.findIndex((r) => r.includes('Reconnected — 2 missed messages restored'));
    expect(notice).toBe((at[2] as number) + 1);
    expect(rows.filter((r) => r.includes('Reconnected'))).toHaveLength(1);
    await screenshot(page, 'web-resumed');
    await context.close();
  }, 90_000);
});
