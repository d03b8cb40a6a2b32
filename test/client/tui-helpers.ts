import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach } from 'vitest';
import { ChatApp } from '../../src/cli/chat/app.js';
import type { C2Client } from '../../src/client/c2-client.js';
import { NodeC2Client } from '../../src/client/node.js';
import { eventually } from '../helpers/eventually.js';

export const KEY = {
  enter: '\r',
  up: '\u001b[A',
  down: '\u001b[B',
  left: '\u001b[D',
  right: '\u001b[C',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  escape: '\u001b',
  backspace: '\u007f',
  tab: '\t',
  ctrlC: '\u0003',
  ctrlU: '\u0015',
  ctrlW: '\u0017',
};

/** The terminal client on a fake terminal (ink-testing-library), talking to a real server. */
export function renderChat(url: string, username?: string, client: C2Client = new NodeC2Client()) {
  const exits: Array<{ code: number; message?: string }> = [];
  const app = render(
    createElement(ChatApp, {
      client,
      url,
      ...(username === undefined ? {} : { username }),
      onExit: (code: number, message?: string) => exits.push(message === undefined ? { code } : { code, message }),
    }),
  );
  mounted.push({ unmount: app.unmount, client });
  // Without colours: whether they are on depends on the terminal the tests run in.
  const frame = () => (app.lastFrame() ?? '').replace(/\u001b\[[0-9;]*m/g, '');
  return {
    /** The fake terminal's output stream (to fake a resize). */
    stdout: app.stdout as unknown as { rows?: number; emit(event: string): boolean },
    client,
    exits,
    frame,
    /** The screen's rows. */
    lines: () => frame().split('\n'),
    /** The input line (the last row). */
    input: () => frame().split('\n').at(-1) ?? '',
    /** Waits until the screen shows `text` (or matches it). */
    async waitFor(text: string | RegExp, timeoutMs = 5000): Promise<string> {
      return eventually(
        () => {
          const f = frame();
          return (typeof text === 'string' ? f.includes(text) : text.test(f)) && f;
        },
        () => `the screen to show ${text}; it shows:\n${frame()}`,
        timeoutMs,
      );
    },
    /**
     * Types keys, one write per key as a terminal sends them, letting Ink handle each.
     * A string that is not a KEY value is typed as text.
     */
    async type(...keys: string[]): Promise<void> {
      for (const key of keys) {
        // Ink reads the terminal only while an input is mounted; the fake terminal, unlike
        // a real one, does not keep what is typed in between.
        await eventually(() => app.stdin.listenerCount('readable') > 0, 'an input to listen');
        app.stdin.write(key);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async waitExit(): Promise<{ code: number; message?: string }> {
      return eventually(() => exits[0], 'the app to exit');
    },
  };
}

const mounted: Array<{ unmount(): void; client: C2Client }> = [];
afterEach(async () => {
  for (const m of mounted.splice(0)) {
    m.unmount();
    await m.client.disconnect();
  }
});
