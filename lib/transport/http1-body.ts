/**
 * An HTTP/1.1 message body decoder (sans-IO), shared by the request and response parsers: a body
 * of known length, a chunked one with its trailer section (RFC 9112 section 7.1), or one read
 * until the connection closes (responses only).
 */
import { Http1Limits, Http1ParseError, parseFieldSectionOctets } from './http1';

/**
 * How a message body is delimited (RFC 9112 section 6.3): 'chunked', 'close' (until the
 * connection ends) or its length in octets (0: no body).
 */
export type BodyFraming = 'chunked' | 'close' | number;

/** What the decoder reports, in wire order. */
export interface Http1BodyEvents {
  /** A piece of the body (a view into the input: copy it to keep it past the call). */
  data(chunk: Buffer): void;
  /**
   * When given, each piece comes here instead of to `data`: octets `start` to `end` of the input
   * `buf` (no view is made for it; copy what you keep past the call).
   */
  dataRange?(buf: Buffer, start: number, end: number): void;
  /** The body is complete, with its trailer fields (chunked bodies; undefined when none). */
  end(trailers: [string, string][] | undefined): void;
}

const enum State {
  /** No body in progress. */
  IDLE,
  LENGTH,
  CHUNK_SIZE,
  CHUNK_DATA,
  CHUNK_DATA_CRLF,
  TRAILERS,
  UNTIL_CLOSE,
}

/** The longest chunk-size line we take (hex digits plus extensions). */
const MAX_CHUNK_LINE = 4096;
const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * Decodes one body after another: {@link start} with the framing once a head is read, then
 * {@link feed} the bytes after it; `end` is reported when the body is whole, after which the
 * decoder is idle again. Malformed framing throws {@link Http1ParseError}.
 */
export class Http1BodyDecoder {
  private state = State.IDLE;
  /** Bytes of a chunk-size line or trailer section not yet complete. */
  private pending: Buffer | undefined;
  private remaining = 0;

  constructor(
    private readonly events: Http1BodyEvents,
    private readonly limits: Http1Limits,
  ) {}

  /** Whether a body is being read. */
  get active(): boolean {
    return this.state !== State.IDLE;
  }

  /** A body with this framing starts; a length of 0 ends at once. */
  start(framing: BodyFraming): void {
    if (framing === 'chunked') this.state = State.CHUNK_SIZE;
    else if (framing === 'close') this.state = State.UNTIL_CLOSE;
    else if (framing === 0) this.events.end(undefined);
    else {
      this.remaining = framing;
      this.state = State.LENGTH;
    }
  }

  /**
   * Take body bytes from `buf` at `off` (up to `end`): returns the offset after the last byte that
   * belonged to the body (where the next message starts once the body ended).
   */
  feed(buf: Buffer, off: number, end = buf.length): number {
    while (off < end) {
      switch (this.state) {
        case State.IDLE:
          return off;
        case State.LENGTH: {
          const n = Math.min(this.remaining, end - off);
          this.remaining -= n;
          const at = off;
          off += n;
          if (this.remaining === 0) this.state = State.IDLE;
          this.piece(buf, at, off);
          if (this.state === State.IDLE) this.events.end(undefined);
          break;
        }
        case State.CHUNK_SIZE:
          off = this.readChunkSize(buf, off, end);
          break;
        case State.CHUNK_DATA: {
          const n = Math.min(this.remaining, end - off);
          this.remaining -= n;
          const at = off;
          off += n;
          if (this.remaining === 0) {
            this.state = State.CHUNK_DATA_CRLF;
            this.remaining = 2;
          }
          this.piece(buf, at, off);
          break;
        }
        case State.CHUNK_DATA_CRLF:
          // RFC 9112 section 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
          if (buf[off] !== CRLF[2 - this.remaining]) throw new Http1ParseError('chunk data not followed by CRLF');
          off++;
          if (--this.remaining === 0) this.state = State.CHUNK_SIZE;
          break;
        case State.TRAILERS:
          off = this.readTrailers(buf, off, end);
          break;
        case State.UNTIL_CLOSE:
          this.piece(buf, off, end);
          off = end;
          break;
      }
    }
    return off;
  }

  /** Report octets `start` to `end` of `buf` as a piece of the body. */
  private piece(buf: Buffer, start: number, end: number): void {
    const ev = this.events;
    if (ev.dataRange !== undefined) ev.dataRange(buf, start, end);
    else ev.data(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  /**
   * The peer closed the connection: a body delimited by the close ends here; a body cut short
   * throws {@link Http1ParseError}; with no body in progress nothing happens.
   */
  eof(): void {
    if (this.state === State.IDLE) return;
    if (this.state === State.UNTIL_CLOSE) {
      this.state = State.IDLE;
      this.events.end(undefined);
      return;
    }
    throw new Http1ParseError('connection closed mid-body');
  }

  /** Join a partial piece kept from the last chunk with the new one (`buf` from `off` to `end`). */
  private take(buf: Buffer, off: number, end: number): Buffer {
    const rest = off === 0 && end === buf.length ? buf : buf.subarray(off, end);
    if (!this.pending) return rest;
    const joined = Buffer.concat([this.pending, rest]);
    this.pending = undefined;
    return joined;
  }

  private readChunkSize(buf: Buffer, off: number, end: number): number {
    const had = this.pending ? this.pending.length : 0;
    const data = this.take(buf, off, end);
    const eol = data.indexOf(CRLF);
    if (eol < 0) {
      if (data.length > MAX_CHUNK_LINE) throw new Http1ParseError('chunk-size line too long');
      this.pending = Buffer.from(data);
      return end;
    }
    // chunk-size = 1*HEXDIG; chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    let i = 0;
    let size = 0;
    for (; i < eol; i++) {
      const c = data[i];
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) break;
      size = size * 16 + d;
      if (size > Number.MAX_SAFE_INTEGER / 16) throw new Http1ParseError('chunk size too large');
    }
    if (i === 0) throw new Http1ParseError('malformed chunk-size line');
    if (i < eol && data[i] !== 0x3b /* ; */ && data[i] !== 0x20 && data[i] !== 0x09) throw new Http1ParseError('malformed chunk-size line');
    const used = off + eol + 2 - had;
    if (size === 0) {
      this.state = State.TRAILERS;
    } else {
      this.remaining = size;
      this.state = State.CHUNK_DATA;
    }
    return used;
  }

  private readTrailers(buf: Buffer, off: number, bufEnd: number): number {
    const had = this.pending ? this.pending.length : 0;
    const data = this.take(buf, off, bufEnd);
    // trailer-section = *( field-line CRLF ), then the final CRLF.
    if (data.length >= 2 && data[0] === 0x0d && data[1] === 0x0a) {
      this.state = State.IDLE;
      this.events.end(undefined);
      return off + 2 - had;
    }
    const end = data.indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (data.length >= this.limits.maxHeadSize) throw new Http1ParseError(`trailer section longer than ${this.limits.maxHeadSize} bytes`);
      // A lone CR so far: the final CRLF may be on its way.
      this.pending = Buffer.from(data);
      return bufEnd;
    }
    const fields = parseFieldSectionOctets(data, end, this.limits);
    this.state = State.IDLE;
    this.events.end(fields);
    return off + end + 4 - had;
  }
}

/** RFC 9112 section 7.1: the last chunk (size 0) and the empty trailer section that end a chunked body. */
export const LAST_CHUNK = '0\r\n\r\n';

/**
 * Write `chunk` (not empty) as one chunk of a chunked body, after `before` (text already due on
 * the socket, e.g. a message head), corked into one segment. Returns what the last write returned
 * (false: wait for 'drain').
 */
export function writeChunk(
  s: { cork(): void; uncork(): void; write(b: Buffer | string, enc?: BufferEncoding): boolean },
  chunk: Buffer,
  before = '',
): boolean {
  s.cork();
  s.write(`${before}${chunk.length.toString(16)}\r\n`, 'latin1');
  s.write(chunk);
  const ok = s.write('\r\n', 'latin1');
  s.uncork();
  return ok;
}
