/**
 * Builds a complete, unmasked WebSocket text frame (RFC 6455 §5.2) in one buffer, so a
 * broadcast is encoded and framed once and the same bytes are written to every socket.
 */
export function encodeTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(headerLength(length) + length);
  writeTextFrame(frame, 0, text, length);
  return frame;
}

/**
 * Frames several messages back to back in one buffer (one allocation), so that a group of
 * broadcasts costs one write per recipient.
 */
export function encodeTextFrames<T>(items: readonly T[], toText: (item: T) => string): Buffer {
  if (items.length === 1) return encodeTextFrame(toText(items[0] as T));
  const texts: string[] = new Array(items.length);
  const lengths: number[] = new Array(items.length);
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const text = toText(items[i] as T);
    const length = Buffer.byteLength(text, 'utf8');
    texts[i] = text;
    lengths[i] = length;
    total += headerLength(length) + length;
  }
  const frames = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < items.length; i++) at = writeTextFrame(frames, at, texts[i] as string, lengths[i] as number);
  return frames;
}

function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/** Writes one frame of `text` (`length` UTF-8 bytes) at `at`; returns where it ends. */
function writeTextFrame(frame: Buffer, at: number, text: string, length: number): number {
  frame[at] = 0x81; // FIN + opcode 1 (text)
  let header = 2;
  if (length < 126) {
    frame[at + 1] = length;
  } else if (length < 65_536) {
    frame[at + 1] = 126;
    frame.writeUInt16BE(length, at + 2);
    header = 4;
  } else {
    frame[at + 1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
    frame.writeUInt32BE(length >>> 0, at + 6);
    header = 10;
  }
  frame.write(text, at + header, length, 'utf8');
  return at + header + length;
}
