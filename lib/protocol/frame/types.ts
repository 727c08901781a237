/**
 * The Frame union: one variant per frame type, plus `UnknownFrame` for types this code does not
 * know (RFC 9113 section 4.1: "Implementations MUST ignore and discard frames of unknown types"
 * — the codec passes them through so that proxies and debuggers can still see them).
 */
import { FrameType } from './constants';

/** Fields every frame has (the 9-octet header, RFC 9113 section 4.1). */
export interface FrameBase {
  type: number;
  /** The raw flags octet, unknown bits kept. */
  flags: number;
  streamId: number;
  /** Payload length on the wire (filled in by the parser; ignored by the encoder). */
  length?: number;
}

/** RFC 9113 section 5.3.2 (deprecated scheme, still parsed): a stream dependency. */
export interface PrioritySpec {
  exclusive: boolean;
  dependsOn: number;
  /** The weight as a person reads it: 1..256 (wire value + 1). */
  weight: number;
}

/** Padding fields shared by DATA, HEADERS and PUSH_PROMISE (RFC 9113 section 6.1). */
export interface Padded {
  /** Pad Length field value when PADDED is set; undefined when unpadded. */
  padLength?: number;
}

/**
 * A DATA frame. On a parsed frame, `length` (the whole payload, Pad Length octet and padding
 * included) is what flow control counts (RFC 9113 section 6.9.1); `flowControlledLength()` in
 * codec.ts gives the same for frames built by hand.
 */
export interface DataFrame extends FrameBase, Padded {
  type: FrameType.DATA;
  data: Buffer;
}

/**
 * Set by the HeaderBlockAssembler on a HEADERS or PUSH_PROMISE frame whose field block arrived
 * split over CONTINUATION frames: the assembled frame carries the whole block in `fragment`,
 * `length` is the sum of all payload lengths (as nghttp prints it), and these two fields record
 * how many CONTINUATION frames were joined and how many payload octets they carried.
 */
export interface Continued {
  continuations?: number;
  continuationLength?: number;
}

/**
 * The decoded header fields of a HEADERS or PUSH_PROMISE frame. Set on received frames by the
 * header-decoding layer; on outgoing frames given to the header-encoding layer, it is what gets
 * HPACK-encoded into `fragment` at the moment the frame is serialised.
 */
export interface Decoded {
  headers?: HeaderField[];
}

export interface HeadersFrame extends FrameBase, Padded, Continued, Decoded {
  type: FrameType.HEADERS;
  priority?: PrioritySpec;
  /** The header block fragment (HPACK bytes). */
  fragment: Buffer;
}

export interface PriorityFrame extends FrameBase {
  type: FrameType.PRIORITY;
  priority: PrioritySpec;
}

export interface RstStreamFrame extends FrameBase {
  type: FrameType.RST_STREAM;
  errorCode: number;
}

/** One SETTINGS parameter; unknown ids round-trip as numbers. */
export interface SettingEntry {
  id: number;
  value: number;
}

export interface SettingsFrame extends FrameBase {
  type: FrameType.SETTINGS;
  /** In wire order; empty for an ACK. */
  settings: SettingEntry[];
}

export interface PushPromiseFrame extends FrameBase, Padded, Continued, Decoded {
  type: FrameType.PUSH_PROMISE;
  promisedStreamId: number;
  fragment: Buffer;
}

export interface PingFrame extends FrameBase {
  type: FrameType.PING;
  /** Exactly 8 octets. */
  opaqueData: Buffer;
}

export interface GoawayFrame extends FrameBase {
  type: FrameType.GOAWAY;
  lastStreamId: number;
  errorCode: number;
  debugData: Buffer;
}

export interface WindowUpdateFrame extends FrameBase {
  type: FrameType.WINDOW_UPDATE;
  windowSizeIncrement: number;
}

export interface ContinuationFrame extends FrameBase {
  type: FrameType.CONTINUATION;
  fragment: Buffer;
}

/** RFC 7838 section 4. */
export interface AltsvcFrame extends FrameBase {
  type: FrameType.ALTSVC;
  origin: string;
  fieldValue: string;
}

/** RFC 8336 section 2. */
export interface OriginFrame extends FrameBase {
  type: FrameType.ORIGIN;
  origins: string[];
}

/** RFC 9218 section 7.1. */
export interface PriorityUpdateFrame extends FrameBase {
  type: FrameType.PRIORITY_UPDATE;
  prioritizedStreamId: number;
  priorityFieldValue: string;
}

/** A frame of a type not listed above, kept whole. */
export interface UnknownFrame extends FrameBase {
  payload: Buffer;
}

/** Every frame this codec knows. */
export type KnownFrame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoawayFrame
  | WindowUpdateFrame
  | ContinuationFrame
  | AltsvcFrame
  | OriginFrame
  | PriorityUpdateFrame;

/** Any frame, known or not. Narrow known frames with `isKnownFrame` or by `type`. */
export type Frame = KnownFrame | UnknownFrame;

/**
 * A header field as HPACK carries it. Names and values are byte strings: one char per octet
 * (latin1), as Node's own http2 does, so any octet sequence round-trips. The optional third
 * element marks a sensitive field (RFC 7541 section 7.1.3): it is sent as a never-indexed literal.
 * Received pairs may be shared between lists (see HpackDecoder.decode): replace a pair in a list,
 * never write into one.
 */
export type HeaderField = [name: string, value: string, sensitive?: boolean];

const KNOWN_TYPES = new Set<number>([
  FrameType.DATA,
  FrameType.HEADERS,
  FrameType.PRIORITY,
  FrameType.RST_STREAM,
  FrameType.SETTINGS,
  FrameType.PUSH_PROMISE,
  FrameType.PING,
  FrameType.GOAWAY,
  FrameType.WINDOW_UPDATE,
  FrameType.CONTINUATION,
  FrameType.ALTSVC,
  FrameType.ORIGIN,
  FrameType.PRIORITY_UPDATE,
]);

/**
 * Whether a frame is one of the known variants (so `switch (f.type)` narrows it). An
 * `UnknownFrame` carries `payload`; a known frame never does. The codec also hands back an
 * extension frame (ALTSVC, ORIGIN) it could not parse as an `UnknownFrame`, which the RFCs
 * say the receiver ignores.
 */
export function isKnownFrame(frame: Frame): frame is KnownFrame {
  return KNOWN_TYPES.has(frame.type) && !('payload' in frame);
}
