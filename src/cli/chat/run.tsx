/**
 * Runs the terminal client on the process's terminal until it is done; resolves with the
 * exit code. Imported lazily by `c2 chat`, so other commands never load React and Ink.
 */
import { render } from 'ink';
import { NodeC2Client } from '../../client/node.js';
import { ChatApp } from './app.js';

export interface RunChatOptions {
  url: string;
  username?: string;
}

export async function runChat({ url, username }: RunChatOptions): Promise<{ code: number; message?: string }> {
  const client = new NodeC2Client({ reconnect: true });
  let done!: (result: { code: number; message?: string }) => void;
  const finished = new Promise<{ code: number; message?: string }>((resolve) => {
    done = resolve;
  });
  const onExit = (code: number, message?: string) => done(message === undefined ? { code } : { code, message });
  // Killed or the terminal closed: still leave properly, so the others see "left". (Ink's
  // signal-exit re-raises a signal only when nobody else listens: these listeners stay on.)
  const onSignal = () => void client.disconnect().then(() => onExit(0));
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const instance = render(<ChatApp client={client} url={url} username={username} onExit={onExit} />, {
    exitOnCtrlC: false,
    patchConsole: true,
  });
  const result = await finished;
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  instance.unmount();
  await instance.waitUntilExit().catch(() => {});
  await client.disconnect();
  return result;
}
