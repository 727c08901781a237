/**
 * nghttpx's HTTP/1.x frontend: connections the transport handed over as HTTP/1.x (cleartext
 * without the preface or an h2c upgrade, TLS with ALPN http/1.1) are read by our sans-IO request
 * parser (lib/transport/http1-request.ts); each request becomes a {@link ProxyRequest} and its
 * {@link ClientSide} (http1-client.ts), answered in order (pipelined requests wait for the answer
 * before them), the connection kept alive between them.
 */
import type { TLSSocket } from 'tls';
import type * as net from 'net';
import { Readable } from 'stream';
import type { Duplex, Writable } from 'stream';
import { Http1ParseError, Http1RequestHead } from '../../transport/http1';
import { Http1RequestInfo, Http1RequestParser } from '../../transport/http1-request';
import { type Throttle, ThrottledWriter } from '../../transport/throttle';
import { headLoad, nodeParserLimits } from './header-limits';
import { errorPage, REASONS } from './headers';
import { H1ClientSide, tunnelClientSide } from './http1-client';
import type { Peer } from './peers';
import type { ClientSide, Field, ProxyRequest } from './request';
import { Watched, WatchQueue, watchWrites } from './timeouts';

/** What the HTTP/1.x frontend needs from the proxy. */
export interface Http1FrontendContext {
  forward(req: ProxyRequest, client: ClientSide): void;
  error(msg: string): void;
  serverName: string;
  /** True once a graceful shutdown started: answers say `Connection: close`. */
  closing(): boolean;
  /** `--frontend-max-requests`: keep-alive requests per connection (undefined or 0: no limit). */
  maxRequests?: number;
  /** Timeouts (ms; 0: none), the reference's defaults when absent. */
  timeouts?: Partial<Http1Timeouts>;
  /** `--request-header-field-buffer` and `--max-request-header-fields` (the parser is given room past them: forwarding answers 431). */
  headerLimits?: { buffer: number; maxFields: number };
  /**
   * `--backend-request-buffer` (bytes; default 16 KiB): request body bytes read from the client
   * and not yet taken by the backend's writer past which the client is no longer read.
   */
  requestBuffer?: number;
  /** Rate limits for a connection (--read-rate, --write-rate...; rate-limit.ts); undefined: none. */
  throttle?: (socket: Duplex) => Throttle | undefined;
}

/** The HTTP/1.x frontend's timeouts (ms; 0: none). */
export interface Http1Timeouts {
  /** `--frontend-read-timeout`: a request head that stops arriving for this long drops the connection. */
  read: number;
  /** `--frontend-keep-alive-timeout`: an idle connection between requests is closed after this. */
  keepAlive: number;
  /** `--frontend-write-timeout`: bytes for the client that have not left for this long drop the connection. */
  write: number;
}

/** nghttpx's defaults: 1m, 1m, 30s. */
export const DEFAULT_HTTP1_TIMEOUTS: Http1Timeouts = { read: 60000, keepAlive: 60000, write: 30000 };

/** nghttpx's --backend-request-buffer default. */
const DEFAULT_REQUEST_BUFFER = 16384;

/** Read bytes held back (pipelined requests waiting for an answer) before the socket is paused. */
const MAX_HELD_INPUT = 65536;

/** An HTTP/1.x frontend (one per `-f`): our parser over the sockets given to `accept()`. */
export class Http1Frontend {
  /** Open connections. */
  readonly connections = new Set<H1Connection>();
  /** @internal */
  readonly timeouts: Http1Timeouts;
  /** @internal The parser's limits: room past the configured ones, so that forwarding measures a head and answers 431 as nghttpx does. */
  readonly limits: { maxHeadSize: number; maxFields: number };
  /** @internal --frontend-read-timeout of every connection awaiting its first head: one timer, no socket timer per connection. */
  readonly readWatches: WatchQueue | undefined;
  /** @internal --frontend-keep-alive-timeout of connections between requests (the read queue when both periods are equal). */
  readonly idleWatches: WatchQueue | undefined;

  constructor(
    /** @internal */ readonly ctx: Http1FrontendContext,
    /** @internal */ readonly frontendIndex: number,
    /** @internal */ readonly serverPort: () => number | undefined,
  ) {
    this.timeouts = { ...DEFAULT_HTTP1_TIMEOUTS, ...ctx.timeouts };
    const parser = nodeParserLimits(ctx.headerLimits?.buffer ?? 65536, ctx.headerLimits?.maxFields ?? 100);
    this.limits = { maxHeadSize: parser.maxHeaderSize, maxFields: parser.maxHeadersCount };
    const t = this.timeouts;
    this.readWatches = t.read > 0 ? new WatchQueue(t.read) : undefined;
    this.idleWatches = t.keepAlive === t.read ? this.readWatches : t.keepAlive > 0 ? new WatchQueue(t.keepAlive) : undefined;
  }

  /** Serve a connection the transport handed over, parsing the bytes it already read first; `peer` is its client. */
  accept(socket: Duplex, data: Buffer, peer: Peer): void {
    const c = new H1Connection(this, socket as net.Socket, peer);
    this.connections.add(c);
    c.start(data);
  }

  /** Graceful shutdown: idle connections end now, busy ones after their answer. */
  drain(): void {
    for (const c of this.connections) if (!c.busy) c.out.end();
  }

  /** Whether a request is still in flight. */
  busy(): boolean {
    for (const c of this.connections) if (c.busy && !c.socket.destroyed) return true;
    return false;
  }

  /** Drop every connection. */
  destroy(): void {
    for (const c of this.connections) c.socket.destroy();
  }
}

/** A request body as the backends read it: pushed as it is parsed, the socket paused while nobody reads. */
class RequestBody extends Readable {
  constructor(
    private readonly conn: H1Connection,
    requestBuffer: number,
  ) {
    // --backend-request-buffer: push() says false once this many bytes wait for the backend, and
    // the client's socket is paused until the backend's writer reads on (nghttpx: request_buf_full).
    super({ highWaterMark: requestBuffer });
  }

  override _read(): void {
    this.conn.bodyWanted();
  }
}

/**
 * One HTTP/1.x connection: the parser, the request being served (one at a time, as nghttpx
 * serves pipelined requests) and the timeouts between them (a watch of the frontend's read or
 * keep-alive queue: no socket timer, which every read and write would refresh).
 */
class H1Connection extends Watched {
  private readonly parser: Http1RequestParser;
  /** The request being answered (its head read, its answer not finished). */
  private current: H1ClientSide | undefined;
  /** The current request's body, while it is being read. */
  private body: RequestBody | undefined;
  private trailers: Field[] | undefined;
  /** Requests served (for --frontend-max-requests). */
  private served = 0;
  /** Reads from the client, counted for the read and keep-alive timeouts. */
  private reads = 0;
  /** The socket is paused: a body nobody reads, or too much input held back. */
  private paused = false;
  /** A CONNECT or Upgrade took the socket: it stays paused until the tunnel pipes it. */
  private tunnelled = false;
  private readonly onData = (chunk: Buffer): void => this.read(chunk);
  /** --read-rate/--write-rate... (reads reported here, writes through `out`), if any. */
  private readonly throttle: Throttle | undefined;
  /** Where every byte for the client is written: the socket, or a ThrottledWriter over it. */
  readonly out: Writable;

  constructor(
    private readonly fe: Http1Frontend,
    readonly socket: net.Socket,
    private readonly peer: Peer,
  ) {
    super();
    this.throttle = fe.ctx.throttle?.(socket);
    this.out = this.throttle?.limitsWrites ? new ThrottledWriter(socket, this.throttle) : socket;
    this.parser = new Http1RequestParser(
      {
        head: (head, info) => this.onHead(head, info),
        data: (chunk) => this.onBodyData(chunk),
        end: (trailers) => this.onEnd(trailers),
      },
      fe.limits,
    );
  }

  /** Whether a request is being answered. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  start(data: Buffer): void {
    const s = this.socket;
    s.on('error', () => undefined);
    s.once('close', () => this.closed());
    // As nghttpx: --frontend-read-timeout while the first request head is awaited (an idle
    // timeout: each read restarts it), none while a request is served,
    // --frontend-keep-alive-timeout once an answer is out (waiting() / expire() below).
    this.fe.readWatches?.add(this);
    s.on('end', () => this.ended());
    watchWrites(s, this.fe.timeouts.write, () => s.destroy());
    const t = this.throttle;
    if (t?.limitsReads) {
      // Its own listener, so that a tunnel's reads are counted too; the socket pauses while the
      // buckets are empty and goes on unless it is paused for a reason of ours.
      s.on('data', (c: Buffer) => t.read(c.length) || s.pause());
      t.onReadable(() => {
        // Only with a reader besides this one: a tunnel's socket waits unread until it is piped.
        if (!this.paused && s.listenerCount('data') > 1) s.resume();
      });
      s.once('close', () => t.close());
      if (data.length && !t.read(data.length)) s.pause();
    }
    s.on('data', this.onData);
    if (data.length) this.read(data);
    // Bytes read already may hold a whole CONNECT head and what the client sent after it: a
    // flowing socket with no reader would drop them (and the next reads) before the tunnel pipes it.
    if (!t?.readHeld && !this.tunnelled) s.resume();
  }

  /** Read on, unless the rate limits hold reads. */
  private resumeReads(): void {
    if (!this.throttle?.readHeld) this.socket.resume();
  }

  private read(chunk: Buffer): void {
    this.reads++;
    try {
      this.parser.feed(chunk);
    } catch (err) {
      this.malformed(err as Error);
      return;
    }
    // Pipelined requests past what an answer in progress lets us take: stop reading for now.
    if (this.parser.buffered > MAX_HELD_INPUT && !this.paused) this.pause();
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  /** @internal The request body's reader wants more. */
  bodyWanted(): void {
    if (this.paused && this.parser.buffered <= MAX_HELD_INPUT) {
      this.paused = false;
      this.resumeReads();
    }
  }

  /** The client sent its FIN: a request body cut short fails. */
  private ended(): void {
    try {
      this.parser.eof();
    } catch (err) {
      this.body?.destroy(err as Error);
      this.body = undefined;
    }
  }

  /** @internal Watched: reads from the client. */
  progress(): number {
    return this.reads;
  }

  /** @internal Watched: no request is being served (the backend's own timeouts hold then). */
  waiting(): boolean {
    return this.current === undefined;
  }

  /** @internal Watched: the read or keep-alive timeout. */
  expire(): void {
    if (!this.current) this.socket.destroy();
  }

  private closed(): void {
    this.watchQueue?.delete(this);
    this.fe.connections.delete(this);
    this.body?.destroy(new Error('client connection closed'));
    this.body = undefined;
    const x = this.current;
    this.current = undefined;
    x?.clientGone();
  }

  /** A malformed request: 400 (431 for a head too large) where no answer has started, else the connection drops. */
  private malformed(err: Error): void {
    this.socket.off('data', this.onData);
    this.body?.destroy(err);
    this.body = undefined;
    const x = this.current;
    if (x && !x.unanswered) {
      this.socket.destroy();
      return;
    }
    x?.disown();
    const status = err instanceof Http1ParseError && err.status === 431 ? 431 : 400;
    this.out.end(errorAnswer(status, this.fe.ctx.serverName));
  }

  private onHead(head: Http1RequestHead, info: Http1RequestInfo): void {
    const s = this.socket;
    // The head is in: no read timeout while the request is with the backend (nghttpx waits for
    // the backend's own timeouts): the 'timeout' handler lets a busy connection be.
    if (info.tunnel) return this.tunnel(head);
    // RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad Request) status code to any
    // HTTP/1.1 request message that lacks a Host header field".
    if (head.version === 'HTTP/1.1' && fieldOf(head.fields, 'host') === undefined) throw new Http1ParseError('no Host field');
    const n = ++this.served;
    const ctx = this.fe.ctx;
    const http10 = head.version === 'HTTP/1.0';
    // --frontend-max-requests: "For HTTP/1, this is the number of keep alive requests."
    // HTTP/1.0 clients are answered and closed, as nghttpx does even when they ask to keep alive.
    const keepAlive = info.keepAlive && !http10 && !ctx.closing() && !(ctx.maxRequests && n >= ctx.maxRequests);
    const client = new H1ClientSide(this, this.out, head.method === 'HEAD', http10, keepAlive);
    this.current = client;
    const tls = (s as { encrypted?: boolean }).encrypted === true;
    const target = targetOf(head.target, fieldOf(head.fields, 'host'));
    const hasBody = info.framing !== 0;
    const body = hasBody ? new RequestBody(this, this.fe.ctx.requestBuffer ?? DEFAULT_REQUEST_BUFFER) : undefined;
    this.body = body;
    this.trailers = undefined;
    if (info.expectContinue) this.out.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    const pr: ProxyRequest = {
      method: head.method,
      scheme: target.scheme ?? (tls ? 'https' : 'http'),
      authority: target.authority,
      path: target.path,
      absoluteForm: target.scheme !== undefined,
      fields: head.fields,
      // The request-target counts toward --request-header-field-buffer, as in nghttpx.
      head: headLoad(head.fields, 0, head.target.length),
      body,
      trailers: hasBody ? () => this.requestTrailers() : undefined,
      remoteAddress: this.peer.address ?? s.remoteAddress ?? 'localhost',
      remotePort: this.peer.port ?? s.remotePort,
      serverPort: this.fe.serverPort() ?? s.localPort,
      protocol: http10 ? 'http/1.0' : 'http/1.1',
      alpn: 'http/1.1',
      tls,
      tlsSocket: tls ? (s as TLSSocket) : undefined,
      frontendIndex: this.fe.frontendIndex,
      localAddress: s.localAddress,
      connection: s,
    };
    try {
      ctx.forward(pr, client);
    } catch (err) {
      ctx.error(`request handling failed: ${(err as Error).message}`);
      s.destroy();
    }
  }

  private onBodyData(chunk: Buffer): void {
    const b = this.body;
    if (b && !b.push(chunk) && !this.paused) this.pause();
  }

  private onEnd(trailers: [string, string][] | undefined): void {
    // As the reference (its parser refuses it): Transfer-Encoding in a request's trailer section
    // makes the request malformed (400).
    if (trailers && fieldOf(trailers, 'transfer-encoding') !== undefined)
      throw new Http1ParseError('Transfer-Encoding in a trailer section');
    const b = this.body;
    this.body = undefined;
    this.trailers = trailers;
    b?.push(null);
    // The next request (pipelined) waits for this one's answer.
    if (this.current) this.parser.hold();
  }

  /** The request's trailer section as received (each backend relays what nghttpx relays: headers.ts). */
  private requestTrailers(): Field[] | undefined {
    return this.trailers;
  }

  /** @internal `x`'s answer is out: next request, or the end of the connection. */
  answered(x: H1ClientSide): void {
    if (this.current !== x) return;
    this.current = undefined;
    // A request body still arriving after the answer: the connection cannot be reused.
    if (!x.keepAlive || this.body || this.fe.ctx.closing()) {
      this.body?.resume();
      this.out.end();
      return;
    }
    if (this.watchQueue !== this.fe.idleWatches) this.watchIn(this.fe.idleWatches);
    if (this.paused) {
      this.paused = false;
      this.resumeReads();
    }
    // Pipelined requests already read are served once the answer's writer has returned.
    if (this.parser.buffered) process.nextTick(() => this.next());
    else this.parser.release();
  }

  private next(): void {
    if (this.current || this.socket.destroyed) return;
    try {
      this.parser.release();
    } catch (err) {
      this.malformed(err as Error);
    }
  }

  /**
   * `CONNECT host:port HTTP/1.1` (a tunnel once the backend agrees) or an `Upgrade:` request such
   * as a WebSocket (101, then a tunnel): the socket leaves the parser with the bytes read past
   * the head, and answers with a hand-written head.
   */
  private tunnel(head: Http1RequestHead): void {
    const s = this.socket;
    s.off('data', this.onData);
    s.pause();
    this.tunnelled = true;
    // A tunnel idles as long as its backend allows (tunnels.ts), not by the frontend's timeouts.
    this.watchQueue?.delete(this);
    const rest = this.parser.detach();
    const ctx = this.fe.ctx;
    const connect = head.method === 'CONNECT';
    const upgrade = fieldOf(head.fields, 'upgrade');
    if (!connect && /^\s*h2c\s*$/i.test(upgrade ?? '')) {
      // An h2c upgrade the transport did not take (bad HTTP2-Settings, a body too large, not the
      // connection's first request): refused.
      this.out.end(errorAnswer(400, ctx.serverName));
      return;
    }
    if (rest.length) s.unshift(rest);
    const tls = (s as { encrypted?: boolean }).encrypted === true;
    const client = tunnelClientSide(s, connect, this.out);
    const pr: ProxyRequest = {
      method: head.method,
      scheme: tls ? 'https' : 'http',
      authority: connect ? head.target : fieldOf(head.fields, 'host'),
      path: connect ? '' : head.target,
      upgrade: connect ? undefined : upgrade,
      fields: head.fields,
      head: headLoad(head.fields, 0, head.target.length),
      body: undefined,
      remoteAddress: this.peer.address ?? s.remoteAddress ?? 'localhost',
      remotePort: this.peer.port ?? s.remotePort,
      serverPort: this.fe.serverPort(),
      protocol: head.version === 'HTTP/1.0' ? 'http/1.0' : 'http/1.1',
      alpn: 'http/1.1',
      tls,
      tlsSocket: tls ? (s as TLSSocket) : undefined,
      frontendIndex: this.fe.frontendIndex,
    };
    try {
      ctx.forward(pr, client);
    } catch (err) {
      ctx.error(`${connect ? 'CONNECT' : 'Upgrade'} handling failed: ${(err as Error).message}`);
      s.destroy();
    }
  }
}

/** The value of the first field named `name`. */
function fieldOf(fields: Field[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i++) if (fields[i][0] === name) return fields[i][1];
  return undefined;
}

/** nghttpx's answer to a request it cannot read (its error page, then the connection closes). */
function errorAnswer(status: number, serverName: string): string {
  const body = errorPage(status, REASONS[status] ?? 'Error');
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nServer: ${serverName}\r\nContent-Length: ${body.length}\r\n` +
    `Date: ${new Date().toUTCString()}\r\nContent-Type: text/html; charset=UTF-8\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * The parts of an HTTP/1.1 request-target: RFC 9112 section 3.2.2, an absolute-form target
 * carries the authority (which then wins over Host) and the scheme.
 */
export function targetOf(
  target: string,
  host: string | undefined,
): { scheme?: 'http' | 'https'; authority: string | undefined; path: string } {
  if (target.charCodeAt(0) === 0x2f /* / */) return { authority: host, path: target };
  const abs = /^(https?):\/\/([^/?#]*)([^#]*)/i.exec(target);
  if (!abs) return { authority: host, path: target };
  const path = abs[3] || '/';
  return { scheme: abs[1].toLowerCase() as 'http' | 'https', authority: abs[2], path: path.startsWith('/') ? path : `/${path}` };
}
