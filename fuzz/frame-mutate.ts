/**
 * Structure-aware edits for inputs that are HTTP/2 frame sequences: the input is cut into frames
 * by their length fields (after the client preface, when it starts with one) and edited frame
 * by frame (duplicate, drop, swap, move to another stream, new flags or type, a frame from
 * another input, a payload grown or cut), always with the length fields kept right, so the
 * edits reach the session's state machine instead of ending in a framing error.
 */
import type { Rng } from './mutate';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const STREAM_IDS = [0, 1, 2, 3, 5, 7, 4, 0x7fffffff];

/** Where the frames of `buf` lie: [start, end) of each whole frame, the head before and the tail after. */
function cut(buf: Buffer): { head: Buffer; frames: Buffer[]; tail: Buffer } {
  const start = buf.length >= PREFACE.length && buf.subarray(0, PREFACE.length).equals(PREFACE) ? PREFACE.length : 0;
  const frames: Buffer[] = [];
  let off = start;
  while (off + 9 <= buf.length) {
    const end = off + 9 + buf.readUIntBE(off, 3);
    if (end > buf.length) break;
    frames.push(buf.subarray(off, end));
    off = end;
  }
  return { head: buf.subarray(0, start), frames, tail: buf.subarray(off) };
}

function withLength(payload: Buffer, header: Buffer): Buffer {
  const f = Buffer.concat([header.subarray(0, 9), payload]);
  f.writeUIntBE(payload.length, 0, 3);
  return f;
}

/** One frame-level edit of `buf`, `other` giving frames to splice in; null when `buf` has no frame. */
export function editFrames(rng: Rng, buf: Buffer, other: Buffer): Buffer | null {
  const { head, frames, tail } = cut(buf);
  if (frames.length === 0) return null;
  const i = rng.below(frames.length);
  const f = Buffer.from(frames[i]);
  switch (rng.below(8)) {
    case 0: // duplicate a frame somewhere
      frames.splice(rng.below(frames.length + 1), 0, f);
      break;
    case 1: // drop a frame
      frames.splice(i, 1);
      break;
    case 2: {
      // swap two frames
      const j = rng.below(frames.length);
      [frames[i], frames[j]] = [frames[j], frames[i]];
      break;
    }
    case 3: // move a frame to another stream
      f.writeUInt32BE(STREAM_IDS[rng.below(STREAM_IDS.length)] >>> 0, 5);
      frames[i] = f;
      break;
    case 4: // new flags (one bit toggled, or all new)
      f[4] = rng.below(2) ? f[4] ^ (1 << rng.below(8)) : rng.below(256);
      frames[i] = f;
      break;
    case 5: // another type, same payload
      f[3] = rng.below(4) ? rng.below(11) : rng.below(256);
      frames[i] = f;
      break;
    case 6: {
      // a frame of the other input
      const theirs = cut(other).frames;
      if (theirs.length === 0) return null;
      frames.splice(rng.below(frames.length + 1), 0, theirs[rng.below(theirs.length)]);
      break;
    }
    default: {
      // payload cut short or grown by a few octets, length field following
      const payload = f.subarray(9);
      const grown = Buffer.alloc(1 + rng.below(8), rng.below(256));
      frames[i] = withLength(
        rng.below(2) && payload.length ? payload.subarray(0, rng.below(payload.length)) : Buffer.concat([payload, grown]),
        f,
      );
      break;
    }
  }
  return Buffer.concat([head, ...frames, tail]);
}
