/**
 * The real `node bin/c2.js chat` process under a pseudo-terminal (tmux): it joins, sends a
 * message that comes back and that another client receives, and `/quit` exits 0 with the
 * DISCONNECT acknowledged. Needs the build (`npm run build`) and tmux.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withChatServer } from '../helpers/chat-server.js';
import { eventually } from '../helpers/eventually.js';
import { startGate } from '../helpers/gate.js';
import { C2_BIN, type C2Process, listeningUrl, runC2 } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { TestClient } from '../helpers/ws-client.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const required = process.env.C2_REQUIRE_E2E === '1';
if (!hasTmux && !required) console.warn('skipping the c2 chat pseudo-terminal test: tmux is not installed');

/** A tmux server of our own (its own socket), killed when the file ends. */
const socket = `c2-chat-e2e-${process.pid}-${Date.now()}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', socket, 'kill-server']);
});

const servers: C2Process[] = [];
afterAll(() => {
  for (const p of servers) p.kill('SIGKILL');
});

async function serverProcess(dataDir: string): Promise<{ proc: C2Process; url: string; port: number }> {
  const proc = runC2([
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--name',
    'Test',
    '--no-console',
  ]);
  servers.push(proc);
  const url = listeningUrl(await proc.waitFor(/listening on/, 15_000));
  return { proc, url, port: Number(new URL(url).port) };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The exit code the pane's shell wrote to `file` once the chat process ended. */
const exitCode = (file: string) =>
  eventually(() => existsSync(file) && readFileSync(file, 'utf8').trim(), 'the process to exit', 15_000);

describe.skipIf(!hasTmux && !required)('c2 chat in a terminal', () => {
  it('sends a message, sees it echoed, and /quit exits 0', { timeout: 40_000 }, async () => {
    const chat = await withChatServer();
    try {
      const bob = await chat.connect('bob');
      const exitFile = join(tempDir('c2-chat-e2e-'), 'exit');
      const command = `${quote(process.execPath)} ${quote(C2_BIN)} chat ${chat.url} --username alice; echo $? > ${quote(exitFile)}`;
      tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'chat', '-x', '100', '-y', '30', command);
      const screen = () => tmux('capture-pane', '-p', '-t', 'chat');
      const see = (text: string) =>
        eventually(
          () => screen().includes(text),
          () => `the terminal to show "${text}":\n${screen()}`,
          15_000,
        );

      await see('connected to Test as alice');
      expect(await bob.next()).toBe('c2/CONNECT alice');
      expect(screen()).toMatch(/c2 · Test · ws:\/\/127\.0\.0\.1:\d+ · alice .*● connected/);

      tmux('send-keys', '-t', 'chat', '-l', 'hello from a real terminal; really');
      tmux('send-keys', '-t', 'chat', 'Enter');
      await see('<alice> hello from a real terminal; really');
      expect(await bob.next()).toBe('c2/MSG alice; hello from a real terminal; really');

      bob.send('c2/MSG hi alice');
      expect(await bob.next()).toBe('c2/MSG bob; hi alice');
      await see('<bob> hi alice');

      tmux('send-keys', '-t', 'chat', '-l', '/quit');
      tmux('send-keys', '-t', 'chat', 'Enter');
      const code = await exitCode(exitFile);
      expect(code).toBe('0');
      expect(await bob.next()).toBe('c2/DISCONNECT disconnect; alice');
    } finally {
      await chat.close();
    }
  });

  it('in a large room: the count in the status bar, /users a page at a time', { timeout: 40_000 }, async () => {
    // --announce-limit 5 and 60 others: joins go unannounced, the list is paged (50 a page).
    const chat = await withChatServer({ announceLimit: 5, maxUsers: 100 });
    try {
      const others: TestClient[] = [];
      for (let i = 0; i < 60; i++) others.push(await chat.connect(`u${i}`));
      const exitFile = join(tempDir('c2-chat-e2e-'), 'exit');
      const command = `${quote(process.execPath)} ${quote(C2_BIN)} chat ${chat.url} --username alice; echo $? > ${quote(exitFile)}`;
      tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'large', '-x', '120', '-y', '40', command);
      const screen = () => tmux('capture-pane', '-p', '-t', 'large');
      const see = (text: string | RegExp) =>
        eventually(
          () => (typeof text === 'string' ? screen().includes(text) : text.test(screen())),
          () => `the terminal to show "${text}":\n${screen()}`,
          15_000,
        );
      const type = (line: string) => {
        tmux('send-keys', '-t', 'large', '-l', line);
        tmux('send-keys', '-t', 'large', 'Enter');
      };

      await see('connected to Test as alice');
      await see(/ · alice · 61 users .*● connected/);
      await see('users (61)'); // the list beside the messages: the count, and its first page
      await see('u0');

      type('/users');
      await see('users 1–50 of 61 (page 1 of 2): u0, u1, u2');
      type('/users more');
      await see('users 51–61 of 61 (page 2 of 2): u50, u51');
      expect(screen()).toMatch(/u59, alice/);
      type('/users 3');
      await see('no page 3: 61 users, 2 pages of 50');

      // A join is not announced; a rename is.
      const late = await chat.connect('late');
      others[1]?.send('c2/UPDATE username; uno');
      await see('u1 is now known as uno');
      expect(screen()).not.toContain('late joined');
      late.close();

      type('/quit');
      const code = await exitCode(exitFile);
      expect(code).toBe('0');
    } finally {
      await chat.close();
    }
  });

  it('leaves properly on SIGTERM: DISCONNECT acknowledged, exit 0', { timeout: 30_000 }, async () => {
    const chat = await withChatServer();
    try {
      const bob = await chat.connect('bob');
      const exitFile = join(tempDir('c2-chat-e2e-'), 'exit');
      const command = `${quote(process.execPath)} ${quote(C2_BIN)} chat ${chat.url} --username carol; echo $? > ${quote(exitFile)}`;
      tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'signal', '-x', '100', '-y', '30', command);
      expect(await bob.next(15_000)).toBe('c2/CONNECT carol');
      // The pane runs a shell; the chat client is its child.
      const shell = tmux('list-panes', '-t', 'signal', '-F', '#{pane_pid}').trim();
      const child = execFileSync('pgrep', ['-P', shell], { encoding: 'utf8' }).trim();
      process.kill(Number(child), 'SIGTERM');
      expect(await bob.next(10_000)).toBe('c2/DISCONNECT disconnect; carol');
      const code = await exitCode(exitFile);
      expect(code).toBe('0');
    } finally {
      await chat.close();
    }
  });

  it('exits 1 with one readable line when nothing answers at the address', { timeout: 20_000 }, async () => {
    const chat = await withChatServer();
    const url = chat.url;
    await chat.close(); // nobody listens on its port now
    const dir = tempDir('c2-chat-e2e-');
    const [exitFile, errFile] = [join(dir, 'exit'), join(dir, 'stderr')];
    const command = `${quote(process.execPath)} ${quote(C2_BIN)} chat ${url} 2> ${quote(errFile)}; echo $? > ${quote(exitFile)}`;
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'unreachable', '-x', '100', '-y', '30', command);
    const code = await exitCode(exitFile);
    expect(code).toBe('1');
    const stderr = readFileSync(errFile, 'utf8');
    expect(stderr).toMatch(/^c2: cannot reach a c2 server at ws:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
  it('after a restart of the server process, shows what was said meanwhile once, in place, and one line', {
    timeout: 60_000,
  }, async () => {
    const dataDir = tempDir('c2-chat-e2e-data-');
    let server = await serverProcess(dataDir);
    // The chat reaches the server through a gate, so that it stays away while bob talks.
    const gate = await startGate({ host: '127.0.0.1', port: server.port });
    try {
      let bob = await TestClient.connect(server.url, 'bob');
      const command = `${quote(process.execPath)} ${quote(C2_BIN)} chat ws://127.0.0.1:${gate.port} --username alice`;
      tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'resume', '-x', '100', '-y', '30', command);
      const screen = () => tmux('capture-pane', '-p', '-t', 'resume');
      const see = (text: string) =>
        eventually(
          () => screen().includes(text),
          () => `the terminal to show "${text}":\n${screen()}`,
          20_000,
        );
      await see('connected to Test');
      bob.send('c2/MSG before the restart');
      await see('<bob> before the restart');

      gate.open = false;
      server.proc.kill('SIGTERM');
      await server.proc.exited(15_000);
      bob.close();
      await see('reconnecting');
      server = await serverProcess(dataDir);
      gate.target.port = server.port;
      bob = await TestClient.connect(server.url, 'bob');
      bob.send('c2/MSG said while you were away');
      bob.send('c2/MSG and this too');
      await bob.until((f) => f === 'c2/MSG bob; and this too', 10_000);
      gate.open = true;

      await see('Reconnected — 2 missed messages restored');
      bob.send('c2/MSG after the return');
      await see('<bob> after the return');
      const shown = screen();
      const texts = ['before the restart', 'said while you were away', 'and this too', 'after the return'];
      for (const text of texts) expect(shown.split(`<bob> ${text}`).length - 1).toBe(1);
      const at = texts.map((t) => shown.indexOf(`<bob> ${t}`));
      expect(at).toEqual([...at].sort((a, b) => a - b));
      const notice = shown.indexOf('Reconnected — 2 missed messages restored');
      expect(notice).toBeGreaterThan(at[2] as number);
      expect(notice).toBeLessThan(at[3] as number);
      expect(shown.split('Reconnected —').length - 1).toBe(1);
      expect(shown).toMatch(/● connected/);
      bob.close();
    } finally {
      await gate.close();
    }
  });
});
