/** Shared helpers of the frame specs: the repo root, the frame vectors, and hex/frame conversions. */
import fs from 'fs';
import path from 'path';
import type { Frame } from '../../../lib/protocol/frame/types';
import { repoRoot } from '../../helpers/repo';
export { repoRoot };

/** The repository root: the nearest directory above this file holding package.json. */

/** One byte-exact vector from vectors/frames/frames.json. */
export interface FrameVector {
  name: string;
  hex: string;
  frame: Frame;
  parseOnly?: boolean;
}

/** JSON reviver: "hex:.." strings become Buffers. */
export function reviveHex(_key: string, v: unknown): unknown {
  return typeof v === 'string' && v.startsWith('hex:') ? Buffer.from(v.slice(4), 'hex') : v;
}

export function loadVectors(): FrameVector[] {
  const text = fs.readFileSync(path.join(repoRoot(), 'vectors/frames/frames.json'), 'utf8');
  return JSON.parse(text, reviveHex) as FrameVector[];
}

/** A frame as plain data for deepEqual: Buffers as hex, undefined fields dropped. */
export function plain(f: unknown): unknown {
  return JSON.parse(
    JSON.stringify(f, (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? 'hex:' + Buffer.from(v.data).toString('hex') : v)),
  );
}

export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
