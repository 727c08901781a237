/**
 * The high-level server API nghttp2 once offered to Python (`nghttp2.HTTP2Server`,
 * `BaseRequestHandler`), in TypeScript idiom: one handler object per request stream, callbacks
 * for headers, body chunks, end of request and close, and `sendResponse`/`push` to answer.
 */
import type { Readable } from 'stream';
import type * as tls from 'tls';
import { ErrorCode } from './protocol/errors';
import type { HeaderField } from './protocol/frame/types';
import type { Http2Connection } from './transport/connection';
import type { Http2Stream } from './transport/stream';
import { listen, AcceptInfo, Http2Listener, ListenOptions } from './transport/server';
import { tunnelDuplex, TunnelDuplex } from './transport/tunnel';

/** Header fields as an object (`{ 'content-type': 'text/plain' }`, arrays repeat the field) or as `[name, value]` pairs. */
export type HeadersInit =
  | Record<string, string | number | readonly (string | number)[] | undefined>
  | readonly (readonly [string, string | number])[];

/** A body: a Buffer, a string (sent as UTF-8) or a Readable of Buffers/strings. */
export type BodyInit = Buffer | Uint8Array | string | Readable;

/** The argument of {@link BaseRequestHandler.sendResponse}. */
export interface ResponseInit {
  /** Default 200. */
  status?: number;
  headers?: HeadersInit;
  body?: BodyInit;
  /** Trailer fields sent after the body (HEADERS with END_STREAM). */
  trailers?: HeadersInit;
}

/** The argument of {@link BaseRequestHandler.push}. */
export interface PushInit extends ResponseInit {
  /** The pushed request's path, e.g. `/style.css`. */
  path: string;
  /** Default GET (RFC 9113 section 8.4: "Promised requests MUST be safe" and cacheable). */
  method?: string;
  /** Extra request header fields of the promised request. */
  requestHeaders?: HeadersInit;
}

/** Turn {@link HeadersInit} into a header list with lowercase names. */
export function toHeaderList(h: HeadersInit | undefined): HeaderField[] {
  const out: HeaderField[] = [];
  if (!h) return out;
  if (Array.isArray(h)) {
    for (const [n, v] of h as readonly (readonly [string, string | number])[]) out.push([n.toLowerCase(), String(v)]);
    return out;
  }
  for (const [n, v] of Object.entries(h as Record<string, string | number | readonly (string | number)[] | undefined>)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([n.toLowerCase(), String(x)]);
    else out.push([n.toLowerCase(), String(v)]);
  }
  return out;
}

function toBody(b: BodyInit | undefined): Buffer | string | Readable | undefined {
  if (b === undefined || typeof b === 'string' || Buffer.isBuffer(b)) return b;
  if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return b;
}

/** Everything a handler is constructed with. */
export interface HandlerContext {
  stream: Http2Stream;
  connection: Http2Connection;
  info: AcceptInfo;
  server: HTTP2Server;
}

/**
 * Extend this class to handle requests; the server makes one instance per request stream.
 * Override the `on*` callbacks you need; answer with `sendResponse` (once) and optionally `push`
 * before it. A callback that throws (or whose promise rejects) resets the stream with
 * INTERNAL_ERROR; the server and other streams carry on.
 */
export class BaseRequestHandler {
  /** The underlying stream (byte-stream API) and connection, for what this class does not cover. */
  readonly stream: Http2Stream;
  readonly connection: Http2Connection;
  /** The server that made this handler. */
  readonly server: HTTP2Server;
  /** The client's IP address and port. */
  readonly clientAddress: string | undefined;
  readonly clientPort: number | undefined;
  /** The request's stream identifier. */
  readonly streamId: number;
  /** `:scheme` of the request (falls back to the connection's scheme). */
  readonly scheme: string;
  /** `:method`. */
  readonly method: string;
  /** `:authority`, or the `host` field when `:authority` is absent. */
  readonly host: string;
  /** `:path` (undefined for plain CONNECT). */
  readonly path: string | undefined;
  /** `:protocol` of an extended CONNECT (RFC 8441), e.g. `websocket`; undefined otherwise. */
  readonly protocol: string | undefined;
  /** The request header fields as received, pseudo-headers included, as `[name, value]` pairs. */
  readonly headers: [string, string][];
  /** Set once `sendResponse` has been called. */
  responded = false;
  /** The tunnel, once `acceptTunnel` opened it. */
  tunnel: TunnelDuplex | undefined;

  constructor(ctx: HandlerContext) {
    this.stream = ctx.stream;
    this.connection = ctx.connection;
    this.server = ctx.server;
    this.clientAddress = ctx.info.remoteAddress;
    this.clientPort = ctx.info.remotePort;
    this.streamId = ctx.stream.id;
    this.headers = ctx.stream.requestHeaders.map(([n, v]): [string, string] => [n, v]);
    const get = (name: string) => this.headers.find((h) => h[0] === name)?.[1];
    this.scheme = get(':scheme') ?? ctx.info.scheme;
    this.method = get(':method') ?? '';
    this.host = get(':authority') ?? get('host') ?? '';
    this.path = get(':path');
    this.protocol = get(':protocol');
  }

  /** Whether this request asks for a tunnel: CONNECT, plain or extended (`:protocol`). */
  get isConnect(): boolean {
    return this.method === 'CONNECT';
  }

  /**
   * Accept a CONNECT request (RFC 9113 section 8.5) or an extended CONNECT (RFC 8441, e.g. a
   * WebSocket): answer with a 2xx (default 200) and return the tunnel as a Duplex (reads are the
   * client's DATA, writes ours, `end()` half-closes, `destroy()` resets). Call it from
   * `onHeaders`: then `onData`/`onRequestDone` are not called, the Duplex carries the bytes. The
   * server must have been started with `enableConnectProtocol` for extended CONNECT to arrive.
   */
  acceptTunnel(res: { status?: number; headers?: HeadersInit } = {}): TunnelDuplex {
    if (!this.isConnect) throw new Error(`stream ${this.streamId}: acceptTunnel() on a ${this.method} request`);
    if (this.responded) throw new Error(`stream ${this.streamId}: response already sent`);
    const status = res.status ?? 200;
    if (status < 200 || status > 299) throw new Error(`stream ${this.streamId}: a tunnel opens with a 2xx status, not ${status}`);
    this.responded = true;
    // RFC 9110 section 9.3.6: "A server MUST NOT send any Transfer-Encoding or Content-Length
    // header fields in a 2xx (Successful) response to CONNECT."
    const headers = toHeaderList(res.headers).filter(([n]) => n !== 'content-length' && n !== 'transfer-encoding');
    this.stream.respond([[':status', String(status)], ...headers]);
    this.tunnel = tunnelDuplex(this.stream);
    return this.tunnel;
  }

  /** The request headers arrived (the handler has just been made). */
  onHeaders(): void | Promise<void> {}
  /** A chunk of the request body arrived. */
  onData(_chunk: Buffer): void | Promise<void> {}
  /** The request is complete (END_STREAM received). */
  onRequestDone(): void | Promise<void> {}
  /** The stream closed; `errorCode` is 0 (NO_ERROR) for a clean end, else the RST_STREAM/GOAWAY code. */
  onClose(_errorCode: number): void {}

  /**
   * Send the response: `:status`, header fields, then the body (Buffer, string or Readable, with
   * backpressure) and trailers. Resolves when the last byte is handed to the session.
   */
  async sendResponse(res: ResponseInit = {}): Promise<void> {
    if (this.responded) throw new Error(`stream ${this.streamId}: response already sent`);
    this.responded = true;
    await sendOn(this.stream, res);
  }

  /**
   * Server push (RFC 9113 section 8.4): promise `method path` on this stream and answer it.
   * Call it before `sendResponse` ends this stream. Returns false (and sends nothing) when the
   * client disabled push with SETTINGS_ENABLE_PUSH = 0, or this stream can no longer carry a
   * PUSH_PROMISE (already ended by us, reset, or closed).
   */
  push(p: PushInit): boolean {
    if (!this.connection.session.remoteSettings.enablePush) return false;
    if (this.stream.closed || this.stream.localEnded) return false;
    const reqHeaders: HeaderField[] = [
      [':method', p.method ?? 'GET'],
      [':scheme', this.scheme],
      [':authority', this.host],
      [':path', p.path],
      ...toHeaderList(p.requestHeaders),
    ];
    const pushed = this.stream.push(reqHeaders);
    sendOn(pushed, p).catch(() => pushed.reset(ErrorCode.INTERNAL_ERROR));
    return true;
  }
}

async function sendOn(stream: Http2Stream, res: ResponseInit): Promise<void> {
  const headers: HeaderField[] = [[':status', String(res.status ?? 200)], ...toHeaderList(res.headers)];
  const body = toBody(res.body);
  const trailers = res.trailers ? toHeaderList(res.trailers) : undefined;
  const empty = body === undefined || ((typeof body === 'string' || Buffer.isBuffer(body)) && body.length === 0);
  if (empty && !trailers?.length) {
    stream.respond(headers, { endStream: true });
    return;
  }
  stream.respond(headers);
  await stream.sendBody(empty ? undefined : body, trailers);
}

/** A handler class: constructed once per request. */
export type RequestHandlerClass = new (ctx: HandlerContext) => BaseRequestHandler;

/** Options of {@link HTTP2Server}. */
export interface HTTP2ServerOptions {
  /** Serve TLS with ALPN h2 (key and cert, PEM). Without it: cleartext h2c (prior knowledge and Upgrade). */
  tls?: tls.TlsOptions & { key: tls.TlsOptions['key']; cert: tls.TlsOptions['cert'] };
  /** Lower-level listener options (session settings, limits, timeouts). */
  listen?: Omit<ListenOptions, 'host' | 'port' | 'tls'>;
  /**
   * Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441), so clients may send extended
   * CONNECT (`:protocol`, e.g. WebSockets over HTTP/2); handlers answer with `acceptTunnel()`.
   */
  enableConnectProtocol?: boolean;
}

/**
 * An HTTP/2 server that makes one `HandlerClass` instance per request stream.
 *
 * ```ts
 * const server = new HTTP2Server({ host: '127.0.0.1', port: 0 }, Handler);
 * const port = await server.listen();
 * await server.close();
 * ```
 */
export class HTTP2Server {
  private listener: Http2Listener | undefined;

  constructor(
    /** Where to listen; port 0 (or undefined) picks a free port. */
    readonly address: { host?: string; port?: number },
    /** The handler class; one instance per request. */
    readonly HandlerClass: RequestHandlerClass,
    readonly options: HTTP2ServerOptions = {},
  ) {}

  /** The bound port (after `listen()`). */
  get port(): number | undefined {
    return this.listener?.port;
  }

  /** Live connections. */
  get connections(): ReadonlySet<Http2Connection> {
    return this.listener?.connections ?? new Set();
  }

  /** Start listening; resolves with the bound port. */
  async listen(): Promise<number> {
    if (this.listener) return this.listener.port;
    const lo = this.options.listen ?? {};
    const connection = this.options.enableConnectProtocol
      ? {
          ...lo.connection,
          session: { ...lo.connection?.session, settings: { ...lo.connection?.session?.settings, enableConnectProtocol: true } },
        }
      : lo.connection;
    this.listener = await listen(
      { ...lo, connection, host: this.address.host, port: this.address.port ?? 0, tls: this.options.tls },
      (conn, info) => conn.on('stream', (stream) => this.dispatch(stream, conn, info)),
    );
    return this.listener.port;
  }

  /** Stop accepting; let in-flight requests finish (GOAWAY), then resolve. */
  async close(): Promise<void> {
    const l = this.listener;
    this.listener = undefined;
    if (l) await l.close();
  }

  private dispatch(stream: Http2Stream, conn: Http2Connection, info: AcceptInfo): void {
    let h: BaseRequestHandler;
    const fail = (err: unknown) => {
      if (!stream.closed) stream.reset(ErrorCode.INTERNAL_ERROR);
      this.onHandlerError(err, stream);
    };
    const guard = (fn: () => void | Promise<void>) => {
      try {
        const r = fn();
        if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).catch(fail);
      } catch (err) {
        fail(err);
      }
    };
    try {
      h = new this.HandlerClass({ stream, connection: conn, info, server: this });
    } catch (err) {
      fail(err);
      return;
    }
    stream.once('close', (code: number) => guard(() => h.onClose(code)));
    guard(() => h.onHeaders());
    // A handler that accepted a tunnel reads the bytes through it.
    if (h.tunnel) return;
    if (stream.remoteEnded && stream.bufferedBytes === 0) {
      guard(() => h.onRequestDone());
      return;
    }
    const body = stream.body;
    body.on('data', (chunk: Buffer) => guard(() => h.onData(chunk)));
    // A body cut short by RST_STREAM/GOAWAY ends without 'end' (its 'error' reaches listeners
    // only, and there are none): onClose reports it.
    body.on('end', () => guard(() => h.onRequestDone()));
  }

  /** Called when a handler throws; override to log. Default: silent (the stream was reset). */
  onHandlerError(_err: unknown, _stream: Http2Stream): void {}
}
