/**
 * Wire constants of RFC 9113 section 6 and the extension frames nghttp2 handles,
 * spelled as the RFCs spell them.
 */

/** Frame type codes (RFC 9113 section 6; RFC 7838 ALTSVC; RFC 8336 ORIGIN; RFC 9218 PRIORITY_UPDATE). */
export enum FrameType {
  DATA = 0x0,
  HEADERS = 0x1,
  PRIORITY = 0x2,
  RST_STREAM = 0x3,
  SETTINGS = 0x4,
  PUSH_PROMISE = 0x5,
  PING = 0x6,
  GOAWAY = 0x7,
  WINDOW_UPDATE = 0x8,
  CONTINUATION = 0x9,
  ALTSVC = 0xa,
  ORIGIN = 0xc,
  PRIORITY_UPDATE = 0x10,
}

/** Frame flags (RFC 9113 section 6). The same bit means different things per type. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** SETTINGS parameters (RFC 9113 section 6.5.2; RFC 8441; RFC 9218). Unknown ids stay numbers. */
export enum Setting {
  HEADER_TABLE_SIZE = 0x1,
  ENABLE_PUSH = 0x2,
  MAX_CONCURRENT_STREAMS = 0x3,
  INITIAL_WINDOW_SIZE = 0x4,
  MAX_FRAME_SIZE = 0x5,
  MAX_HEADER_LIST_SIZE = 0x6,
  ENABLE_CONNECT_PROTOCOL = 0x8,
  NO_RFC7540_PRIORITIES = 0x9,
}

/** RFC 9113 section 3.4: the client connection preface. */
export const CONNECTION_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** RFC 9113 section 4.1: every frame begins with a fixed 9-octet header. */
export const FRAME_HEADER_LENGTH = 9;

/** RFC 9113 section 6.5.2: initial SETTINGS_MAX_FRAME_SIZE, also its lowest legal value. */
export const DEFAULT_MAX_FRAME_SIZE = 16384;
/** RFC 9113 section 6.5.2: the largest legal SETTINGS_MAX_FRAME_SIZE, 2^24-1. */
export const MAX_MAX_FRAME_SIZE = 16777215;
/** RFC 9113 section 6.9.2: initial flow-control window, 65535 octets. */
export const DEFAULT_INITIAL_WINDOW_SIZE = 65535;
/** RFC 9113 section 6.9.1: a window may not exceed 2^31-1 octets. */
export const MAX_WINDOW_SIZE = 2147483647;
/** RFC 7541 section 6.5.2 / RFC 9113 section 6.5.2: default header table size. */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;
