/**
 * Encoding: frames to bytes, with the padding policy applied to DATA, HEADERS and PUSH_PROMISE,
 * and the helpers that tell what a frame will look like on the wire (length, flags, padding).
 */
import { ApiMisuseError } from '../errors';
import { Flag, FrameType, FRAME_HEADER_LENGTH, DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE } from './constants';
import { choosePadding, PaddingPolicy } from './padding';
import type { DataFrame, Frame, PrioritySpec, SettingEntry } from './types';

/** Write a 9-octet frame header into `target` at `offset` (RFC 9113 section 4.1). */
export function writeFrameHeader(target: Buffer, offset: number, length: number, type: number, flags: number, streamId: number): void {
  if (length > MAX_MAX_FRAME_SIZE) throw new ApiMisuseError(`frame payload of ${length} octets exceeds 2^24-1`);
  target[offset] = length >>> 16;
  target[offset + 1] = (length >>> 8) & 0xff;
  target[offset + 2] = length & 0xff;
  target[offset + 3] = type;
  target[offset + 4] = flags;
  // RFC 9113 section 4.1: the reserved bit "MUST remain unset (0x00) when sending". Octet by
  // octet, as above: a method call here (writeUInt32BE) is a property load V8 leaves to an
  // inline cache on every frame.
  target[offset + 5] = (streamId >>> 24) & 0x7f;
  target[offset + 6] = (streamId >>> 16) & 0xff;
  target[offset + 7] = (streamId >>> 8) & 0xff;
  target[offset + 8] = streamId & 0xff;
}

/** A 9-octet frame header on its own, for writev-style output (header, then the payload view). */
export function encodeFrameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
  writeFrameHeader(b, 0, length, type, flags, streamId);
  return b;
}

/** Options for `encodeFrame` beyond the padding policy. */
export interface EncodeOptions {
  /** Clamp padding so the payload stays within the peer's SETTINGS_MAX_FRAME_SIZE (default 16384). */
  maxFrameSize?: number;
}

/** Per-type description of an outgoing payload: its fixed fields and its variable body. */
interface Plan {
  flags: number;
  /** Octets written before the body (after a Pad Length octet when padded). */
  head: Buffer | null;
  body: Buffer | null;
  /** Padding overhead including the Pad Length octet (0: not padded). */
  pad: number;
}

function priorityBytes(p: PrioritySpec, into: Buffer, at: number): void {
  into.writeUInt32BE(((p.dependsOn & 0x7fffffff) | (p.exclusive ? 0x80000000 : 0)) >>> 0, at);
  into[at + 4] = (p.weight - 1) & 0xff;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** Throws ApiMisuseError unless `n` is an integer in lo..hi (the wire field can hold it). */
function field(name: string, n: unknown, lo: number, hi: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) {
    throw new ApiMisuseError(`${name} ${String(n)} does not fit its field (${lo}..${hi})`);
  }
}

/**
 * Check that a frame can be written at all: every numeric field fits its wire field. It does not
 * check protocol rules, so tests can still build frames a peer must reject (stream 0 DATA,
 * a zero window increment, ...).
 */
function checkRepresentable(frame: Frame): void {
  const f = frame as any;
  field('frame type', f.type, 0, 0xff);
  field('flags', f.flags, 0, 0xff);
  field('stream id', f.streamId, 0, 0x7fffffff);
  if (f.padLength !== undefined) field('padLength', f.padLength, 0, 255);
  if (f.priority !== undefined) {
    field('priority dependsOn', f.priority.dependsOn, 0, 0x7fffffff);
    field('priority weight', f.priority.weight, 1, 256);
  }
  if (f.errorCode !== undefined) field('error code', f.errorCode, 0, 0xffffffff);
  if (f.lastStreamId !== undefined) field('last stream id', f.lastStreamId, 0, 0x7fffffff);
  if (f.promisedStreamId !== undefined) field('promised stream id', f.promisedStreamId, 0, 0x7fffffff);
  if (f.prioritizedStreamId !== undefined) field('prioritized stream id', f.prioritizedStreamId, 0, 0x7fffffff);
  if (f.windowSizeIncrement !== undefined) field('window size increment', f.windowSizeIncrement, 0, 0x7fffffff);
  if (Array.isArray(f.settings)) {
    for (const e of f.settings) {
      field('setting id', e.id, 0, 0xffff);
      field('setting value', e.value, 0, 0xffffffff);
    }
  }
  // One test per name, not a loop over the names: a single `key in f` site that sees five names
  // and every frame shape goes megamorphic (~190 instructions a test, 5 per frame encoded).
  if ('data' in f) buffer('data', f.data);
  if ('fragment' in f) buffer('fragment', f.fragment);
  if ('payload' in f) buffer('payload', f.payload);
  if ('debugData' in f) buffer('debugData', f.debugData);
  if ('opaqueData' in f) buffer('opaqueData', f.opaqueData);
}

/** Throws ApiMisuseError unless the frame's field `name` holds a Buffer. */
function buffer(name: string, v: unknown): void {
  if (!Buffer.isBuffer(v)) throw new ApiMisuseError(`${name} must be a Buffer`);
}

function plan(frame: Frame, padding: PaddingPolicy | undefined, maxFrameSize: number): Plan {
  const f = frame as any;
  checkRepresentable(frame);
  if ('payload' in frame) return { flags: frame.flags, head: null, body: frame.payload, pad: 0 };
  switch (frame.type) {
    case FrameType.DATA: {
      const pad = choosePadding(padding, frame, frame.data.length, maxFrameSize);
      return { flags: (frame.flags & ~Flag.PADDED) | (pad ? Flag.PADDED : 0), head: null, body: frame.data, pad };
    }
    case FrameType.HEADERS: {
      let head: Buffer | null = null;
      if (frame.priority) {
        head = Buffer.allocUnsafe(5);
        priorityBytes(frame.priority, head, 0);
      }
      const unpadded = (head ? 5 : 0) + frame.fragment.length;
      const pad = choosePadding(padding, frame, unpadded, maxFrameSize);
      let flags = frame.flags & ~(Flag.PADDED | Flag.PRIORITY);
      if (pad) flags |= Flag.PADDED;
      if (head) flags |= Flag.PRIORITY;
      return { flags, head, body: frame.fragment, pad };
    }
    case FrameType.PRIORITY: {
      const head = Buffer.allocUnsafe(5);
      priorityBytes(frame.priority, head, 0);
      return { flags: frame.flags, head, body: null, pad: 0 };
    }
    case FrameType.RST_STREAM:
      return { flags: frame.flags, head: u32(frame.errorCode), body: null, pad: 0 };
    case FrameType.SETTINGS:
      return { flags: frame.flags, head: encodeSettingsPayload(frame.settings), body: null, pad: 0 };
    case FrameType.PUSH_PROMISE: {
      const head = u32(frame.promisedStreamId & 0x7fffffff);
      const pad = choosePadding(padding, frame, 4 + frame.fragment.length, maxFrameSize);
      return { flags: (frame.flags & ~Flag.PADDED) | (pad ? Flag.PADDED : 0), head, body: frame.fragment, pad };
    }
    case FrameType.PING:
      if (frame.opaqueData.length !== 8) throw new ApiMisuseError(`PING opaque data must be 8 octets, got ${frame.opaqueData.length}`);
      return { flags: frame.flags, head: null, body: frame.opaqueData, pad: 0 };
    case FrameType.GOAWAY: {
      const head = Buffer.allocUnsafe(8);
      head.writeUInt32BE(frame.lastStreamId & 0x7fffffff, 0);
      head.writeUInt32BE(frame.errorCode >>> 0, 4);
      return { flags: frame.flags, head, body: frame.debugData, pad: 0 };
    }
    case FrameType.WINDOW_UPDATE:
      return { flags: frame.flags, head: u32(frame.windowSizeIncrement & 0x7fffffff), body: null, pad: 0 };
    case FrameType.CONTINUATION:
      return { flags: frame.flags, head: null, body: frame.fragment, pad: 0 };
    case FrameType.ALTSVC: {
      const origin = Buffer.from(frame.origin, 'latin1');
      const head = Buffer.allocUnsafe(2 + origin.length);
      head.writeUInt16BE(origin.length, 0);
      origin.copy(head, 2);
      return { flags: frame.flags, head, body: Buffer.from(frame.fieldValue, 'latin1'), pad: 0 };
    }
    case FrameType.ORIGIN: {
      const parts: Buffer[] = [];
      for (const o of frame.origins) {
        const ob = Buffer.from(o, 'latin1');
        const len = Buffer.allocUnsafe(2);
        len.writeUInt16BE(ob.length, 0);
        parts.push(len, ob);
      }
      return { flags: frame.flags, head: null, body: Buffer.concat(parts), pad: 0 };
    }
    case FrameType.PRIORITY_UPDATE:
      return {
        flags: frame.flags,
        head: u32(frame.prioritizedStreamId & 0x7fffffff),
        body: Buffer.from(frame.priorityFieldValue, 'latin1'),
        pad: 0,
      };
    default:
      throw new ApiMisuseError(`cannot encode frame of type ${f.type} without a payload`);
  }
}

/**
 * Serialise a frame: the 9-octet header and its payload in one new Buffer. The encoder derives
 * PADDED (from `padding`, or from the frame's own `padLength` when no policy is given) and, on
 * HEADERS, PRIORITY (from `priority`); every other flag bit is taken from `frame.flags` as is.
 * Padding octets are zero (RFC 9113 section 6.1: "Padding octets MUST be set to zero when
 * sending."). `length` on the frame is ignored.
 */
export function encodeFrame(frame: Frame, padding?: PaddingPolicy, opts?: EncodeOptions): Buffer {
  const pl = plan(frame, padding, opts?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  const headLen = pl.head ? pl.head.length : 0;
  const bodyLen = pl.body ? pl.body.length : 0;
  const length = headLen + bodyLen + pl.pad;
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + length);
  writeFrameHeader(out, 0, length, frame.type, pl.flags, frame.streamId);
  let at = FRAME_HEADER_LENGTH;
  if (pl.pad) out[at++] = pl.pad - 1;
  if (pl.head) at += pl.head.copy(out, at);
  if (pl.body) at += pl.body.copy(out, at);
  if (pl.pad > 1) out.fill(0, at, at + pl.pad - 1);
  return out;
}

/**
 * Serialise a frame as a list of Buffers to write in order (header with fixed fields, then the
 * body as the caller's own view, then padding), so large DATA payloads are never copied. Same
 * rules as `encodeFrame`.
 */
export function encodeFrameParts(frame: Frame, padding?: PaddingPolicy, opts?: EncodeOptions): Buffer[] {
  const pl = plan(frame, padding, opts?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  const headLen = pl.head ? pl.head.length : 0;
  const bodyLen = pl.body ? pl.body.length : 0;
  const length = headLen + bodyLen + pl.pad;
  const first = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + (pl.pad ? 1 : 0) + headLen);
  writeFrameHeader(first, 0, length, frame.type, pl.flags, frame.streamId);
  let at = FRAME_HEADER_LENGTH;
  if (pl.pad) first[at++] = pl.pad - 1;
  if (pl.head) pl.head.copy(first, at);
  const parts: Buffer[] = [first];
  if (bodyLen) parts.push(pl.body!);
  if (pl.pad > 1) parts.push(Buffer.alloc(pl.pad - 1));
  return parts;
}

/**
 * The octets of a DATA (or any padded) frame that count against flow control: the whole payload,
 * Pad Length octet and padding included (RFC 9113 section 6.9.1: "The entire DATA frame payload
 * is included in flow control, including the Pad Length and Padding fields if present."). For a
 * parsed frame this is `length`; for an outgoing one it is computed from `data` and `padLength`.
 */
export function flowControlledLength(frame: DataFrame): number {
  if (frame.length !== undefined) return frame.length;
  return frame.data.length + (frame.padLength === undefined ? 0 : frame.padLength + 1);
}

/**
 * The payload length `encodeFrame(frame)` (no policy) would write: `frame.length` is not
 * consulted. Printers use it for frames that have not been through the parser.
 */
export function payloadLength(frame: Frame): number {
  const pl = plan(frame, undefined, MAX_MAX_FRAME_SIZE);
  return (pl.head ? pl.head.length : 0) + (pl.body ? pl.body.length : 0) + pl.pad;
}

/** The flags octet `encodeFrame(frame)` (no policy) would write (PADDED and PRIORITY derived). */
export function wireFlags(frame: Frame): number {
  return plan(frame, undefined, MAX_MAX_FRAME_SIZE).flags;
}

/**
 * Resolve a padding policy for one outgoing frame: returns a copy of a DATA, HEADERS or
 * PUSH_PROMISE frame with `padLength`, `flags` and `length` exactly as they will go on the wire
 * (other frames get `flags` and `length` filled in). Encode the result with no policy, and
 * print or account for flow control from the same object, so a random policy is drawn once.
 */
export function withPadding<F extends Frame>(frame: F, padding?: PaddingPolicy, opts?: EncodeOptions): F {
  const pl = plan(frame, padding, opts?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  const length = (pl.head ? pl.head.length : 0) + (pl.body ? pl.body.length : 0) + pl.pad;
  const out = { ...frame, flags: pl.flags, length };
  if (frame.type === FrameType.DATA || frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE) {
    if (!('payload' in frame)) (out as any).padLength = pl.pad ? pl.pad - 1 : undefined;
  }
  return out;
}

/**
 * A SETTINGS payload (RFC 9113 section 6.5.1: a 16-bit identifier and a 32-bit value per entry),
 * for a SETTINGS frame and for the HTTP2-Settings header of an h2c Upgrade alike.
 */
export function encodeSettingsPayload(entries: readonly SettingEntry[]): Buffer {
  const b = Buffer.allocUnsafe(entries.length * 6);
  for (let i = 0; i < entries.length; i++) {
    b.writeUInt16BE(entries[i].id & 0xffff, i * 6);
    b.writeUInt32BE(entries[i].value >>> 0, i * 6 + 2);
  }
  return b;
}
