import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeTextFrame } from '../../src/server/frame.js';
import { TokenBucket } from '../../src/server/token-bucket.js';

/** ws's frame parser (not in its type declarations). */
interface FrameReceiver {
  on(event: 'message', listener: (data: Buffer) => void): void;
  write(chunk: Buffer): void;
}
const Receiver = (createRequire(import.meta.url)('ws') as { Receiver: unknown }).Receiver as new (options: {
  isServer: boolean;
  maxPayload: number;
}) => FrameReceiver;

/** Decodes frames with ws's own receiver, as a client would. */
function decode(frame: Buffer): string[] {
  const out: string[] = [];
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  receiver.on('message', (data: Buffer) => out.push(data.toString('utf8')));
  receiver.write(frame);
  return out;
}

describe('encodeTextFrame', () => {
  it('produces frames a WebSocket receiver decodes, at every length class', () => {
    for (const text of [
      '',
      'c2/MSG a; b',
      'é'.repeat(62),
      'x'.repeat(125),
      'x'.repeat(126),
      'ü'.repeat(40_000),
      'y'.repeat(70_000),
    ]) {
      expect(decode(encodeTextFrame(text))).toEqual([text]);
    }
  });

  it('uses the shortest length encoding', () => {
    expect(encodeTextFrame('x'.repeat(125)).length).toBe(127);
    expect(encodeTextFrame('x'.repeat(126)).length).toBe(130);
    expect(encodeTextFrame('x'.repeat(65_536)).length).toBe(65_546);
  });
});

describe('TokenBucket', () => {
  it('allows a burst then the rate', () => {
    const bucket = new TokenBucket(5, 10, 0);
    let granted = 0;
    for (let i = 0; i < 20; i++) if (bucket.take(0)) granted++;
    expect(granted).toBe(10);
    expect(bucket.take(100)).toBe(false); // 0.5 token
    expect(bucket.take(200)).toBe(true); // 1 token after 200 ms at 5/s
    expect(bucket.take(200)).toBe(false);
    let later = 0;
    for (let i = 0; i < 20; i++) if (bucket.take(10_000)) later++;
    expect(later).toBe(10); // never more than the burst
  });
});
