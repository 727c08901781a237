/**
 * Parsing: one function per frame type in a table indexed by the type octet, each enforcing
 * the frame-local rules of RFC 9113 (see codec.ts for which checks live here and which in the
 * session). Payload fields of the result are views into the given payload: no copies.
 */
import { ConnectionError, ErrorCode, StreamError } from '../errors';
import { Flag, FrameType, FRAME_HEADER_LENGTH, MAX_WINDOW_SIZE, Setting, DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE } from './constants';
import type {
  AltsvcFrame,
  ContinuationFrame,
  DataFrame,
  Frame,
  GoawayFrame,
  HeadersFrame,
  OriginFrame,
  PingFrame,
  PriorityFrame,
  PrioritySpec,
  PriorityUpdateFrame,
  PushPromiseFrame,
  RstStreamFrame,
  SettingEntry,
  SettingsFrame,
  UnknownFrame,
  WindowUpdateFrame,
} from './types';

/** Limits the parser enforces that come from our own SETTINGS. */
export interface FrameLimits {
  /** Our SETTINGS_MAX_FRAME_SIZE (the largest payload we accept), 16384..16777215. */
  maxFrameSize: number;
}

type Parser = (flags: number, streamId: number, p: Buffer) => Frame;

const { PROTOCOL_ERROR, FRAME_SIZE_ERROR, FLOW_CONTROL_ERROR } = ErrorCode;

/**
 * The frame size error every fixed-length or too-short check raises. RFC 9113 section 4.2: "A
 * frame size error in a frame that could alter the state of the entire connection MUST be
 * treated as a connection error (Section 5.4.1); this includes any frame carrying a field block
 * (that is, HEADERS, PUSH_PROMISE, and CONTINUATION), a SETTINGS frame, and any frame with a
 * stream identifier of 0."
 */
function frameSizeError(name: string, detail: string): ConnectionError {
  return new ConnectionError(FRAME_SIZE_ERROR, `${name} frame: ${detail}`);
}

/**
 * Where the content of a PADDED payload ends. Returns the Pad Length field value; the caller
 * reads content from `start` (after the Pad Length octet and any fixed fields) to
 * `p.length - padLength`.
 */
function readPadLength(name: string, p: Buffer, fixed: number): number {
  // RFC 9113 section 4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame
  // ... is too small to contain mandatory frame data."
  if (p.length < 1 + fixed) throw frameSizeError(name, `payload of ${p.length} octets too short for its fields`);
  const padLength = p[0];
  // RFC 9113 section 6.1 (likewise 6.2, 6.6): "If the length of the padding is the length of the
  // frame payload or greater, the recipient MUST treat this as a connection error (Section
  // 5.4.1) of type PROTOCOL_ERROR."
  if (padLength > p.length - 1 - fixed) {
    throw new ConnectionError(PROTOCOL_ERROR, `${name} frame: Pad Length ${padLength} exceeds the payload (${p.length} octets)`);
  }
  return padLength;
}

function readPriority(p: Buffer, at: number): PrioritySpec {
  const dep = p.readUInt32BE(at);
  return { exclusive: (dep & 0x80000000) !== 0, dependsOn: dep & 0x7fffffff, weight: p[at + 4] + 1 };
}

function parseData(flags: number, streamId: number, p: Buffer): DataFrame {
  // RFC 9113 section 6.1: "If a DATA frame is received whose Stream Identifier field is 0x00, the
  // recipient MUST respond with a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'DATA frame on stream 0');
  let padLength: number | undefined;
  let data: Buffer;
  if (flags & Flag.PADDED) {
    padLength = readPadLength('DATA', p, 0);
    data = p.subarray(1, p.length - padLength);
  } else {
    data = p;
  }
  return { type: FrameType.DATA, flags, streamId, length: p.length, padLength, data };
}

function parseHeaders(flags: number, streamId: number, p: Buffer): HeadersFrame {
  // RFC 9113 section 6.2: "If a HEADERS frame is received whose Stream Identifier field is 0x00,
  // the recipient MUST respond with a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'HEADERS frame on stream 0');
  const fixed = flags & Flag.PRIORITY ? 5 : 0;
  let padLength: number | undefined;
  let start = 0;
  let end = p.length;
  if (flags & Flag.PADDED) {
    padLength = readPadLength('HEADERS', p, fixed);
    start = 1;
    end -= padLength;
  } else if (p.length < fixed) {
    // RFC 9113 section 4.2: "... or is too small to contain mandatory frame data."
    throw frameSizeError('HEADERS', `payload of ${p.length} octets too short for the priority fields`);
  }
  let priority: PrioritySpec | undefined;
  if (fixed) {
    priority = readPriority(p, start);
    start += 5;
    // RFC 7540 section 5.3.1 (the priority scheme RFC 9113 deprecates; its fields are still
    // parsed): "A stream cannot depend on itself. An endpoint MUST treat this as a stream error
    // (Section 5.4.2) of type PROTOCOL_ERROR." On HEADERS a stream error would
    // drop the field block and desynchronise HPACK (section 4.3), so, as nghttp2 does, this is
    // raised as a connection error.
    if (priority.dependsOn === streamId) {
      throw new ConnectionError(PROTOCOL_ERROR, `HEADERS frame: stream ${streamId} depends on itself`);
    }
  }
  // The payload itself when nothing is cut off (no padding, no priority): one view per frame, not two.
  const fragment = start === 0 && end === p.length ? p : p.subarray(start, end);
  return { type: FrameType.HEADERS, flags, streamId, length: p.length, padLength, priority, fragment };
}

function parsePriority(flags: number, streamId: number, p: Buffer): PriorityFrame {
  // RFC 9113 section 6.3: "If a PRIORITY frame is received with a stream identifier of 0x00, the
  // recipient MUST respond with a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'PRIORITY frame on stream 0');
  // RFC 9113 section 6.3: "A PRIORITY frame with a length other than 5 octets MUST be treated as
  // a stream error (Section 5.4.2) of type FRAME_SIZE_ERROR."
  if (p.length !== 5)
    throw new StreamError(FRAME_SIZE_ERROR, streamId, `PRIORITY frame: length ${p.length}, must be 5`, FrameType.PRIORITY);
  const priority = readPriority(p, 0);
  // RFC 7540 section 5.3.1 (the priority scheme RFC 9113 deprecates; its fields are still
  // parsed): "A stream cannot depend on itself. An endpoint MUST treat this as a stream error
  // (Section 5.4.2) of type PROTOCOL_ERROR."
  if (priority.dependsOn === streamId) {
    throw new StreamError(PROTOCOL_ERROR, streamId, `PRIORITY frame: stream ${streamId} depends on itself`, FrameType.PRIORITY);
  }
  return { type: FrameType.PRIORITY, flags, streamId, length: 5, priority };
}

function parseRstStream(flags: number, streamId: number, p: Buffer): RstStreamFrame {
  // RFC 9113 section 6.4: "If a RST_STREAM frame is received with a stream identifier of 0x00,
  // the recipient MUST treat this as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'RST_STREAM frame on stream 0');
  // RFC 9113 section 6.4: "A RST_STREAM frame with a length other than 4 octets MUST be treated
  // as a connection error (Section 5.4.1) of type FRAME_SIZE_ERROR."
  if (p.length !== 4) throw frameSizeError('RST_STREAM', `length ${p.length}, must be 4`);
  return { type: FrameType.RST_STREAM, flags, streamId, length: 4, errorCode: p.readUInt32BE(0) };
}

/**
 * Check one SETTINGS value. Exported for the session, which applies the same rules when it
 * is handed settings from elsewhere (an h2c HTTP2-Settings header).
 */
export function validateSetting(id: number, value: number): void {
  switch (id) {
    case Setting.ENABLE_PUSH:
      // RFC 9113 section 6.5.2: "Any value other than 0 or 1 MUST be treated as a connection
      // error (Section 5.4.1) of type PROTOCOL_ERROR."
      if (value > 1) throw new ConnectionError(PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}, must be 0 or 1`);
      break;
    case Setting.INITIAL_WINDOW_SIZE:
      // RFC 9113 section 6.5.2: "Values above the maximum flow-control window size of 2^31-1
      // MUST be treated as a connection error (Section 5.4.1) of type FLOW_CONTROL_ERROR."
      if (value > MAX_WINDOW_SIZE) throw new ConnectionError(FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value} above 2^31-1`);
      break;
    case Setting.MAX_FRAME_SIZE:
      // RFC 9113 section 6.5.2: "The value advertised by an endpoint MUST be between this initial
      // value and the maximum allowed frame size (2^24-1 or 16,777,215 octets), inclusive. Values
      // outside this range MUST be treated as a connection error (Section 5.4.1) of type
      // PROTOCOL_ERROR."
      if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
        throw new ConnectionError(PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value} outside 16384..16777215`);
      }
      break;
    case Setting.ENABLE_CONNECT_PROTOCOL:
      // RFC 8441 section 3 defines only the values 0 and 1 for this setting; nghttp2 answers any
      // other value with a connection error of type PROTOCOL_ERROR, and so does this codec.
      // (Turning it from 1 back to 0 is a state check, the session's.)
      if (value > 1) throw new ConnectionError(PROTOCOL_ERROR, `SETTINGS_ENABLE_CONNECT_PROTOCOL ${value}, must be 0 or 1`);
      break;
    case Setting.NO_RFC7540_PRIORITIES:
      // RFC 9218 section 2.1: "The value of SETTINGS_NO_RFC7540_PRIORITIES MUST be 0 or 1. Any
      // value other than 0 or 1 MUST be treated as a connection error (see Section 5.4.1 of
      // [HTTP/2]) of type PROTOCOL_ERROR."
      if (value > 1) throw new ConnectionError(PROTOCOL_ERROR, `SETTINGS_NO_RFC7540_PRIORITIES ${value}, must be 0 or 1`);
      break;
    default:
      // RFC 9113 section 6.5.2: "An endpoint that receives a SETTINGS frame with any unknown or
      // unsupported identifier MUST ignore that setting." It is kept in the list as a number.
      break;
  }
}

function parseSettings(flags: number, streamId: number, p: Buffer): SettingsFrame {
  // RFC 9113 section 6.5: "If an endpoint receives a SETTINGS frame whose Stream Identifier field
  // is anything other than 0x00, the endpoint MUST respond with a connection error (Section
  // 5.4.1) of type PROTOCOL_ERROR."
  if (streamId !== 0) throw new ConnectionError(PROTOCOL_ERROR, `SETTINGS frame on stream ${streamId}`);
  if (flags & Flag.ACK) {
    // RFC 9113 section 6.5: "Receipt of a SETTINGS frame with the ACK flag set and a length field
    // value other than 0 MUST be treated as a connection error (Section 5.4.1) of type
    // FRAME_SIZE_ERROR."
    if (p.length !== 0) throw frameSizeError('SETTINGS', `ACK with length ${p.length}, must be 0`);
    return { type: FrameType.SETTINGS, flags, streamId, length: 0, settings: [] };
  }
  // RFC 9113 section 6.5: "A SETTINGS frame with a length other than a multiple of 6 octets MUST
  // be treated as a connection error (Section 5.4.1) of type FRAME_SIZE_ERROR."
  if (p.length % 6 !== 0) throw frameSizeError('SETTINGS', `length ${p.length} not a multiple of 6`);
  const settings: SettingEntry[] = [];
  for (let i = 0; i < p.length; i += 6) {
    const id = p.readUInt16BE(i);
    const value = p.readUInt32BE(i + 2);
    validateSetting(id, value);
    settings.push({ id, value });
  }
  return { type: FrameType.SETTINGS, flags, streamId, length: p.length, settings };
}

function parsePushPromise(flags: number, streamId: number, p: Buffer): PushPromiseFrame {
  // RFC 9113 section 6.6: "If the Stream Identifier field specifies the value 0x00, a recipient
  // MUST respond with a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'PUSH_PROMISE frame on stream 0');
  let padLength: number | undefined;
  let start = 0;
  let end = p.length;
  if (flags & Flag.PADDED) {
    padLength = readPadLength('PUSH_PROMISE', p, 4);
    start = 1;
    end -= padLength;
  } else if (p.length < 4) {
    // RFC 9113 section 4.2: "... or is too small to contain mandatory frame data."
    throw frameSizeError('PUSH_PROMISE', `payload of ${p.length} octets too short for the Promised Stream ID`);
  }
  const promisedStreamId = p.readUInt32BE(start) & 0x7fffffff;
  // RFC 9113 section 6.6: "The promised stream identifier MUST be a valid choice for the next
  // stream sent by the sender" — stream 0 never is (which ids are valid next is the session's).
  if (promisedStreamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'PUSH_PROMISE frame promises stream 0');
  return {
    type: FrameType.PUSH_PROMISE,
    flags,
    streamId,
    length: p.length,
    padLength,
    promisedStreamId,
    fragment: p.subarray(start + 4, end),
  };
}

function parsePing(flags: number, streamId: number, p: Buffer): PingFrame {
  // RFC 9113 section 6.7: "If a PING frame is received with a Stream Identifier field value other
  // than 0x00, the recipient MUST respond with a connection error (Section 5.4.1) of type
  // PROTOCOL_ERROR."
  if (streamId !== 0) throw new ConnectionError(PROTOCOL_ERROR, `PING frame on stream ${streamId}`);
  // RFC 9113 section 6.7: "Receipt of a PING frame with a length field value other than 8 MUST be
  // treated as a connection error (Section 5.4.1) of type FRAME_SIZE_ERROR."
  if (p.length !== 8) throw frameSizeError('PING', `length ${p.length}, must be 8`);
  return { type: FrameType.PING, flags, streamId, length: 8, opaqueData: p };
}

function parseGoaway(flags: number, streamId: number, p: Buffer): GoawayFrame {
  // RFC 9113 section 6.8: "An endpoint MUST treat a GOAWAY frame with a stream identifier other
  // than 0x00 as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
  if (streamId !== 0) throw new ConnectionError(PROTOCOL_ERROR, `GOAWAY frame on stream ${streamId}`);
  // RFC 9113 section 4.2: "... or is too small to contain mandatory frame data." (8 octets of
  // Last-Stream-ID and Error Code)
  if (p.length < 8) throw frameSizeError('GOAWAY', `length ${p.length}, must be at least 8`);
  return {
    type: FrameType.GOAWAY,
    flags,
    streamId,
    length: p.length,
    lastStreamId: p.readUInt32BE(0) & 0x7fffffff,
    errorCode: p.readUInt32BE(4),
    debugData: p.subarray(8),
  };
}

function parseWindowUpdate(flags: number, streamId: number, p: Buffer): WindowUpdateFrame {
  // RFC 9113 section 6.9: "A WINDOW_UPDATE frame with a length other than 4 octets MUST be
  // treated as a connection error (Section 5.4.1) of type FRAME_SIZE_ERROR."
  if (p.length !== 4) throw frameSizeError('WINDOW_UPDATE', `length ${p.length}, must be 4`);
  const windowSizeIncrement = p.readUInt32BE(0) & 0x7fffffff;
  // RFC 9113 section 6.9: "A receiver MUST treat the receipt of a WINDOW_UPDATE frame with a
  // flow-control window increment of 0 as a stream error (Section 5.4.2) of type PROTOCOL_ERROR;
  // errors on the connection flow-control window MUST be treated as a connection error (Section
  // 5.4.1)."
  if (windowSizeIncrement === 0) {
    if (streamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'WINDOW_UPDATE frame with increment 0 on the connection');
    throw new StreamError(PROTOCOL_ERROR, streamId, `WINDOW_UPDATE frame with increment 0 on stream ${streamId}`, FrameType.WINDOW_UPDATE);
  }
  return { type: FrameType.WINDOW_UPDATE, flags, streamId, length: 4, windowSizeIncrement };
}

function parseContinuation(flags: number, streamId: number, p: Buffer): ContinuationFrame {
  // RFC 9113 section 6.10: "If a CONTINUATION frame is received with a Stream Identifier field of
  // 0x00, the recipient MUST respond with a connection error (Section 5.4.1) of type
  // PROTOCOL_ERROR."
  if (streamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'CONTINUATION frame on stream 0');
  return { type: FrameType.CONTINUATION, flags, streamId, length: p.length, fragment: p };
}

function unknown(type: number, flags: number, streamId: number, p: Buffer): UnknownFrame {
  return { type, flags, streamId, length: p.length, payload: p };
}

function parseAltsvc(flags: number, streamId: number, p: Buffer): Frame {
  // RFC 7838 section 4: the payload is Origin-Len (16 bits), Origin, Alt-Svc-Field-Value. The
  // frame is advisory ("A device acting as a server MUST ignore it", and malformed ones are to be
  // ignored too), so a payload too short for its own Origin-Len comes back as an UnknownFrame,
  // which receivers ignore, rather than as an error that would end the connection. (nghttpd,
  // which does not take ALTSVC, ignores such frames as well.)
  if (p.length < 2) return unknown(FrameType.ALTSVC, flags, streamId, p);
  const originLength = p.readUInt16BE(0);
  if (originLength > p.length - 2) return unknown(FrameType.ALTSVC, flags, streamId, p);
  const frame: AltsvcFrame = {
    type: FrameType.ALTSVC,
    flags,
    streamId,
    length: p.length,
    origin: p.toString('latin1', 2, 2 + originLength),
    fieldValue: p.toString('latin1', 2 + originLength, p.length),
  };
  return frame;
}

function parseOrigin(flags: number, streamId: number, p: Buffer): Frame {
  // RFC 8336 section 2: a sequence of Origin-Entry (Origin-Len 16 bits, ASCII-Origin). nghttp2
  // ignores an ORIGIN frame it cannot parse; here it comes back as an UnknownFrame, which
  // receivers ignore.
  const origins: string[] = [];
  for (let i = 0; i < p.length; ) {
    if (i + 2 > p.length) return unknown(FrameType.ORIGIN, flags, streamId, p);
    const n = p.readUInt16BE(i);
    if (i + 2 + n > p.length) return unknown(FrameType.ORIGIN, flags, streamId, p);
    origins.push(p.toString('latin1', i + 2, i + 2 + n));
    i += 2 + n;
  }
  const frame: OriginFrame = { type: FrameType.ORIGIN, flags, streamId, length: p.length, origins };
  return frame;
}

function parsePriorityUpdate(flags: number, streamId: number, p: Buffer): PriorityUpdateFrame {
  // RFC 9218 section 7.1: "The Stream Identifier field (see Section 5.1.1 of [HTTP/2]) in the
  // PRIORITY_UPDATE frame header MUST be zero (0x0). Receiving a PRIORITY_UPDATE frame with a
  // field of any other value MUST be treated as a connection error of type PROTOCOL_ERROR."
  if (streamId !== 0) throw new ConnectionError(PROTOCOL_ERROR, `PRIORITY_UPDATE frame on stream ${streamId}`);
  // RFC 9113 section 4.2: "... or is too small to contain mandatory frame data."
  if (p.length < 4) throw frameSizeError('PRIORITY_UPDATE', `length ${p.length}, must be at least 4`);
  const prioritizedStreamId = p.readUInt32BE(0) & 0x7fffffff;
  // RFC 9218 section 7.1: "If a PRIORITY_UPDATE frame is received with a Prioritized Stream ID
  // of 0x00, the recipient MUST respond with a connection error of type PROTOCOL_ERROR."
  if (prioritizedStreamId === 0) throw new ConnectionError(PROTOCOL_ERROR, 'PRIORITY_UPDATE frame for stream 0');
  return {
    type: FrameType.PRIORITY_UPDATE,
    flags,
    streamId,
    length: p.length,
    prioritizedStreamId,
    priorityFieldValue: p.toString('latin1', 4, p.length),
  };
}

/** Parsers indexed by the frame type octet; a hole means "unknown type". */
const PARSERS: (Parser | undefined)[] = new Array(256).fill(undefined);
PARSERS[FrameType.DATA] = parseData;
PARSERS[FrameType.HEADERS] = parseHeaders;
PARSERS[FrameType.PRIORITY] = parsePriority;
PARSERS[FrameType.RST_STREAM] = parseRstStream;
PARSERS[FrameType.SETTINGS] = parseSettings;
PARSERS[FrameType.PUSH_PROMISE] = parsePushPromise;
PARSERS[FrameType.PING] = parsePing;
PARSERS[FrameType.GOAWAY] = parseGoaway;
PARSERS[FrameType.WINDOW_UPDATE] = parseWindowUpdate;
PARSERS[FrameType.CONTINUATION] = parseContinuation;
PARSERS[FrameType.ALTSVC] = parseAltsvc;
PARSERS[FrameType.ORIGIN] = parseOrigin;
PARSERS[FrameType.PRIORITY_UPDATE] = parsePriorityUpdate;

/**
 * Parse one frame from its header fields and payload (a view; the result's buffers are views into
 * it). Enforces the frame-local rules of RFC 9113 and throws `ConnectionError` or `StreamError`
 * (with RFC code and scope) on a violation. Unknown types come back as `UnknownFrame`. The
 * stream id must already have its reserved bit cleared. With `limits`, the payload length is
 * checked against our SETTINGS_MAX_FRAME_SIZE too.
 */
export function parseFrame(type: number, flags: number, streamId: number, payload: Buffer, limits?: FrameLimits): Frame {
  // RFC 9113 section 4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame
  // exceeds the size defined in SETTINGS_MAX_FRAME_SIZE". Treated as a connection error for every
  // type (the peer ignored our settings), as nghttp2 does.
  if (limits !== undefined && payload.length > limits.maxFrameSize) {
    throw new ConnectionError(FRAME_SIZE_ERROR, `frame of ${payload.length} octets exceeds SETTINGS_MAX_FRAME_SIZE ${limits.maxFrameSize}`);
  }
  const parser = PARSERS[type];
  return parser === undefined ? unknown(type, flags, streamId, payload) : parser(flags, streamId, payload);
}

/**
 * Parse one whole frame (9-octet header + payload) from the start of `buf`. For tests and
 * one-shot use; streams of bytes go through the Deframer. Trailing bytes are an error.
 */
export function parseFrameBytes(buf: Buffer, limits?: FrameLimits): Frame {
  if (buf.length < FRAME_HEADER_LENGTH) throw frameSizeError('(any)', `only ${buf.length} octets, a frame header is 9`);
  const length = (buf[0] << 16) | (buf[1] << 8) | buf[2];
  if (buf.length !== FRAME_HEADER_LENGTH + length) {
    throw frameSizeError('(any)', `header says ${length} octets of payload, ${buf.length - FRAME_HEADER_LENGTH} given`);
  }
  return parseFrame(buf[3], buf[4], buf.readUInt32BE(5) & 0x7fffffff, buf.subarray(FRAME_HEADER_LENGTH), limits);
}
