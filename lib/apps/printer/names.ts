/**
 * The names nghttp's verbose output uses for frame types, flags, settings and error codes
 * (they differ from the RFC registry in a few places: unknown settings print as UNKNOWN,
 * unknown error codes as "unknown", unknown frame types as "extension(0xNN)").
 */
import { ErrorCode } from '../../protocol/errors';
import { Flag, FrameType, Setting } from '../../protocol/frame/constants';

/** Frame type name as nghttp prints it: `HEADERS`, or `extension(0x2a)` for unknown types. */
export function frameTypeName(type: number): string {
  switch (type) {
    case FrameType.DATA:
    case FrameType.HEADERS:
    case FrameType.PRIORITY:
    case FrameType.RST_STREAM:
    case FrameType.SETTINGS:
    case FrameType.PUSH_PROMISE:
    case FrameType.PING:
    case FrameType.GOAWAY:
    case FrameType.WINDOW_UPDATE:
    case FrameType.CONTINUATION:
    case FrameType.ALTSVC:
    case FrameType.ORIGIN:
    case FrameType.PRIORITY_UPDATE:
      return FrameType[type];
    default:
      return `extension(0x${type.toString(16).padStart(2, '0')})`;
  }
}

/** The flag names nghttp decodes for a frame type, in its order (unknown bits are not named). */
export function flagNames(type: number, flags: number): string[] {
  const out: string[] = [];
  switch (type) {
    case FrameType.DATA:
      if (flags & Flag.END_STREAM) out.push('END_STREAM');
      if (flags & Flag.PADDED) out.push('PADDED');
      break;
    case FrameType.HEADERS:
      if (flags & Flag.END_STREAM) out.push('END_STREAM');
      if (flags & Flag.END_HEADERS) out.push('END_HEADERS');
      if (flags & Flag.PADDED) out.push('PADDED');
      if (flags & Flag.PRIORITY) out.push('PRIORITY');
      break;
    case FrameType.SETTINGS:
    case FrameType.PING:
      if (flags & Flag.ACK) out.push('ACK');
      break;
    case FrameType.PUSH_PROMISE:
      if (flags & Flag.END_HEADERS) out.push('END_HEADERS');
      if (flags & Flag.PADDED) out.push('PADDED');
      break;
    case FrameType.CONTINUATION:
      if (flags & Flag.END_HEADERS) out.push('END_HEADERS');
      break;
    default:
      break;
  }
  return out;
}

/** SETTINGS parameter name as nghttp prints it (`SETTINGS_MAX_FRAME_SIZE`, else `UNKNOWN`). */
export function settingName(id: number): string {
  const n = Setting[id];
  return typeof n === 'string' ? `SETTINGS_${n}` : 'UNKNOWN';
}

/** Error code name as nghttp prints it (`PROTOCOL_ERROR`, else `unknown`). */
export function errorName(code: number): string {
  const n = ErrorCode[code];
  return typeof n === 'string' ? n : 'unknown';
}

/** `0x` + at least two lowercase hex digits, as nghttp's `0x%02x`. */
export function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** nghttp's ascii_dump: printable ASCII as is, every other octet as `.`. */
export function asciiDump(b: Buffer): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '.';
  }
  return s;
}
