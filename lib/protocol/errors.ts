/**
 * HTTP/2 error codes (RFC 9113 section 7) and the error classes every layer throws.
 * Each protocol error carries its RFC code and its scope: a stream error resets one stream,
 * a connection error ends the connection with GOAWAY. API misuse is its own class.
 */

/** RFC 9113 section 7 error codes. Unknown codes travel as plain numbers. */
export enum ErrorCode {
  NO_ERROR = 0x0,
  PROTOCOL_ERROR = 0x1,
  INTERNAL_ERROR = 0x2,
  FLOW_CONTROL_ERROR = 0x3,
  SETTINGS_TIMEOUT = 0x4,
  STREAM_CLOSED = 0x5,
  FRAME_SIZE_ERROR = 0x6,
  REFUSED_STREAM = 0x7,
  CANCEL = 0x8,
  COMPRESSION_ERROR = 0x9,
  CONNECT_ERROR = 0xa,
  ENHANCE_YOUR_CALM = 0xb,
  INADEQUATE_SECURITY = 0xc,
  HTTP_1_1_REQUIRED = 0xd,
}

/** The RFC name of an error code, or `UNKNOWN (0x..)` style text for codes outside the registry. */
export function errorCodeName(code: number): string {
  const name = ErrorCode[code];
  return typeof name === 'string' ? name : `0x${code.toString(16)}`;
}

/** Whether an error ends the whole connection or only one stream. */
export type ErrorScope = 'connection' | 'stream';

/** Base class of every protocol error: an RFC 9113 error code plus a scope. */
export class H2Error extends Error {
  constructor(
    message: string,
    /** RFC 9113 section 7 error code to send (GOAWAY or RST_STREAM). */
    readonly code: number,
    /** Connection errors end the connection; stream errors reset `streamId` only. */
    readonly scope: ErrorScope,
    /** The stream a stream error applies to (0 for connection errors). */
    readonly streamId = 0,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** RFC 9113 section 5.4.1: an error that makes the connection unusable; ends with GOAWAY. */
export class ConnectionError extends H2Error {
  constructor(code: number, message: string) {
    super(message, code, 'connection', 0);
  }
}

/** RFC 9113 section 5.4.2: an error confined to one stream; ends with RST_STREAM. */
export class StreamError extends H2Error {
  constructor(
    code: number,
    streamId: number,
    message: string,
    /** The type of the frame that broke the rule, when a frame did (the session's state table needs it). */
    readonly frameType?: number,
  ) {
    super(message, code, 'stream', streamId);
  }
}

/**
 * RFC 7541 section 2.3.4 / RFC 9113 section 4.3: a header block that cannot be decoded.
 * "A decoding error in a header block MUST be treated as a connection error of type
 * COMPRESSION_ERROR."
 */
export class CompressionError extends ConnectionError {
  constructor(message: string) {
    super(ErrorCode.COMPRESSION_ERROR, message);
  }
}

/** The caller used the API wrongly (bad argument, command in the wrong state). Not a wire error. */
export class ApiMisuseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiMisuseError';
  }
}
