/**
 * The web client in Chromium through the cluster of docs/DEPLOY.md, "A cluster behind nginx",
 * every part from its file in deploy/ (test/deploy/cluster.ts: nginx-cluster.conf, three
 * nodes run as the systemd unit runs them, redis-c2.conf). The page chats; the node it is on (its log
 * says which) is killed with SIGKILL; another user, on another node, sees the page's user
 * leave within 10 s and talks meanwhile; the page reconnects through nginx to a live node,
 * shows the missed messages once, in place, with the restored notice, and keeps chatting.
 * Chromium trusts exactly the test certificate's key. Needs the build (the nodes serve
 * dist/web).
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClientPool, usersOn } from '../cluster/helpers.js';
import { type DeployedCluster, startDeployedCluster } from '../deploy/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { describeWithNginx, type TestNginx } from '../helpers/nginx.js';
import type { StartedC2 } from '../helpers/process.js';
import { certificateAuthority } from '../helpers/tls.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWithChromium, joinedPage, launchChromium, screenshot, spkiHash } from './helpers.js';

describeWithNginx('web client through nginx, three nodes (nginx)', () => {
  describeWithChromium('web client through nginx, three nodes (Chromium)', () => {
    const pool = new ClientPool();
    let cluster: DeployedCluster;
    let nodes: StartedC2[];
    let nginx: TestNginx;
    let browser: Browser;

    beforeAll(async () => {
      const certs = certificateAuthority(tempDir('c2-e2e-cluster-'));
      const trust = `--ignore-certificate-errors-spki-list=${spkiHash(readFileSync(certs.cert, 'utf8'))}`;
      [cluster, browser] = await Promise.all([startDeployedCluster(certs), launchChromium([trust])]);
      ({ nodes, nginx } = cluster);
    }, 60_000);

    afterAll(async () => {
      pool.closeAll();
      await browser?.close();
      await cluster?.dispose();
    }, 30_000);

    it('keeps chatting when the node the page is on is killed, with the restored notice', async () => {
      const { context, page, messages, status } = await joinedPage(
        browser,
        `https://127.0.0.1:${nginx.port}/`,
        'alice',
      );

      // Which node is the page on? Its log says who connected to it.
      const home = await eventually(() => nodes.find((n) => usersOn(n).includes('alice')), 'the page on a node', 5000);
      const other = nodes.find((n) => n !== home) as StartedC2;
      const bob = await pool.join(other.url, 'bob');
      await page.getByRole('complementary', { name: /Users/ }).getByText('bob').waitFor();
      await expect.poll(() => page.evaluate<string>('document.activeElement?.id')).toBe('composer-input');
      await page.keyboard.type('hello from the page');
      await page.keyboard.press('Enter');
      expect(await bob.until((f) => f.startsWith('c2/MSG'))).toBe('c2/MSG alice; hello from the page');
      // The page has its own message back (its node writes it once read back from Redis).
      await messages.getByText('hello from the page').waitFor();

      const killedAt = Date.now();
      home.proc.kill('SIGKILL');
      await home.proc.exited();
      bob.send('c2/MSG said while you were away');
      bob.send('c2/MSG and this too');
      expect(await bob.until((f) => f.startsWith('c2/DISCONNECT'), 10_000)).toBe(
        'c2/DISCONNECT lost_connection; alice',
      );
      const goneAfter = Date.now() - killedAt;
      expect(goneAfter).toBeLessThan(10_000);

      // The page's backoff (0.5 s doubling, up to 15 s) meets "already taken" until the lease
      // runs out: its attempts may reach 30 s after the kill.
      await messages
        .getByText('Reconnected — 2 missed messages restored')
        .waitFor({ timeout: 45_000 })
        .catch(async (err: Error) => {
          const shown = await page.getByRole('status').allTextContents();
          const placed = nodes.map((n) => `[${usersOn(n)}]`).join(' ');
          const rows = (await messages.locator('li.row').allTextContents()).join('\n');
          throw new Error(`${err.message}\nstatus: ${shown}; users by node log: ${placed}\nrows:\n${rows}`);
        });
      await status(/^Connected$/);
      expect(nodes.filter((n) => n !== home).some((n) => usersOn(n).includes('alice'))).toBe(true);
      await page.getByRole('textbox', { name: /^Message / }).fill('still here');
      await page.keyboard.press('Enter');
      expect(await bob.until((f) => f === 'c2/MSG alice; still here', 10_000)).toBe('c2/MSG alice; still here');
      await messages.getByText('still here').waitFor();

      const rows = (await messages.locator('li.row').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
      const texts = ['hello from the page', 'said while you were away', 'and this too', 'still here'];
      for (const text of texts) expect(rows.filter((r) => r.endsWith(text))).toHaveLength(1);
      const at = texts.map((text) => rows.findIndex((r) => r.endsWith(text)));
      expect(at).toEqual([...at].sort((a, b) => a - b));
      expect(rows.findIndex((r) => r.includes('Reconnected — 2 missed messages restored'))).toBe((at[2] as number) + 1);
      expect(rows.filter((r) => r.includes('Reconnected'))).toHaveLength(1);
      await screenshot(page, 'web-cluster-resumed');
      console.log(`lost_connection seen ${goneAfter} ms after the kill; the page resumed through nginx`);
      await context.close();
    }, 90_000);
  });
});
