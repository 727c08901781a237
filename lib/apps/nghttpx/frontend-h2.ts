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
import type { BodySink, Http2Stream } from '../../transport/stream';
import { tunnelDuplex } from '../../transport/tunnel';
import type { HeaderField } from '../../protocol/frame/types';
import type { SessionEvent } from '../../protocol/session/types';
import type { FramePrinter } from '../printer/printer';
import type { BodySource, ClientSide, Field, ProxyRequest } from './request';
import { watchProgress, watchWrites } from './timeouts';
import { DispatchLimiter } from './dispatch';
import type { HeaderDump, HeaderDumps } from './header-dump';
import { ErrorCode } from '../../protocol/errors';

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

/** The request record of one HTTP/2 stream. */
function requestOf(
  stream: Http2Stream,
  info: AcceptInfo,
  serverPort: number | undefined,
  frontendIndex: number,
  tlsSocket: TLSSocket | undefined,
  conn: Http2Connection,
): ProxyRequest {
  const h = stream.requestHeaders;
  // One pass: pseudo-headers picked out, regular fields copied (the session already checked them).
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let host: string | undefined;
  let path: string | undefined;
  let protocol: string | undefined;
  const fields: Field[] = [];
  let bytes = 0;
  for (let i = 0; i < h.length; i++) {
    const n = h[i][0];
    const v = h[i][1];
    bytes += n.length + v.length;
    if (n.charCodeAt(0) !== 0x3a /* ':' */) {
      if (n === 'host' && host === undefined) host = v;
      fields.push([n, v]);
    } else if (n === ':method') method ??= v;
    else if (n === ':scheme') scheme ??= v;
    else if (n === ':authority') authority ??= v;
    else if (n === ':path') path ??= v;
    else if (n === ':protocol') protocol ??= v;
  }
  const upgraded = info.via === 'upgrade' && stream.id === 1;
  return {
    method: method ?? 'GET',
    scheme: scheme === 'http' || scheme === 'https' ? scheme : info.scheme,
    authority: authority ?? host,
    path: path ?? (method === 'CONNECT' ? '' : '/'),
    fields,
    // Pseudo-headers included, as nghttpx counts them against the header-field limits.
    head: { count: h.length, bytes },
    body: stream.remoteEnded && stream.bufferedBytes === 0 ? undefined : stream.body,
    remoteAddress: info.remoteAddress ?? 'localhost',
    remotePort: info.remotePort,
    serverPort: serverPort ?? (conn.socket as { localPort?: number }).localPort,
    // nghttpx logs and tags (Via) the upgraded request as the HTTP/1.1 request it was.
    protocol: upgraded ? 'http/1.1' : 'h2',
    alpn: info.scheme === 'https' ? 'h2' : 'h2c',
    tls: info.scheme === 'https',
    tlsSocket,
    connectProtocol: protocol,
    frontendIndex,
    localAddress: (conn.socket as { localAddress?: string }).localAddress,
    connection: info,
  };
}

/**
 * A backend body relayed onto one HTTP/2 frontend stream, with no Readable, Writable or pipe:
 * each payload is queued on the stream as it arrives, and its window goes back to the backend
 * once the stream's queue is under its low-water mark (so a slow client stops the backend).
 */
class StreamRelay implements BodySink {
  private bytes = 0;
  /** Bytes passed on whose window the source has not had back yet. */
  private held = 0;
  private waiting = false;
  private over = false;
  private readonly onWritable = (): void => {
    // Also when the stream closed (an error): the source's window must come back either way.
    this.waiting = false;
    const n = this.held;
    this.held = 0;
    if (n > 0) this.source.release(n);
  };

  constructor(
    private readonly stream: Http2Stream,
    private readonly source: BodySource,
    private readonly trailers: () => Field[] | undefined,
    private readonly done: (bytes: number, complete: boolean) => void,
  ) {}

  data(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.held += chunk.length;
    try {
      this.stream.sendData(chunk);
    } catch {
      // The stream takes no more DATA (ended, or the connection is going away): the bytes are
      // dropped and their window given back below.
    }
    if (!this.waiting) {
      this.waiting = true;
      this.stream.whenWritable(this.onWritable);
    }
  }

  end(): void {
    if (this.over) return;
    this.over = true;
    let complete = true;
    try {
      this.stream.end(this.trailers());
    } catch {
      complete = false;
    }
    this.done(this.bytes, complete);
  }

  abort(): void {
    if (this.over) return;
    this.over = true;
    const n = this.held;
    this.held = 0;
    if (n > 0) this.source.release(n);
    // The backend failed mid-body: `done` tells forwarding, which resets the client's stream.
    this.done(this.bytes, false);
  }
}

/**
 * The client side of one HTTP/2 stream. A class (methods shared on the prototype), since one is
 * made per request: an object of closures cost eight allocations each time.
 */
class H2ClientSide implements ClientSide {
  private gone: (() => void) | undefined;
  private responded = false;

  constructor(
    private readonly stream: Http2Stream,
    private readonly conn: Http2Connection,
    private readonly timeouts: H2Timeouts | undefined,
    private readonly responseDump?: HeaderDump,
  ) {
    stream.once('close', (code: number) => {
      if (code !== 0 || !stream.localEnded) this.gone?.();
    });
  }

  respond(status: number, fields: Field[], endStream: boolean): void {
    this.responded = true;
    const stream = this.stream;
    const headers: Field[] = [[':status', String(status)]];
    for (let i = 0; i < fields.length; i++) headers.push(fields[i]);
    stream.respond(headers, { endStream });
    this.responseDump?.write(headers);
    // --stream-write-timeout: body bytes queued for the client that do not leave (its window
    // stays shut) for this long reset the stream with INTERNAL_ERROR, as nghttpx.
    const timeouts = this.timeouts;
    if (!endStream && timeouts?.streamWrite) {
      const conn = this.conn;
      const w = watchProgress(
        timeouts.streamWrite,
        () => stream.writtenBytes - conn.session.queuedBytes(stream.id),
        () => conn.session.queuedBytes(stream.id) > 0,
        () => stream.reset(ErrorCode.INTERNAL_ERROR),
      );
      stream.once('close', () => w.stop());
    }
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
    this.stream.reset(code ?? (this.responded ? ErrorCode.INTERNAL_ERROR : ErrorCode.CANCEL));
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
    if (stream.kind !== 'request' || stream.closed || stream.localEnded || !this.conn.session.remoteSettings.enablePush) return undefined;
    try {
      return new H2ClientSide(stream.push(headers), this.conn, this.timeouts, this.responseDump);
    } catch {
      // The client's SETTINGS_MAX_CONCURRENT_STREAMS is full, or the stream closed meanwhile.
      return undefined;
    }
  }
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
  // --frontend-http2-read-timeout: as nghttpx, it runs only while no stream is open (a request
  // waiting on its backend keeps the connection), and closes the connection without a GOAWAY.
  let open = 0;
  const socket = conn.socket as Duplex & { setTimeout?(ms: number): void };
  if (t?.read && typeof socket.setTimeout === 'function') {
    socket.setTimeout(t.read);
    socket.on('timeout', () => {
      if (open === 0) conn.destroy();
    });
  }
  if (t?.write) watchWrites(conn.socket, t.write, () => conn.destroy());
  const limiter = new DispatchLimiter(ctx.dispatch?.limit ?? 0);
  let streams = 0;
  conn.on('stream', (stream: Http2Stream) => {
    if (t?.read && open++ === 0) socket.setTimeout?.(0);
    stream.once('close', () => {
      if (t?.read && --open === 0 && !conn.closed) socket.setTimeout?.(t.read);
    });
    // --stream-read-timeout: a request body that stops arriving: RST_STREAM INTERNAL_ERROR.
    if (t?.streamRead && !stream.remoteEnded) {
      const w = watchProgress(
        t.streamRead,
        () => stream.receivedBytes,
        () => !stream.remoteEnded,
        () => stream.reset(ErrorCode.INTERNAL_ERROR),
      );
      stream.once('close', () => w.stop());
    }
    // --frontend-max-requests: "For HTTP/2, this is the number of streams in one HTTP/2
    // connection": the last one gets a graceful GOAWAY behind it.
    if (ctx.maxRequests && ++streams === ctx.maxRequests) void conn.close().catch(() => undefined);
    ctx.dumps?.request?.write(stream.requestHeaders);
    const req = requestOf(stream, info, serverPort, frontendIndex, tlsSocket, conn);
    // --backend-connections-per-frontend (per origin host with -s): beyond the limit a request
    // waits for one of this connection's to finish before it goes to a backend.
    limiter.run(ctx.dispatch?.byHost ? (req.authority ?? '') : '', (release) => {
      if (stream.closed) return release();
      stream.once('close', release);
      try {
        ctx.forward(req, new H2ClientSide(stream, conn, t, ctx.dumps?.response));
      } catch (err) {
        ctx.error(`request handling failed: ${(err as Error).message}`);
        stream.reset(2);
      }
    });
  });
}
