/**
 * nghttpx's HTTP/2 frontend: each stream of a connection the transport accepted (TLS ALPN h2,
 * h2c prior knowledge, or an h2c Upgrade whose request is stream 1) becomes a {@link ProxyRequest}
 * and its {@link ClientSide}, handed to forwarding.
 */
import { Writable } from 'stream';
import type { Duplex } from 'stream';
import type { TLSSocket } from 'tls';
import type { Http2Connection } from '../../transport/connection';
import type { AcceptInfo } from '../../transport/server';
import type { Http2Stream, StreamObserver } from '../../transport/stream';
import { tunnelDuplex } from '../../transport/tunnel';
import type { HeaderField } from '../../protocol/frame/types';
import type { SessionEvent } from '../../protocol/session/types';
import type { FramePrinter } from '../printer/printer';
import type { BodySource, ClientSide, Field, ProxyRequest } from './request';
import { watchWrites, Watched, WatchQueue } from './timeouts';
import { DispatchLimiter } from './dispatch';
import type { HeaderDump, HeaderDumps } from './header-dump';
import { ErrorCode } from '../../protocol/errors';
import { BodyRelay } from './relay';

/** What the HTTP/2 frontend needs from the proxy. */
export interface H2FrontendContext {
  /** Forward one request. */
  forward(req: ProxyRequest, client: ClientSide): void;
  /** Report a request the frontend could not hand over. */
  error(msg: string): void;
  /** `-o`: print every frame of every frontend connection. */
  printer?: FramePrinter;
  /** `--frontend-http2-dump-request-header` / `-response-header`: header blocks as received / sent. */
  dumps?: HeaderDumps;
  /** `--frontend-max-requests`: streams per connection, then GOAWAY (undefined or 0: no limit). */
  maxRequests?: number;
  /** Timeouts (ms; 0: none); absent: none. */
  timeouts?: H2Timeouts;
  /** The per-request timeouts' queues, shared by the configuration's connections (made per connection when absent). */
  watches?: H2Watches;
  /** Requests of one connection with backends at once (`limit` 0: any), per origin host when `byHost`. */
  dispatch?: { limit: number; byHost: boolean };
}

/** The HTTP/2 frontend's timeouts (ms; 0: none). */
export interface H2Timeouts {
  /** `--frontend-http2-read-timeout`: a connection with no open stream that reads nothing this long is closed. */
  read: number;
  /** `--frontend-write-timeout`: bytes for the client that have not left for this long drop the connection. */
  write: number;
  /** `--stream-read-timeout`: a request body that stops arriving this long: RST_STREAM INTERNAL_ERROR. */
  streamRead: number;
  /** `--stream-write-timeout`: a response body that cannot leave (flow control) this long: RST_STREAM INTERNAL_ERROR. */
  streamWrite: number;
}

/**
 * What every request of one frontend connection shares, read once when the connection starts: the
 * socket's local address and port are getters that reach its handle (`_handle`, a keyed load
 * megamorphic across every socket kind: four of them per request, ~8% of requestOf's instructions
 * under callgrind, before this was made per connection).
 */
interface ConnectionFacts {
  readonly info: AcceptInfo;
  readonly serverPort: number | undefined;
  readonly localAddress: string | undefined;
  readonly tlsSocket: TLSSocket | undefined;
  readonly frontendIndex: number;
}

/** The {@link ConnectionFacts} of `conn`. */
function connectionFacts(
  conn: Http2Connection,
  info: AcceptInfo,
  serverPort: number | undefined,
  frontendIndex: number,
  tlsSocket: TLSSocket | undefined,
): ConnectionFacts {
  const socket = conn.socket as { localPort?: number; localAddress?: string };
  return { info, serverPort: serverPort ?? socket.localPort, localAddress: socket.localAddress, tlsSocket, frontendIndex };
}

/** The request record of one HTTP/2 stream. */
function requestOf(stream: Http2Stream, c: ConnectionFacts): ProxyRequest {
  const h = stream.requestHeaders;
  // One pass: pseudo-headers picked out, where the regular fields start found (the session checked the block).
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let host: string | undefined;
  let path: string | undefined;
  let protocol: string | undefined;
  let firstRegular = -1;
  let pseudoAfter = false;
  let bytes = 0;
  for (let i = 0; i < h.length; i++) {
    const f = h[i];
    const n = f[0];
    const v = f[1];
    bytes += n.length + v.length;
    if (n.charCodeAt(0) !== 0x3a /* ':' */) {
      if (firstRegular < 0) firstRegular = i;
      if (n === 'host' && host === undefined) host = v;
      continue;
    }
    if (firstRegular >= 0) pseudoAfter = true;
    if (n === ':method') method ??= v;
    else if (n === ':scheme') scheme ??= v;
    else if (n === ':authority') authority ??= v;
    else if (n === ':path') path ??= v;
    else if (n === ':protocol') protocol ??= v;
  }
  // The regular fields are the decoder's pairs themselves (never mutated downstream), in one list
  // of their exact length: RFC 9113 section 8.3 puts every pseudo-header first (the session
  // checked it), so they are one slice of the block's list (a push per field grew a list twice
  // per request, to 17 slots).
  const fields = (firstRegular < 0 ? [] : pseudoAfter ? h.filter((f) => f[0].charCodeAt(0) !== 0x3a) : h.slice(firstRegular)) as Field[];
  const info = c.info;
  const upgraded = info.via === 'upgrade' && stream.id === 1;
  const body = stream.remoteEnded && stream.bufferedBytes === 0 ? undefined : stream.body;
  return {
    method: method ?? 'GET',
    scheme: scheme === 'http' || scheme === 'https' ? scheme : info.scheme,
    authority: authority ?? host,
    path: path ?? (method === 'CONNECT' ? '' : '/'),
    fields,
    // Pseudo-headers included, as nghttpx counts them against the header-field limits.
    head: { count: h.length, bytes },
    body,
    // Trailers come after a body: a request without one needs no getter (none made per GET).
    trailers: body && (() => stream.trailers as Field[] | undefined),
    remoteAddress: info.remoteAddress ?? 'localhost',
    remotePort: info.remotePort,
    serverPort: c.serverPort,
    // nghttpx logs and tags (Via) the upgraded request as the HTTP/1.1 request it was.
    protocol: upgraded ? 'http/1.1' : 'h2',
    alpn: info.scheme === 'https' ? 'h2' : 'h2c',
    tls: info.scheme === 'https',
    tlsSocket: c.tlsSocket,
    connectProtocol: protocol,
    frontendIndex: c.frontendIndex,
    localAddress: c.localAddress,
    connection: info,
  };
}

/**
 * A backend body relayed onto one HTTP/2 frontend stream (relay.ts): each payload is queued on
 * the stream as it arrives, and its window goes back to the backend once the stream's queue is
 * under its low-water mark (so a slow client stops the backend).
 */
class StreamRelay extends BodyRelay {
  constructor(
    private readonly stream: Http2Stream,
    source: BodySource,
    private readonly trailers: () => Field[] | undefined,
    done: (bytes: number, complete: boolean) => void,
  ) {
    super(source, done);
  }

  protected send(chunk: Buffer): boolean {
    const stream = this.stream;
    try {
      stream.sendData(chunk);
    } catch {
      // The stream takes no more DATA (ended, or the connection is going away): the bytes are
      // dropped and their window given back when the stream reports writable (closed).
      return false;
    }
    // Taken at once while the stream's queue is within the low-water mark (what whenWritable
    // would answer at once): no callback to wait for, most bodies of a proxied request.
    return stream.writableNow;
  }

  protected whenWritable(cb: () => void): void {
    this.stream.whenWritable(cb);
  }

  protected finish(): boolean {
    try {
      this.stream.end(this.trailers());
      return true;
    } catch {
      return false;
    }
  }
}

/** `:status` pairs already made, one per status code (pairs are never mutated once sent). */
const STATUS_FIELDS: Field[] = [];

/** The `:status` field of `status`: one shared pair per code instead of one per response. */
function statusField(status: number): Field {
  if (status >= 100 && status < 600) return (STATUS_FIELDS[status] ??= [':status', String(status)]);
  return [':status', String(status)];
}

/** What the streams of one HTTP/2 frontend connection share. */
class H2Shared {
  /** Streams open now (the connection read timeout runs only while there are none). */
  open = 0;
  /** Streams so far (`--frontend-max-requests`). */
  streams = 0;

  constructor(
    readonly conn: Http2Connection,
    readonly watches: H2Watches,
    /** `--frontend-http2-dump-response-header`. */
    readonly responseDump: HeaderDump | undefined,
  ) {}

  /** A stream of this connection opened. */
  opened(): void {
    this.open++;
  }

  /** A stream of this connection closed. */
  closed(): void {
    this.open--;
  }
}

/**
 * The client side of one HTTP/2 stream: a class, since one is made per request (an object of closures cost eight
 * allocations each time). It is its own `--stream-write-timeout` watch, and it hears the
 * stream's one 'close' for everything a request must undo (slot, watches, the read timeout's
 * stream count, forwarding's "client gone").
 */
class H2ClientSide extends Watched implements ClientSide, StreamObserver {
  private gone: (() => void) | undefined;
  private answerStarted = false;
  /** The `--backend-connections-per-frontend` slot to give back when the stream closes. */
  release: (() => void) | undefined;
  /** The `--stream-read-timeout` watch of the request body, if any. */
  readWatch: StreamReadWatch | undefined;

  constructor(
    private readonly stream: Http2Stream,
    private readonly shared: H2Shared,
  ) {
    super();
    // Its 'close' as a call (StreamObserver): no listener table or closure per request.
    stream.observer = this;
  }

  /** @internal StreamObserver: the stream closed; undo what the request held. */
  closed(_stream: Http2Stream, code: number): void {
    this.shared.closed();
    const release = this.release;
    if (release) {
      this.release = undefined;
      release();
    }
    const watches = this.shared.watches;
    watches.streamWrite?.delete(this);
    if (this.readWatch) watches.streamRead?.delete(this.readWatch);
    if (code !== 0 || !this.stream.localEnded) this.gone?.();
  }

  respond(status: number, fields: Field[], endStream: boolean): void {
    this.answerStarted = true;
    const stream = this.stream;
    // One array of its final length (pushing grew it twice per response).
    const headers: Field[] = new Array<Field>(1 + fields.length);
    headers[0] = statusField(status);
    for (let i = 0; i < fields.length; i++) headers[1 + i] = fields[i];
    stream.respond(headers, { endStream });
    this.shared.responseDump?.write(headers);
    // --stream-write-timeout: body bytes queued for the client that do not leave (its window
    // stays shut) for this long reset the stream with INTERNAL_ERROR, as nghttpx.
    const q = this.shared.watches.streamWrite;
    if (!endStream && q && !stream.closed) q.add(this);
  }

  /** @internal Watched: body octets that have left for the client. */
  progress(): number {
    return this.stream.writtenBytes - this.shared.conn.session.queuedBytes(this.stream.id);
  }

  /** @internal Watched: bytes wait for the client's window. */
  waiting(): boolean {
    return this.shared.conn.session.queuedBytes(this.stream.id) > 0;
  }

  /** @internal Watched: the write timeout. */
  expire(): void {
    this.stream.reset(ErrorCode.INTERNAL_ERROR);
  }

  writable(trailers?: () => Field[] | undefined): Writable {
    if (this.stream.localEnded) return new Writable({ write: (_c, _e, cb) => cb(), final: (cb) => cb() });
    return this.stream.writableBody({ trailers });
  }

  relay(source: BodySource, trailers: () => Field[] | undefined, done: (bytes: number, complete: boolean) => void): void {
    source.relayBody(new StreamRelay(this.stream, source, trailers, done));
  }

  /** `code`, else INTERNAL_ERROR once the answer has started, else CANCEL. */
  abort(code?: number): void {
    this.stream.reset(code ?? (this.answerStarted ? ErrorCode.INTERNAL_ERROR : ErrorCode.CANCEL));
  }

  onClientGone(cb: () => void): void {
    this.gone = cb;
  }

  tunnel(): { readable: Duplex; writable: Duplex } {
    const d = tunnelDuplex(this.stream);
    return { readable: d, writable: d };
  }

  /**
   * RFC 9113 section 8.4: "PUSH_PROMISE frames MUST only be sent on a peer-initiated stream",
   * and only while the client's SETTINGS_ENABLE_PUSH allows it.
   */
  push(headers: Field[]): ClientSide | undefined {
    const stream = this.stream;
    if (stream.kind !== 'request' || stream.closed || stream.localEnded || !this.shared.conn.session.remoteSettings.enablePush)
      return undefined;
    let pushed: Http2Stream;
    try {
      pushed = stream.push(headers);
    } catch {
      // The client's SETTINGS_MAX_CONCURRENT_STREAMS is full, or the stream closed meanwhile.
      return undefined;
    }
    this.shared.opened();
    return new H2ClientSide(pushed, this.shared);
  }
}

/** `--stream-read-timeout` on one stream: its request body stops arriving: RST_STREAM INTERNAL_ERROR. */
class StreamReadWatch extends Watched {
  constructor(private readonly stream: Http2Stream) {
    super();
  }

  /** @internal */
  progress(): number {
    return this.stream.receivedBytes;
  }

  /** @internal */
  waiting(): boolean {
    return !this.stream.remoteEnded;
  }

  /** @internal */
  expire(): void {
    this.stream.reset(ErrorCode.INTERNAL_ERROR);
  }
}

/** The per-request watch queues of the HTTP/2 frontends of one configuration (one timer each). */
export interface H2Watches {
  streamRead?: WatchQueue;
  streamWrite?: WatchQueue;
}

/** The watch queues for `t` (none where a timeout is 0). */
export function h2Watches(t: H2Timeouts | undefined): H2Watches {
  return {
    streamRead: t?.streamRead ? new WatchQueue(t.streamRead) : undefined,
    streamWrite: t?.streamWrite ? new WatchQueue(t.streamWrite) : undefined,
  };
}

/** Serve one HTTP/2 frontend connection. */
export function serveH2(
  conn: Http2Connection,
  info: AcceptInfo,
  serverPort: number | undefined,
  frontendIndex: number,
  ctx: H2FrontendContext,
): void {
  conn.on('error', () => undefined);
  const tlsSocket = info.scheme === 'https' ? (conn.socket as TLSSocket) : undefined;
  const printer = ctx.printer;
  if (printer) {
    const detail = (ev: { headers?: HeaderField[]; category?: string }) => ({ headers: ev.headers, category: ev.category as never });
    conn.events$.subscribe((ev: SessionEvent) => {
      if (ev.type === 'frameSent') printer.sent(ev.frame, detail(ev));
      else if (ev.type === 'frameReceived') printer.received(ev.frame, detail(ev));
    });
  }
  const t = ctx.timeouts;
  const socket = conn.socket as Duplex & { setTimeout?(ms: number): void };
  const shared = new H2Shared(conn, ctx.watches ?? h2Watches(t), ctx.dumps?.response);
  const facts = connectionFacts(conn, info, serverPort, frontendIndex, tlsSocket);
  // --frontend-http2-read-timeout: as nghttpx, it runs only while no stream is open (a request
  // waiting on its backend keeps the connection), and closes the connection without a GOAWAY.
  // The socket's timer stays armed (no timer work per stream): a timeout while a stream is open
  // is ignored, and the I/O that ends the last stream (its answer, a reset) restarts the timer.
  if (t?.read && typeof socket.setTimeout === 'function') {
    socket.setTimeout(t.read);
    socket.on('timeout', () => {
      if (shared.open === 0) conn.destroy();
    });
  }
  if (t?.write) watchWrites(conn.socket, t.write, () => conn.destroy());
  const limit = ctx.dispatch?.limit ?? 0;
  const limiter = limit > 0 ? new DispatchLimiter(limit) : undefined;
  const forward = (req: ProxyRequest, client: H2ClientSide, stream: Http2Stream) => {
    try {
      ctx.forward(req, client);
    } catch (err) {
      ctx.error(`request handling failed: ${(err as Error).message}`);
      stream.reset(ErrorCode.INTERNAL_ERROR);
    }
  };
  conn.on('stream', (stream: Http2Stream) => {
    shared.opened();
    // One 'close' listener per stream (the client side's) undoes everything below.
    const client = new H2ClientSide(stream, shared);
    // --stream-read-timeout: a request body that stops arriving: RST_STREAM INTERNAL_ERROR.
    const readQueue = shared.watches.streamRead;
    if (readQueue && !stream.remoteEnded) readQueue.add((client.readWatch = new StreamReadWatch(stream)));
    // --frontend-max-requests: "For HTTP/2, this is the number of streams in one HTTP/2
    // connection": the last one gets a graceful GOAWAY behind it.
    if (ctx.maxRequests && ++shared.streams === ctx.maxRequests) void conn.close().catch(() => undefined);
    ctx.dumps?.request?.write(stream.requestHeaders);
    const req = requestOf(stream, facts);
    if (!limiter) return forward(req, client, stream);
    // --backend-connections-per-frontend (per origin host with -s): beyond the limit a request
    // waits for one of this connection's to finish before it goes to a backend.
    limiter.run(ctx.dispatch?.byHost ? (req.authority ?? '') : '', (release) => {
      if (stream.closed) return release();
      client.release = release;
      forward(req, client, stream);
    });
  });
}
