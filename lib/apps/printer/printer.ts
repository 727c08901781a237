/**
 * The frame printer: nghttp's and nghttpd's verbose trace (`-v`), byte for byte apart from the
 * timestamps, with `--color` and nghttpd's `[id=N] ` prefix; or the same events as JSON lines.
 * It formats only: the caller says what was sent or received and passes what the session knows
 * (decoded header fields, the HEADERS category).
 */
import { FrameType } from '../../protocol/frame/constants';
import { payloadLength, wireFlags } from '../../protocol/frame/codec';
import type { Frame, HeaderField, PrioritySpec } from '../../protocol/frame/types';
import type { HeadersCategory as SessionHeadersCategory } from '../../protocol/session/types';
import { hexdump } from './hexdump';
import { asciiDump, errorName, flagNames, frameTypeName, hex2, settingName } from './names';

/**
 * What a HEADERS frame means for its stream, as nghttp2 classifies it (`nghttp2_headers_category`):
 * the printer adds `; Open new stream`, `; First response header` or `; First push response
 * header`; `'headers'` (trailers, interim responses) adds nothing. The names are the session's
 * (`SessionHeadersCategory`, with `'push_response'`), so its events pass straight through.
 * `'push-response'` is the printer's former spelling, still accepted.
 */
export type HeadersCategory = SessionHeadersCategory | 'push-response';

/** What the caller knows about a frame beyond its bytes. */
export interface FrameInfo {
  /** The decoded header fields of a HEADERS or PUSH_PROMISE frame. */
  headers?: HeaderField[];
  /** The HEADERS category (the session knows it). */
  category?: HeadersCategory;
}

/** Options of the FramePrinter. */
export interface FramePrinterOptions {
  /** Receives the output, a line or a few at a time. Header octets arrive as latin1 characters. */
  write: (text: string) => void;
  /** ANSI colours as nghttp uses on a terminal (`--color`). Default false. */
  color?: boolean;
  /** The clock's zero, in the units of `now` (ms). Default: when the printer was made. */
  startTime?: number;
  /** The clock, in milliseconds. Default `monotonicMs()`. */
  now?: () => number;
  /** nghttpd's per-connection prefix: a number n prints `[id=n] ` before each line head. */
  prefix?: number | string;
  /** Print one JSON object per event instead of the text trace. */
  json?: boolean;
}

const INDENT = '          ';
const ESC_END = '\x1b[0m';
const ESC_TIMER = '\x1b[33m';
const ESC_SEND = '\x1b[1;35m';
const ESC_RECV = '\x1b[1;36m';
const ESC_NAME = '\x1b[1;34m';

/** A write function that sends printer text to a byte stream unchanged (latin1, one octet per char). */
export function latin1Writer(out: { write(chunk: Buffer): unknown }): (text: string) => void {
  return (text) => {
    out.write(Buffer.from(text, 'latin1'));
  };
}

/** nghttp's timestamp `[  1.234]`: seconds right-aligned in 3 columns, then milliseconds. */
export function formatTimer(ms: number): string {
  const t = Math.max(0, Math.floor(ms));
  return `[${String(Math.floor(t / 1000)).padStart(3, ' ')}.${String(t % 1000).padStart(3, '0')}]`;
}

type Direction = 'send' | 'recv';

/** The header fields to print: the caller's, else those a decoding layer put on the frame. */
function headersOf(frame: Frame, info?: FrameInfo): HeaderField[] | undefined {
  if (frame.type !== FrameType.HEADERS && frame.type !== FrameType.PUSH_PROMISE) return undefined;
  return info?.headers ?? (frame as { headers?: HeaderField[] }).headers;
}

/**
 * A monotonic clock in milliseconds with an arbitrary zero: the printer's default clock, and what
 * its users take their `startTime` from. Not `performance.now()`: the first touch of Node's
 * `performance` global loads perf_hooks (~10 internal modules), a few ms of every one-shot run.
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/** Prints frames and the other lines nghttp/nghttpd print in verbose mode; see the module comment. */
export class FramePrinter {
  private readonly out: (text: string) => void;
  private readonly color: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private readonly prefix: string;
  private readonly id: number | string | undefined;
  private readonly json: boolean;

  constructor(opts: FramePrinterOptions) {
    this.out = opts.write;
    this.color = opts.color ?? false;
    this.now = opts.now ?? monotonicMs;
    this.start = opts.startTime ?? this.now();
    this.id = opts.prefix;
    this.prefix = opts.prefix === undefined ? '' : `[id=${opts.prefix}] `;
    this.json = opts.json ?? false;
  }

  /** Milliseconds since the printer's zero. */
  elapsed(): number {
    return this.now() - this.start;
  }

  /** Print a frame we sent; sent header fields are listed under it. */
  sent(frame: Frame, info?: FrameInfo): void {
    this.frame('send', frame, info);
  }

  /**
   * Print a frame we received. Its header fields come first, one `recv (stream_id=N) name: value`
   * line each, as nghttp prints them while decoding, then the frame.
   */
  received(frame: Frame, info?: FrameInfo): void {
    this.frame('recv', frame, info);
  }

  /** nghttp2's invalid-frame line: `[t] [INVALID; error=<text>] recv <frame>`. */
  invalid(frame: Frame, errorText: string, info?: FrameInfo): void {
    if (this.json) {
      this.emitJson({ ...this.frameJson('recv', frame, info), invalid: errorText });
      return;
    }
    this.out(this.head() + ` [INVALID; error=${errorText}] recv ` + this.frameText('recv', frame, info));
  }

  /** The DATA chunk line: `recv (stream_id=N, length=L, srecv=S, crecv=C) DATA`. */
  dataChunk(streamId: number, length: number, srecv: number, crecv: number): void {
    if (this.json) {
      this.emitJson({ t: this.seconds(), ...this.idField(), event: 'data', streamId, length, srecv, crecv });
      return;
    }
    this.out(`${this.head()} recv (stream_id=${streamId}, length=${length}, srecv=${srecv}, crecv=${crecv}) DATA\n`);
  }

  /** Any other timestamped line: `[t] text` (nghttp's `Connected`, `HTTP Upgrade request`, ...). */
  note(text: string): void {
    if (this.json) {
      this.emitJson({ t: this.seconds(), ...this.idField(), event: 'note', text });
      return;
    }
    this.out(`${this.head()} ${text}\n`);
  }

  /** `[t] Connected` (nghttp, once the TCP/TLS connection is up). */
  connected(): void {
    this.note('Connected');
  }

  /** `[t] closed` (nghttpd, when the connection ends). */
  closed(): void {
    this.note('closed');
  }

  /** `[t] stream_id=N closed` (nghttpd, when a stream closes). */
  streamClosed(streamId: number): void {
    this.note(`stream_id=${streamId} closed`);
  }

  /** `[t] [ERROR] message` (nghttp2's error callback). */
  error(message: string): void {
    this.note(`[ERROR] ${message}`);
  }

  /** The raw octets as `--hexdump` shows them (no timestamp). */
  hexdump(bytes: Buffer): void {
    if (this.json) {
      this.emitJson({ t: this.seconds(), ...this.idField(), event: 'bytes', length: bytes.length, hex: bytes.toString('hex') });
      return;
    }
    const text = hexdump(bytes);
    if (text) this.out(text);
  }

  // -------------------------------------------------------------------------------------------

  private esc(code: string): string {
    return this.color ? code : '';
  }

  private escEnd(): string {
    return this.color ? ESC_END : '';
  }

  /** `[id=N] [  t.ttt]` with colour on the timer. */
  private head(): string {
    return `${this.prefix}${this.esc(ESC_TIMER)}${formatTimer(this.elapsed())}${this.escEnd()}`;
  }

  private seconds(): number {
    return Math.round(this.elapsed()) / 1000;
  }

  private idField(): { id?: number | string } {
    return this.id === undefined ? {} : { id: this.id };
  }

  private nameValue(h: HeaderField): string {
    return `${this.esc(ESC_NAME)}${h[0]}${this.escEnd()}: ${h[1]}\n`;
  }

  private frame(dir: Direction, frame: Frame, info?: FrameInfo): void {
    if (this.json) {
      this.emitJson(this.frameJson(dir, frame, info));
      return;
    }
    let text = '';
    const headers = headersOf(frame, info);
    if (dir === 'recv' && headers) {
      for (const h of headers) {
        text += `${this.head()} recv (stream_id=${frame.streamId}${h[2] ? ', sensitive' : ''}) ${this.nameValue(h)}`;
      }
    }
    text += `${this.head()} ${dir} ` + this.frameText(dir, frame, info);
    this.out(text);
  }

  /** `NAME frame <length=..., flags=0x.., stream_id=N>` and the detail lines. */
  private frameText(dir: Direction, frame: Frame, info?: FrameInfo): string {
    const length = frame.length ?? payloadLength(frame);
    const flags = frame.length === undefined ? wireFlags(frame) : frame.flags;
    const name = frameTypeName(frame.type);
    let s = `${this.esc(dir === 'send' ? ESC_SEND : ESC_RECV)}${name}${this.escEnd()} frame <length=${length}, flags=${hex2(flags)}, stream_id=${frame.streamId}>\n`;
    // nghttp prints the flags line whenever any flag bit is set, even if none has a name here.
    if (flags) s += `${INDENT}; ${flagNames(frame.type, flags).join(' | ')}\n`;
    if ('payload' in frame) return s;
    const sentHeaders = (): string => {
      const headers = headersOf(frame, info);
      if (dir !== 'send' || !headers) return '';
      let h = '';
      for (const f of headers) h += INDENT + this.nameValue(f);
      return h;
    };
    const padlen = (p?: number) => (p === undefined ? 0 : p + 1);
    const prio = (p: PrioritySpec) => `dep_stream_id=${p.dependsOn}, weight=${p.weight}, exclusive=${p.exclusive ? 1 : 0}`;
    switch (frame.type) {
      case FrameType.DATA:
        if (frame.padLength !== undefined) s += `${INDENT}(padlen=${padlen(frame.padLength)})\n`;
        break;
      case FrameType.HEADERS:
        s += `${INDENT}(padlen=${padlen(frame.padLength)}${frame.priority ? ', ' + prio(frame.priority) : ''})\n`;
        switch (info?.category) {
          case 'request':
            s += `${INDENT}; Open new stream\n`;
            break;
          case 'response':
            s += `${INDENT}; First response header\n`;
            break;
          case 'push-response':
          case 'push_response':
            s += `${INDENT}; First push response header\n`;
            break;
          default:
            break;
        }
        s += sentHeaders();
        break;
      case FrameType.PRIORITY:
        s += `${INDENT}(${prio(frame.priority)})\n`;
        break;
      case FrameType.RST_STREAM:
        s += `${INDENT}(error_code=${errorName(frame.errorCode)}(${hex2(frame.errorCode)}))\n`;
        break;
      case FrameType.SETTINGS:
        s += `${INDENT}(niv=${frame.settings.length})\n`;
        for (const e of frame.settings) s += `${INDENT}[${settingName(e.id)}(${hex2(e.id)}):${e.value}]\n`;
        break;
      case FrameType.PUSH_PROMISE:
        s += `${INDENT}(padlen=${padlen(frame.padLength)}, promised_stream_id=${frame.promisedStreamId})\n`;
        s += sentHeaders();
        break;
      case FrameType.PING:
        s += `${INDENT}(opaque_data=${frame.opaqueData.toString('hex')})\n`;
        break;
      case FrameType.GOAWAY:
        s +=
          `${INDENT}(last_stream_id=${frame.lastStreamId}, error_code=${errorName(frame.errorCode)}(${hex2(frame.errorCode)}), ` +
          `opaque_data(${frame.debugData.length})=[${asciiDump(frame.debugData)}])\n`;
        break;
      case FrameType.WINDOW_UPDATE:
        s += `${INDENT}(window_size_increment=${frame.windowSizeIncrement})\n`;
        break;
      case FrameType.ALTSVC:
        s += `${INDENT}(origin=[${frame.origin}], altsvc_field_value=[${frame.fieldValue}])\n`;
        break;
      case FrameType.ORIGIN:
        for (const o of frame.origins) s += `${INDENT}[${o}]\n`;
        break;
      case FrameType.PRIORITY_UPDATE:
        s += `${INDENT}(prioritized_stream_id=${frame.prioritizedStreamId}, priority_field_value=[${frame.priorityFieldValue}])\n`;
        break;
      default:
        break;
    }
    return s;
  }

  private frameJson(dir: Direction, frame: Frame, info?: FrameInfo): Record<string, unknown> {
    return { t: this.seconds(), ...this.idField(), ...frameToJson(dir, frame, info) };
  }

  /** One JSON line, pure ASCII (octets 0x7f and up escaped as \u00XX), whatever the writer's encoding. */
  private emitJson(obj: Record<string, unknown>): void {
    this.out(JSON.stringify(obj).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '\n');
  }
}

/**
 * One frame as a plain JSON-ready object (the JSON-lines trace without its `t` and `id`):
 * `dir`, `type` (nghttp's name), `typeCode`, `length`, `flags`, `flagNames`, `streamId`, then the
 * type's own fields with RFC names (`padlen` counts the Pad Length octet, as nghttp prints it).
 */
export function frameToJson(dir: Direction, frame: Frame, info?: FrameInfo): Record<string, unknown> {
  const length = frame.length ?? payloadLength(frame);
  const flags = frame.length === undefined ? wireFlags(frame) : frame.flags;
  const o: Record<string, unknown> = {
    dir,
    type: frameTypeName(frame.type),
    typeCode: frame.type,
    length,
    flags,
    flagNames: flagNames(frame.type, flags),
    streamId: frame.streamId,
  };
  if ('payload' in frame) {
    o.payload = frame.payload.toString('hex');
    return o;
  }
  const padlen = (p?: number) => (p === undefined ? 0 : p + 1);
  const fields = headersOf(frame, info);
  const headers = () => fields?.map((h) => (h[2] ? [h[0], h[1], true] : [h[0], h[1]]));
  switch (frame.type) {
    case FrameType.DATA:
      o.padlen = padlen(frame.padLength);
      o.dataLength = frame.data.length;
      break;
    case FrameType.HEADERS:
      o.padlen = padlen(frame.padLength);
      if (frame.priority) o.priority = { ...frame.priority };
      if (info?.category) o.category = info.category;
      if (frame.continuations) o.continuations = frame.continuations;
      if (fields) o.headers = headers();
      break;
    case FrameType.PRIORITY:
      o.priority = { ...frame.priority };
      break;
    case FrameType.RST_STREAM:
      o.errorCode = frame.errorCode;
      o.errorName = errorName(frame.errorCode);
      break;
    case FrameType.SETTINGS:
      o.settings = frame.settings.map((e) => ({ id: e.id, name: settingName(e.id), value: e.value }));
      break;
    case FrameType.PUSH_PROMISE:
      o.padlen = padlen(frame.padLength);
      o.promisedStreamId = frame.promisedStreamId;
      if (frame.continuations) o.continuations = frame.continuations;
      if (fields) o.headers = headers();
      break;
    case FrameType.PING:
      o.opaqueData = frame.opaqueData.toString('hex');
      break;
    case FrameType.GOAWAY:
      o.lastStreamId = frame.lastStreamId;
      o.errorCode = frame.errorCode;
      o.errorName = errorName(frame.errorCode);
      o.debugData = frame.debugData.toString('latin1');
      break;
    case FrameType.WINDOW_UPDATE:
      o.windowSizeIncrement = frame.windowSizeIncrement;
      break;
    case FrameType.CONTINUATION:
      o.fragmentLength = frame.fragment.length;
      break;
    case FrameType.ALTSVC:
      o.origin = frame.origin;
      o.fieldValue = frame.fieldValue;
      break;
    case FrameType.ORIGIN:
      o.origins = frame.origins;
      break;
    case FrameType.PRIORITY_UPDATE:
      o.prioritizedStreamId = frame.prioritizedStreamId;
      o.priorityFieldValue = frame.priorityFieldValue;
      break;
    default:
      break;
  }
  return o;
}
