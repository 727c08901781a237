/**
 * An incremental HTTP/1.1 response parser for a client connection (sans-IO): bytes in, one
 * response after another out as head / body chunk / end events. Heads are parsed by
 * {@link parseResponseHead}; bodies are framed as RFC 9112 section 6.3 says (no body for HEAD,
 * 1xx, 204, 304; chunked; Content-Length; else until the connection closes).
 */
import { connectionTokens, FieldLineMemo, Http1Limits, Http1ParseError, Http1ResponseHead, listItem, parseResponseHead } from './http1';
import { Http1BodyDecoder } from './http1-body';

/** What the parser reports, in wire order. */
export interface Http1ResponseEvents {
  /** A 1xx head other than 101 (the final head follows). */
  informational?(head: Http1ResponseHead): void;
  /**
   * The final response head. A head equal byte for byte to the one before it on this connection
   * (most servers repeat theirs but for Date, once a second) is the same object, fields included:
   * read it, never change it.
   */
  head(head: Http1ResponseHead): void;
  /** A piece of the body (a view into the input: copy it to keep it past the call). */
  data(chunk: Buffer): void;
  /**
   * When given, each piece of the body comes here instead of to `data`: octets `start` to `end`
   * of the input `buf` (no view is made for it; copy what you keep past the call).
   */
  dataRange?(buf: Buffer, start: number, end: number): void;
  /**
   * The response is complete: its trailer fields (chunked bodies; undefined when none), and
   * whether the connection may carry another request (persistence, RFC 9112 section 9.3).
   */
  end(trailers: [string, string][] | undefined, keepAlive: boolean): void;
}

/**
 * The last final head read (to a request other than HEAD) by the parsers that share this: its
 * bytes through the blank line, the head, its persistence and framing. A response that starts
 * with the same bytes is that head again, taken without parsing (no head string, field strings or
 * pairs made). One per parser by default; the connections of one server may share one, so that a
 * head every connection repeats is parsed once and is the same object (its strings too) on all.
 */
export class Http1HeadMemo implements FieldLineMemo {
  /** @internal */
  bytes: Buffer | undefined = undefined;
  /** @internal The last head parsed (a final one, or a 1xx since), for a head that differs in some lines only (FieldLineMemo). */
  lineBytes: Buffer | undefined = undefined;
  /** @internal Its field lines' places in `lineBytes`. */
  spans: number[] | undefined = undefined;
  /** @internal Their pairs. */
  pairs: [string, string][] | undefined = undefined;
  /** @internal */
  head: Http1ResponseHead | undefined = undefined;
  /** @internal */
  keepAlive = false;
  /** @internal */
  framing: 'none' | 'chunked' | 'close' | number = 'none';
}

const enum State {
  /** No request outstanding: any byte is an error. */
  IDLE,
  HEAD,
  /** The body (the decoder's). */
  BODY,
}

/**
 * Parses the responses of one HTTP/1.1 client connection. Call {@link expect} when a request
 * goes out, {@link feed} with each chunk read, {@link eof} when the peer closes. Malformed input
 * throws {@link Http1ParseError} (the connection is then unusable).
 */
export class Http1ResponseParser {
  private state = State.IDLE;
  /** Bytes of a head not yet complete. */
  private pending: Buffer | undefined;
  private headRequest = false;
  private keepAlive = false;
  private readonly body: Http1BodyDecoder;

  constructor(
    private readonly events: Http1ResponseEvents,
    private readonly limits: Http1Limits,
    /** Where the last head is remembered (shared by the connections of one server, or this parser's own). */
    private readonly memo: Http1HeadMemo = new Http1HeadMemo(),
  ) {
    const range = events.dataRange;
    this.body = new Http1BodyDecoder(
      {
        data: (chunk) => events.data(chunk),
        dataRange: range === undefined ? undefined : (buf, start, end) => range.call(events, buf, start, end),
        end: (trailers) => this.finish(trailers),
      },
      limits,
    );
  }

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

  /** Parse `buf` up to `end` (any split; a read buffer's first `end` bytes need no view of their own). */
  feed(buf: Buffer, end = buf.length): void {
    let off = 0;
    while (off < end) {
      switch (this.state) {
        case State.IDLE:
          throw new Http1ParseError('bytes from the server with no request outstanding');
        case State.HEAD:
          off = this.readHead(buf, off, end);
          break;
        case State.BODY:
          off = this.body.feed(buf, off, end);
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
    if (this.state === State.HEAD) throw new Http1ParseError('connection closed before the response head');
    this.keepAlive = false;
    this.body.eof();
  }

  private readHead(buf: Buffer, off: number, bufEnd: number): number {
    const memo = this.memo;
    const last = memo.bytes;
    if (last !== undefined && this.pending === undefined && !this.headRequest) {
      const end = off + last.length;
      // The remembered bytes end with the blank line: equal bytes are a whole head, the same head.
      if (end <= bufEnd && buf.compare(last, 0, last.length, off, end) === 0) {
        this.keepAlive = memo.keepAlive;
        this.begin(memo.head!, memo.framing);
        return end;
      }
    }
    const had = this.pending ? this.pending.length : 0;
    const rest = off === 0 && bufEnd === buf.length ? buf : buf.subarray(off, bufEnd);
    const data = this.pending ? Buffer.concat([this.pending, rest]) : rest;
    this.pending = undefined;
    const parsed = parseResponseHead(data, this.limits, this.headRequest ? undefined : memo);
    if (!parsed) {
      this.pending = Buffer.from(data);
      return bufEnd;
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
    if (framing === 'close') this.keepAlive = false;
    if (!this.headRequest) {
      // parseResponseHead copied this head's octets through its blank line for the field memo.
      memo.bytes = memo.lineBytes;
      memo.head = head;
      memo.keepAlive = this.keepAlive;
      memo.framing = framing;
    }
    this.begin(head, framing);
    return used;
  }

  /** A final head was read: tell it, then read its body (if any). */
  private begin(head: Http1ResponseHead, framing: 'none' | 'chunked' | 'close' | number): void {
    this.events.head(head);
    if (framing === 'none') this.finish(undefined);
    else {
      this.state = State.BODY;
      this.body.start(framing);
    }
  }

  private finish(trailers: [string, string][] | undefined): void {
    this.state = State.IDLE;
    this.events.end(trailers, this.keepAlive);
  }
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
      for (let from = 0; ; ) {
        const comma = v.indexOf(',', from);
        const p = listItem(v, from, comma);
        if (length !== undefined && p !== length) throw new Http1ParseError('conflicting Content-Length values');
        length = p;
        if (comma < 0) break;
        from = comma + 1;
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
