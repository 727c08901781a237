/**
 * An incremental HTTP/1.1 response parser for a client connection (sans-IO): bytes in, one
 * response after another out as head / body chunk / end events. Heads are parsed by
 * {@link parseResponseHead}; bodies are framed as RFC 9112 section 6.3 says (no body for HEAD,
 * 1xx, 204, 304; chunked; Content-Length; else until the connection closes).
 */
import { Http1Limits, Http1ParseError, Http1ResponseHead, parseFieldLines, parseResponseHead } from './http1';

/** What the parser reports, in wire order. */
export interface Http1ResponseEvents {
  /** A 1xx head other than 101 (the final head follows). */
  informational?(head: Http1ResponseHead): void;
  /** The final response head. */
  head(head: Http1ResponseHead): void;
  /** A piece of the body (a view into the input: copy it to keep it past the call). */
  data(chunk: Buffer): void;
  /**
   * The response is complete: its trailer fields (chunked bodies; undefined when none), and
   * whether the connection may carry another request (persistence, RFC 9112 section 9.3).
   */
  end(trailers: [string, string][] | undefined, keepAlive: boolean): void;
}

const enum State {
  /** No request outstanding: any byte is an error. */
  IDLE,
  HEAD,
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
 * Parses the responses of one HTTP/1.1 client connection. Call {@link expect} when a request
 * goes out, {@link feed} with each chunk read, {@link eof} when the peer closes. Malformed input
 * throws {@link Http1ParseError} (the connection is then unusable).
 */
export class Http1ResponseParser {
  private state = State.IDLE;
  /** Bytes of a head, chunk-size line or trailer section not yet complete. */
  private pending: Buffer | undefined;
  private remaining = 0;
  private headRequest = false;
  private keepAlive = false;

  constructor(
    private readonly events: Http1ResponseEvents,
    private readonly limits: Http1Limits,
  ) {}

  /** Whether no response is in progress (the connection may be pooled). */
  get idle(): boolean {
    return this.state === State.IDLE;
  }

  /** Whether the final head of the current response has been read. */
  get answered(): boolean {
    return this.state > State.HEAD;
  }

  /** A request went out: its response comes next. `method` HEAD means a response without body. */
  expect(method: string): void {
    if (this.state !== State.IDLE) throw new Error('a response is already expected');
    this.state = State.HEAD;
    this.headRequest = method === 'HEAD';
  }

  /** Parse `buf` (any split). */
  feed(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      switch (this.state) {
        case State.IDLE:
          throw new Http1ParseError('bytes from the server with no request outstanding');
        case State.HEAD:
          off = this.readHead(buf, off);
          break;
        case State.LENGTH: {
          const n = Math.min(this.remaining, buf.length - off);
          this.remaining -= n;
          const chunk = buf.subarray(off, off + n);
          off += n;
          this.events.data(chunk);
          if (this.remaining === 0) this.finish(undefined);
          break;
        }
        case State.CHUNK_SIZE:
          off = this.readChunkSize(buf, off);
          break;
        case State.CHUNK_DATA: {
          const n = Math.min(this.remaining, buf.length - off);
          this.remaining -= n;
          const chunk = buf.subarray(off, off + n);
          off += n;
          if (this.remaining === 0) {
            this.state = State.CHUNK_DATA_CRLF;
            this.remaining = 2;
          }
          this.events.data(chunk);
          break;
        }
        case State.CHUNK_DATA_CRLF:
          // RFC 9112 section 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
          if (buf[off] !== CRLF[2 - this.remaining]) throw new Http1ParseError('chunk data not followed by CRLF');
          off++;
          if (--this.remaining === 0) this.state = State.CHUNK_SIZE;
          break;
        case State.TRAILERS:
          off = this.readTrailers(buf, off);
          break;
        case State.UNTIL_CLOSE:
          this.events.data(off === 0 ? buf : buf.subarray(off));
          off = buf.length;
          break;
      }
    }
  }

  /**
   * The peer closed the connection. A body delimited by the close ends here; a response cut short
   * throws {@link Http1ParseError}; between responses nothing happens.
   */
  eof(): void {
    if (this.state === State.IDLE) return;
    if (this.state === State.UNTIL_CLOSE) {
      this.keepAlive = false;
      return this.finish(undefined);
    }
    throw new Http1ParseError(this.state === State.HEAD ? 'connection closed before the response head' : 'connection closed mid-body');
  }

  /** Join a partial piece kept from the last chunk with the new one. */
  private take(buf: Buffer, off: number): Buffer {
    const rest = off === 0 ? buf : buf.subarray(off);
    if (!this.pending) return rest;
    const joined = Buffer.concat([this.pending, rest]);
    this.pending = undefined;
    return joined;
  }

  private readHead(buf: Buffer, off: number): number {
    const had = this.pending ? this.pending.length : 0;
    const data = this.take(buf, off);
    const parsed = parseResponseHead(data, this.limits);
    if (!parsed) {
      this.pending = Buffer.from(data);
      return buf.length;
    }
    const head = parsed.head;
    const used = off + parsed.consumed - had;
    const status = head.status;
    if (status >= 100 && status < 200) {
      // RFC 9110 section 15.2: "A client MUST be able to parse one or more 1xx responses received
      // prior to a final response". 101 switches protocols, which a plain request never asked for.
      if (status === 101) throw new Http1ParseError('101 Switching Protocols to a request that asked for no upgrade');
      this.events.informational?.(head);
      return used;
    }
    // RFC 9112 section 9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
    const conn = connectionTokens(head.fields);
    this.keepAlive = head.version === 'HTTP/1.1' ? !conn.close : conn.keepAlive && !conn.close;
    const framing = bodyFraming(head, this.headRequest);
    this.events.head(head);
    if (framing === 'none') this.finish(undefined);
    else if (framing === 'chunked') this.state = State.CHUNK_SIZE;
    else if (framing === 'close') {
      this.keepAlive = false;
      this.state = State.UNTIL_CLOSE;
    } else if (framing === 0) this.finish(undefined);
    else {
      this.remaining = framing;
      this.state = State.LENGTH;
    }
    return used;
  }

  private readChunkSize(buf: Buffer, off: number): number {
    const had = this.pending ? this.pending.length : 0;
    const data = this.take(buf, off);
    const eol = data.indexOf(CRLF);
    if (eol < 0) {
      if (data.length > MAX_CHUNK_LINE) throw new Http1ParseError('chunk-size line too long');
      this.pending = Buffer.from(data);
      return buf.length;
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

  private readTrailers(buf: Buffer, off: number): number {
    const had = this.pending ? this.pending.length : 0;
    const data = this.take(buf, off);
    // trailer-section = *( field-line CRLF ), then the final CRLF.
    if (data.length >= 2 && data[0] === 0x0d && data[1] === 0x0a) {
      this.finish(undefined);
      return off + 2 - had;
    }
    const end = data.indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (data.length >= this.limits.maxHeadSize) throw new Http1ParseError(`trailer section longer than ${this.limits.maxHeadSize} bytes`);
      this.pending = Buffer.from(data);
      return buf.length;
    }
    const fields = parseFieldLines(data.toString('latin1', 0, end).split('\r\n'), this.limits);
    this.finish(fields);
    return off + end + 4 - had;
  }

  private finish(trailers: [string, string][] | undefined): void {
    this.state = State.IDLE;
    this.events.end(trailers, this.keepAlive);
  }
}

/** The `close` / `keep-alive` options of the Connection fields. */
function connectionTokens(fields: [string, string][]): { close: boolean; keepAlive: boolean } {
  let close = false;
  let keepAlive = false;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i][0] !== 'connection') continue;
    for (const t of fields[i][1].split(',')) {
      const s = t.trim().toLowerCase();
      if (s === 'close') close = true;
      else if (s === 'keep-alive') keepAlive = true;
    }
  }
  return { close, keepAlive };
}

/**
 * How a response body is delimited (RFC 9112 section 6.3): 'none', 'chunked', 'close' (read until
 * the connection ends) or its Content-Length.
 */
export function bodyFraming(head: Http1ResponseHead, headRequest: boolean): 'none' | 'chunked' | 'close' | number {
  const status = head.status;
  // "Any response to a HEAD request and any response with a 1xx (Informational), 204 (No
  // Content), or 304 (Not Modified) status code is always terminated by the first empty line
  // after the header fields, regardless of the header fields present in the message".
  if (headRequest || status === 204 || status === 304 || (status >= 100 && status < 200)) return 'none';
  let te: string | undefined;
  let length: string | undefined;
  for (let i = 0; i < head.fields.length; i++) {
    const [n, v] = head.fields[i];
    if (n === 'transfer-encoding') te = te === undefined ? v : `${te},${v}`;
    else if (n === 'content-length') {
      // "a recipient MUST either reject the message as invalid or replace the duplicated
      // field values with a single valid Content-Length field" (identical values).
      for (const part of v.split(',')) {
        const p = part.trim();
        if (length !== undefined && p !== length) throw new Http1ParseError('conflicting Content-Length values');
        length = p;
      }
    }
  }
  if (te !== undefined) {
    // "If a Transfer-Encoding header field is present in a response and the chunked transfer
    // coding is not the final encoding, the message body length is determined by reading the
    // connection until it is closed by the server."
    const codings = te.split(',');
    return codings[codings.length - 1].trim().toLowerCase() === 'chunked' ? 'chunked' : 'close';
  }
  if (length !== undefined) {
    // "If a message is received without Transfer-Encoding and with an invalid Content-Length
    // header field, then the message framing is invalid and the recipient MUST treat it as an
    // unrecoverable error".
    if (!/^\d{1,15}$/.test(length)) throw new Http1ParseError(`invalid Content-Length ${JSON.stringify(length.slice(0, 40))}`);
    return Number(length);
  }
  return 'close';
}
