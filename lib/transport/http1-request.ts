/**
 * An incremental HTTP/1.1 request parser for a server connection (sans-IO): bytes in, one request
 * after another out as head / body chunk / end events. Heads are parsed by
 * {@link parseRequestHead}; bodies are framed as RFC 9112 section 6.3 says for requests (chunked,
 * Content-Length, else none). The consumer may hold the parser between requests (pipelined
 * requests wait, in order, for the answer before them) and takes the connection over after a
 * CONNECT or Upgrade request's head.
 */
import { connectionTokens, couldBeHttp1Request, Http1Limits, Http1ParseError, Http1RequestHead, parseRequestHead } from './http1';
import { Http1BodyDecoder } from './http1-body';

/** What the parser knows of a request beyond its head. */
export interface Http1RequestInfo {
  /** Body octets (0: none) or 'chunked'. */
  framing: number | 'chunked';
  /** RFC 9112 section 9.3: whether the client asks to keep the connection after this request. */
  keepAlive: boolean;
  /**
   * A CONNECT, or an upgrade (`Connection: upgrade` with an `Upgrade` field): the parser stops
   * after this head, and the bytes after it are the consumer's ({@link Http1RequestParser.detach}).
   */
  tunnel: boolean;
  /** `Expect: 100-continue` (RFC 9110 section 10.1.1) on a request with a body. */
  expectContinue: boolean;
  /** The head's size on the wire (request line, fields, final CRLF). */
  headBytes: number;
}

/** What the parser reports, in wire order. */
export interface Http1RequestEvents {
  head(head: Http1RequestHead, info: Http1RequestInfo): void;
  /** A piece of the body (a view into the input). */
  data(chunk: Buffer): void;
  /** The request is complete, with its trailer fields (chunked bodies; undefined when none). */
  end(trailers: [string, string][] | undefined): void;
}

/**
 * Parses the requests of one HTTP/1.1 server connection: {@link feed} each chunk read; malformed
 * input throws {@link Http1ParseError} (its `status` is the answer: 400, or 431 for a head over
 * the limits), after which the connection is unusable.
 */
export class Http1RequestParser {
  /** Input not parsed yet: a partial head, or everything after a hold. */
  private kept: Buffer | undefined;
  private held = false;
  private detached = false;
  private readonly body: Http1BodyDecoder;

  constructor(
    private readonly events: Http1RequestEvents,
    private readonly limits: Http1Limits,
  ) {
    this.body = new Http1BodyDecoder(events, limits);
  }

  /** Octets read but not parsed yet (held, or a partial head). */
  get buffered(): number {
    return this.kept ? this.kept.length : 0;
  }

  /** Whether a request body is being read. */
  get inBody(): boolean {
    return this.body.active;
  }

  /** Parse `buf` (any split); while held, it is kept for later. */
  feed(buf: Buffer): void {
    if (this.kept) {
      buf = Buffer.concat([this.kept, buf]);
      this.kept = undefined;
    }
    if (this.held || this.detached) this.kept = buf;
    else this.run(buf);
  }

  /** Stop parsing (e.g. when a request has ended, until its answer is out); input is kept. */
  hold(): void {
    this.held = true;
  }

  /** Go on parsing, starting with what was kept. */
  release(): void {
    this.held = false;
    if (this.detached || !this.kept) return;
    const b = this.kept;
    this.kept = undefined;
    this.run(b);
  }

  /** After a tunnel request's head: stop for good and hand over the bytes read past it. */
  detach(): Buffer {
    this.detached = true;
    const b = this.kept ?? Buffer.alloc(0);
    this.kept = undefined;
    return b;
  }

  /** The client closed its side: a body cut short throws {@link Http1ParseError}; a partial head is dropped. */
  eof(): void {
    this.body.eof();
  }

  private run(buf: Buffer): void {
    let off = 0;
    while (off < buf.length && !this.held && !this.detached) {
      if (this.body.active) {
        off = this.body.feed(buf, off);
        continue;
      }
      const data = off === 0 ? buf : buf.subarray(off);
      const parsed = parseRequestHead(data, this.limits);
      if (!parsed) {
        // A request line gone wrong is answered now, not after the head would have ended.
        if (!couldBeHttp1Request(data)) throw new Http1ParseError('malformed request line');
        break;
      }
      off += parsed.consumed;
      const head = parsed.head;
      const info = requestInfo(head, parsed.consumed);
      if (info.tunnel) {
        this.detached = true;
        if (off < buf.length) this.kept = buf.subarray(off);
        this.events.head(head, info);
        return;
      }
      this.events.head(head, info);
      this.body.start(info.framing);
    }
    if (off < buf.length && !this.detached) this.kept = off === 0 ? buf : buf.subarray(off);
  }
}

/** A request's framing, persistence and handover (RFC 9112 sections 6.3, 9.3; RFC 9110 section 9.3.6). */
function requestInfo(head: Http1RequestHead, headBytes: number): Http1RequestInfo {
  const fields = head.fields;
  let te: string | undefined;
  let length: string | undefined;
  let upgrade = false;
  let expect = false;
  for (let i = 0; i < fields.length; i++) {
    const n = fields[i][0];
    const v = fields[i][1];
    if (n === 'content-length') {
      // "a recipient MUST either reject the message as invalid or replace the duplicated field
      // values with a single valid Content-Length field" (identical values).
      for (const part of v.split(',')) {
        const p = part.trim();
        if (length !== undefined && p !== length) throw new Http1ParseError('conflicting Content-Length values');
        length = p;
      }
    } else if (n === 'transfer-encoding') te = te === undefined ? v : `${te},${v}`;
    else if (n === 'upgrade') upgrade = true;
    else if (n === 'expect') expect = v.toLowerCase() === '100-continue';
  }
  let framing: number | 'chunked' = 0;
  if (te !== undefined) {
    // "If a Transfer-Encoding header field is present in a request and the chunked transfer
    // coding is not the final encoding, the message body length cannot be determined reliably;
    // the server MUST respond with the 400 (Bad Request) status code and then close the
    // connection." A request with both fields is refused too, as nghttpx does ("ought to be
    // handled as an error").
    const codings = te.split(',');
    if (codings[codings.length - 1].trim().toLowerCase() !== 'chunked')
      throw new Http1ParseError('chunked is not the final transfer coding');
    if (length !== undefined) throw new Http1ParseError('both Transfer-Encoding and Content-Length');
    framing = 'chunked';
  } else if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) throw new Http1ParseError(`invalid Content-Length ${JSON.stringify(length.slice(0, 40))}`);
    framing = Number(length);
  }
  const conn = connectionTokens(fields);
  return {
    framing,
    keepAlive: head.version === 'HTTP/1.1' ? !conn.close : conn.keepAlive && !conn.close,
    tunnel: head.method === 'CONNECT' || (upgrade && conn.upgrade),
    expectContinue: expect && framing !== 0 && head.version === 'HTTP/1.1',
    headBytes,
  };
}
