/**
 * The hostile-frame corpus (test/corpus/chat-frames.jsonl): one JSON object a line, each
 * a case run on its own fresh attacker connection. See test/corpus/README.md for the format.
 */
import { readFileSync } from 'node:fs';
import { encodeFrame, type FrameSpec, Opcode } from './raw-ws.js';

export interface WireFrame {
  opcode: number;
  fin?: boolean;
  rsv?: number;
  masked?: boolean;
  text?: string;
  hex?: string;
  padTo?: number;
  pad?: string;
  lengthOverride?: number;
}

export type Step =
  | { text: string; repeat?: number; padTo?: number; pad?: string }
  | { hex: string }
  | { binary: string; repeat?: number }
  | { binaryHex: string }
  | { frame: WireFrame }
  | { raw: string };

export type Expectation =
  | { error: string; code?: string; repeat?: number }
  | { frame: string; repeat?: number }
  | { match: string }
  | { close: number };

export interface CorpusCase {
  name: string;
  /** The attacker's state when the case starts. */
  as: 'unregistered' | 'connected';
  send: Step[];
  /** What the attacker receives, in order. */
  expect: Expectation[];
  /** What the bystander receives meanwhile (default: the attacker's departure, if it was connected). */
  bystander?: string[];
}

export const CORPUS_FILE = new URL('../corpus/chat-frames.jsonl', import.meta.url);

export function loadCorpus(file: URL = CORPUS_FILE): CorpusCase[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as CorpusCase;
      } catch (err) {
        throw new Error(`${file.pathname}:${i + 1}: ${(err as Error).message}`);
      }
    });
}

/** Pads `text` with `pad` to exactly `bytes` bytes of UTF-8. */
function padded(text: string, bytes: number | undefined, pad = 'x'): Buffer {
  const head = Buffer.from(text, 'utf8');
  if (bytes === undefined) return head;
  const unit = Buffer.from(pad, 'utf8');
  const room = bytes - head.length;
  if (room < 0 || room % unit.length !== 0) throw new Error(`cannot pad ${JSON.stringify(text)} to ${bytes} bytes`);
  return Buffer.concat([head, Buffer.alloc(room, unit)]);
}

function wireFrame(f: WireFrame): FrameSpec {
  const payload = f.hex !== undefined ? Buffer.from(f.hex, 'hex') : padded(f.text ?? '', f.padTo, f.pad);
  return {
    opcode: f.opcode,
    ...(f.fin === undefined ? {} : { fin: f.fin }),
    ...(f.rsv === undefined ? {} : { rsv: f.rsv }),
    ...(f.masked === undefined ? {} : { masked: f.masked }),
    ...(f.lengthOverride === undefined ? {} : { lengthOverride: f.lengthOverride }),
    payload,
  };
}

/** The bytes a step puts on the wire (placeholders in text already substituted). */
export function stepBytes(step: Step, fill: (text: string) => string): Buffer {
  if ('raw' in step) return Buffer.from(step.raw, 'hex');
  if ('frame' in step) return encodeFrame(wireFrame(step.frame));
  if ('hex' in step) return encodeFrame({ opcode: Opcode.text, payload: Buffer.from(step.hex, 'hex') });
  if ('binaryHex' in step) return encodeFrame({ opcode: Opcode.binary, payload: Buffer.from(step.binaryHex, 'hex') });
  const times = step.repeat ?? 1;
  const one =
    'binary' in step
      ? encodeFrame({ opcode: Opcode.binary, payload: step.binary })
      : encodeFrame({ opcode: Opcode.text, payload: padded(fill(step.text), step.padTo, step.pad) });
  return times === 1 ? one : Buffer.concat(Array.from({ length: times }, () => one));
}
