/** `c2 chat` refusing to start: readable errors, a non-zero exit, no stack trace. Needs the build. */
import { describe, expect, it } from 'vitest';
import { runC2 } from '../helpers/process.js';

function noStack(lines: string[]): void {
  expect(lines.join('\n')).not.toMatch(/^\s+at /m);
}

describe('c2 chat: refusals', () => {
  it('a URL that is not a WebSocket URL', async () => {
    const proc = runC2(['chat', 'http://127.0.0.1:5000']);
    expect(await proc.exited()).toBe(1);
    expect(proc.stderr.join('\n')).toContain('"http://127.0.0.1:5000" is not a WebSocket URL; expected ws://host:port');
    noStack(proc.stderr);
  });

  it('no URL at all', async () => {
    const proc = runC2(['chat']);
    expect(await proc.exited()).toBe(1);
    expect(proc.stderr.join('\n')).toContain("missing required argument 'url'");
  });

  it('standard input that is not a terminal', async () => {
    const proc = runC2(['chat', 'ws://127.0.0.1:1', '--username', 'alice']);
    expect(await proc.exited()).toBe(1);
    expect(proc.stderr.join('\n')).toContain('c2 chat is interactive: run it in a terminal');
    noStack(proc.stderr);
  });
});
