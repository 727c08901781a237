/**
 * nghttpx's backends: HTTP/1.1 through our lean client over kept sockets (backend-http1.ts), and h2
 * through our client (one pooled connection per backend address, redialled when it ends).
 */
import { HeadLoad, nodeParserLimits } from './header-limits';
import { http2Trailers } from './headers';
import type { Duplex, Readable } from 'stream';
import { connect, ClientConnection, type TlsInfo } from '../../transport/client';
import type { Http2Stream, StreamObserver } from '../../transport/stream';
import { tunnelDuplex, TunnelDuplex } from '../../transport/tunnel';
import { ErrorCode } from '../../protocol/errors';
import { Http1Pool } from './backend-http1';
import { BaseExchange, failure } from './exchange';
import type { BackendAddress, ProxyUri } from './options';
import { backendCipherRefused, backendTlsConnectOptions, type BackendTlsOptions } from './tls';
import { connectThroughProxy, h2Connect, http1Connect, tlsOver, TunnelResponse } from './tunnel';
import type { BackendRequest, BodySource, Field, ProxyRequest } from './request';
import { tickInterval, watchWrites, WatchQueue } from './timeouts';

/** A backend's answer: status, fields (lowercase names) and the body. */
export interface BackendResponse {
  status: number;
  fields: Field[];
  /** The body as a Readable (made on first use where it can be; take this or `source`, not both). */
  readonly body: Readable;
  /** The body without Node streams, where the backend can give it so (the relay's fast path). */
  readonly source?: BodySource;
  /** Trailer fields, known once `body` has ended (undefined when there were none). */
  trailers(): Field[] | undefined;
  /** The head's size for the header-field limits, where the backend measured it while reading (else forwarding does). */
  readonly head?: HeadLoad;
}

/** Who hears a {@link BackendExchange}'s outcome through {@link BackendExchange.listen}: one object, no closure per request. */
export interface ExchangeListener {
  /** The response head. */
  answered(res: BackendResponse): void;
  /** No response: the backend could not be reached, reset the request or timed out. */
  failed(err: BackendFailure): void;
  /** An h2 backend promised `headers` on this request (without this, promised streams are cancelled). */
  pushed?(headers: Field[], exchange: BackendExchange): void;
}

/** One request to a backend: the response (or an error before it), and a way to abandon it. */
export interface BackendExchange {
  /** Resolves with the response head; rejects when the backend could not be reached or reset us. */
  readonly response: Promise<BackendResponse>;
  /**
   * The callback form of `response`, where the exchange has one (no Promise per request): `ok`
   * with the head or `fail` with the error, once, possibly before this returns. Either form, or both.
   */
  onAnswer?(ok: (res: BackendResponse) => void, fail: (err: BackendFailure) => void): void;
  /**
   * The listener form of `onAnswer` (and of `onPush`, through `l.pushed`), where the exchange has
   * one: `l` hears the outcome once, possibly before this returns. Use it or the others, not both.
   */
  listen?(l: ExchangeListener): void;
  /** Give up: close the backend stream / socket. */
  abort(): void;
  /**
   * h2 backends: take the backend's pushes on this request (each promised request's header list
   * and its own exchange). Without a handler, promised streams are cancelled.
   */
  onPush?(handler: (headers: Field[], exchange: BackendExchange) => void): void;
}

/** Timeouts and pool limits of a backend (ms; the reference's options and `-b` parameters). */
export interface BackendLimits {
  /** `--backend-connect-timeout`. */
  connectTimeout: number;
  /** `--backend-read-timeout` (or `read-timeout=`): no byte from the backend for this long fails the request. */
  readTimeout: number;
  /** `--backend-write-timeout` (or `write-timeout=`). */
  writeTimeout: number;
  /** `--backend-keep-alive-timeout`: an idle pooled HTTP/1.1 connection is closed after this. */
  keepAliveTimeout: number;
  /** `--backend-http2-settings-timeout`. */
  settingsTimeout: number;
  /** `--response-header-field-buffer` (Node's parser gets room past it: forwarding checks the head as nghttpx does). */
  headerBuffer?: number;
  /** `--max-response-header-fields` (likewise). */
  maxHeaderFields?: number;
  /** How host names are resolved (resolver.ts: --backend-address-family and the --dns-* options); absent: dns.lookup. */
  lookup?: import('net').LookupFunction;
  /**
   * `--backend-response-buffer` (bytes; default 128 KiB): an HTTP/1.1 backend's response bytes
   * read and not yet taken by the frontend past which the backend is no longer read. (An HTTP/2
   * backend is bounded by its stream window: WINDOW_UPDATE only for bytes the frontend took.)
   */
  responseBuffer?: number;
}

/** The reference's defaults. */
export const DEFAULT_BACKEND_LIMITS: BackendLimits = {
  connectTimeout: 30000,
  readTimeout: 60000,
  writeTimeout: 30000,
  keepAliveTimeout: 2000,
  settingsTimeout: 10000,
};

/**
 * Why a backend request failed: `connect` (nothing reached the backend: another backend may be
 * tried, and this one's health counts it), `read` (the read timeout: 504), or `request`.
 */
export type BackendFailure = Error & { phase?: 'connect' | 'read' | 'request'; code?: string; errno?: number };

/**
 * An h2 backend that did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 was asked for an extended
 * CONNECT (RFC 8441 section 3 forbids sending it): the reference answers the client 400.
 */
export class NoExtendedConnectError extends Error {
  constructor() {
    super('the backend does not allow extended CONNECT (no SETTINGS_ENABLE_CONNECT_PROTOCOL)');
    this.name = 'NoExtendedConnectError';
  }
}

/** A backend address the proxy forwards to. */
export interface Backend {
  readonly address: BackendAddress;
  /** `host` or the UNIX path, for logs. */
  readonly label: string;
  /** Send `req` (its fields already rewritten for the backend, no Host). */
  request(req: BackendRequest): BackendExchange;
  /** CONNECT `req.authority` through this backend (the next proxy, forward proxy mode). */
  connect(req: ProxyRequest): { response: Promise<TunnelResponse>; abort(): void };
  /** Drop pooled connections. */
  close(): void;
  /**
   * h2 backends: open a CONNECT stream (`headers` with pseudo-headers) and resolve with the answer
   * and the stream as a Duplex. An extended CONNECT is refused unless the backend sent
   * SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 section 3).
   */
  tunnel?(headers: Field[]): Promise<{ status: number; fields: Field[]; duplex: TunnelDuplex }>;
}

function label(a: BackendAddress): string {
  return a.unixPath !== undefined ? `unix:${a.unixPath}` : `${a.host}:${a.port}`;
}

/** Raw header pairs from Node into lowercase fields. */
export function fieldsFromRaw(raw: string[]): Field[] {
  const out: Field[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

/** An HTTP/1.1 backend: requests on its pool of kept connections (backend-http1.ts); CONNECT via tunnel.ts. */
class Http1Backend implements Backend {
  readonly label: string;
  private readonly pool: Http1Pool;
  constructor(
    readonly address: BackendAddress,
    private readonly tlsOptions: BackendTlsOptions,
    limits: BackendLimits,
  ) {
    this.label = label(address);
    const parser = nodeParserLimits(limits.headerBuffer ?? 65536, limits.maxHeaderFields ?? 100);
    this.pool = new Http1Pool(address, tlsOptions, limits, this.label, parser.maxHeaderSize);
  }

  request(req: BackendRequest): BackendExchange {
    return this.pool.request(req);
  }

  connect(req: ProxyRequest): { response: Promise<TunnelResponse>; abort(): void } {
    return http1Connect(this.address, this.tlsOptions, req);
  }

  close(): void {
    this.pool.close();
  }
}

/**
 * An h2 backend's answer (also a pushed stream's). A class, not an object literal with a getter:
 * a literal's own accessor gives every instance a hidden class of its own, allocated in old space
 * (measured: GC time doubled at 10k requests/s).
 */
class H2Response implements BackendResponse {
  constructor(
    readonly status: number,
    readonly fields: Field[],
    /** The backend stream, which is also the body's {@link BodySource} (`relayBody`/`release`). */
    readonly source: Http2Stream,
    readonly head: HeadLoad,
  ) {}

  /** The answer of `st` from its response header list (measured for the limits in the same walk). */
  static of(h: Field[], st: Http2Stream): H2Response {
    let status = 502;
    let bytes = 0;
    const fields: Field[] = [];
    for (let i = 0; i < h.length; i++) {
      const f = h[i];
      bytes += f[0].length + f[1].length;
      // The decoder's pair itself (shared, frozen): no copy per field.
      if (f[0].charCodeAt(0) !== 0x3a /* ':' */) fields.push(f);
      else if (f[0] === ':status') status = Number(f[1]);
    }
    // Pseudo-headers count, as nghttpx counts them.
    return new H2Response(status, fields, st, { count: h.length, bytes });
  }

  /** The body as a Readable, made on first use (then `source` must not be used). */
  get body(): Readable {
    return this.source.body;
  }

  trailers(): Field[] | undefined {
    return this.source.trailers?.map(([n, v]) => [n, v] as Field);
  }
}

/** The `:method` pairs of the common methods, shared by every request to an h2 backend. */
const METHOD_FIELDS = new Map<string, Field>(
  ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'].map((m) => [m, [':method', m]] as [string, Field]),
);
/** The `:scheme` pairs, shared. */
const SCHEME_HTTP: Field = [':scheme', 'http'];
const SCHEME_HTTPS: Field = [':scheme', 'https'];

/** A pooled h2 connection that may still open streams: not closed, no GOAWAY either way. */
function usable(c: ClientConnection): boolean {
  const session = c.connection.session;
  return !c.connection.closed && !session.closed && !session.goingAway;
}

class Http2Backend implements Backend {
  readonly label: string;
  private pool: Promise<ClientConnection> | undefined;
  /** The pooled connection once it is up (cleared when it closes or gets GOAWAY). */
  private ready: ClientConnection | undefined;
  constructor(
    readonly address: BackendAddress,
    private readonly tlsOptions: BackendTlsOptions,
    private readonly windows: BackendSessionSettings,
    readonly proxy: ProxyUri | undefined,
    private readonly limits: BackendLimits,
  ) {
    this.label = label(address);
    this.readWatches = limits.readTimeout > 0 ? new WatchQueue(limits.readTimeout) : undefined;
  }

  /** --backend-read-timeout for every request of this backend: one timer, not one per request. */
  private readonly readWatches: WatchQueue | undefined;

  private connection(): Promise<ClientConnection> {
    if (this.pool) return this.pool;
    const a = this.address;
    const port = a.port ?? (a.tls ? 443 : 80);
    const url = `${a.tls ? 'https' : 'http'}://${a.unixPath !== undefined ? 'localhost' : a.host!.includes(':') ? `[${a.host}]` : a.host}:${port}/`;
    const t = this.tlsOptions;
    const w = this.windows;
    const knobs = http2Knobs(w.decoderTableSize, w.encoderTableSize, w.padding);
    const opts = {
      rejectUnauthorized: t.rejectUnauthorized,
      // sni= (or the backend's host name) for h2 backends too, not the URL's host.
      servername: t.servername ?? (false as const),
      ca: t.ca,
      cert: t.cert,
      key: t.key,
      tlsOptions: backendTlsConnectOptions(t),
      alpnProtocols: ['h2'],
      // Before any HTTP/2 byte: a block-listed suite fails this connect (502 / the next backend).
      onConnected: (socket: Duplex, info: TlsInfo | undefined) => {
        const refused = info && backendCipherRefused(t, info.protocol, info.cipher);
        if (!refused) return;
        socket.destroy();
        throw refused;
      },
      timeout: this.limits.connectTimeout,
      lookup: this.limits.lookup,
      // nghttpx's defaults: a 64 KiB stream window bounds what a response to a slow client can
      // pile up here (the body is read only as the client takes it); the connection window is
      // wide so that one slow stream does not stall the others.
      // SETTINGS_ENABLE_PUSH = 0 where the proxy would not relay pushes (--no-server-push, -s).
      connection: {
        // --backend-http2-settings-timeout: our SETTINGS unacknowledged: GOAWAY SETTINGS_TIMEOUT.
        tickInterval: tickInterval(this.limits.settingsTimeout),
        session: {
          ...knobs,
          settings: {
            ...knobs.settings,
            initialWindowSize: this.windows.stream,
            // As the reference: ENABLE_PUSH only when it is 0 (1 is the default), and no RFC 7540 priorities.
            ...(this.windows.push === false ? { enablePush: false } : {}),
            maxConcurrentStreams: this.windows.maxConcurrentStreams,
            noRfc7540Priorities: true,
          },
          connectionWindowSize: this.windows.connection,
          settingsTimeoutMs: this.limits.settingsTimeout,
        },
      },
    };
    // --backend-http-proxy-uri: "make a CONNECT request to the proxy and it connects to the
    // backend on behalf of nghttpx ... After that, nghttpx performs SSL/TLS handshake with the
    // downstream through the tunnel."
    const proxy = this.proxy;
    const p = proxy
      ? connectThroughProxy(proxy, a.host!, port, 10000).then(async (raw) => {
          const socket = a.tls ? await tlsOver(raw, this.tlsOptions.servername, this.tlsOptions, ['h2']) : raw;
          if (a.tls && (socket as import('tls').TLSSocket).alpnProtocol !== 'h2') {
            socket.destroy();
            throw new Error(`backend ${this.label} did not choose h2 over the proxy tunnel`);
          }
          const s = socket as import('tls').TLSSocket;
          const refused = a.tls && backendCipherRefused(t, s.getProtocol(), s.getCipher());
          if (refused) {
            socket.destroy();
            throw refused;
          }
          return connect(url, { ...opts, socket });
        })
      : connect(url, opts);
    this.pool = p;
    p.catch(() => undefined);
    p.then(
      (c) => {
        c.connection.on('error', () => undefined);
        // --backend-write-timeout: bytes the backend does not take for this long end the connection.
        watchWrites(c.connection.socket, this.limits.writeTimeout, () => c.connection.destroy());
        const drop = () => {
          if (this.pool === p) this.pool = undefined;
          if (this.ready === c) this.ready = undefined;
        };
        // Already over (it closed between connecting and now): the next request connects anew.
        if (!usable(c)) return drop();
        if (this.pool === p) this.ready = c;
        c.connection.once('close', drop);
        c.connection.once('goaway', drop);
        c.connection.once('terminated', drop);
      },
      () => {
        if (this.pool === p) this.pool = undefined;
      },
    );
    return p;
  }

  /** Stop handing out `c` (it is over or going away): the next request connects anew. */
  private forget(c: ClientConnection): void {
    if (this.ready === c) {
      this.ready = undefined;
      this.pool = undefined;
    }
  }

  /** Streams open on the pooled connection, and requests waiting for one to close. */
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  /**
   * RFC 9113 section 5.1.2: "An endpoint that receives a HEADERS frame that causes its advertised
   * concurrent stream limit to be exceeded MUST treat this as a stream error ... of type
   * PROTOCOL_ERROR or REFUSED_STREAM." So requests beyond the backend's
   * SETTINGS_MAX_CONCURRENT_STREAMS wait here for a stream to close.
   */
  private acquire(c: ClientConnection): Promise<void> {
    const limit = Math.max(1, c.connection.session.remoteSettings.maxConcurrentStreams);
    if (this.active < limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.active++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.active--;
    const next = this.waiting.shift();
    if (next) next();
  }

  request(req: BackendRequest): BackendExchange {
    const x = new H2Exchange(this, req);
    this.attempt(x);
    return x;
  }

  /** Send `x` on the pooled connection, connecting first if there is none. */
  private attempt(x: H2Exchange): void {
    // The pooled connection is up with a stream slot free: open now, no promise at all.
    const ready = this.ready;
    if (ready && this.active < Math.max(1, ready.connection.session.remoteSettings.maxConcurrentStreams)) {
      this.active++;
      return this.open(x, ready);
    }
    this.connection().then(
      (c) =>
        this.acquire(c).then(
          () => this.open(x, c),
          (err: Error) => x.failed(err),
        ),
      (err: Error) => x.failed(failure(err, 'connect')),
    );
  }

  /** Once a stream slot on `c` is ours: open `x`'s stream; its head answers the exchange. */
  private open(x: H2Exchange, c: ClientConnection): void {
    if (x.aborted) {
      this.release();
      return x.failed(new Error('aborted'));
    }
    const req = x.req;
    // As the reference: :path before :authority; a request that came over HTTP/1.x in origin
    // form keeps its Host as a regular field instead of :authority (RFC 9113 section 8.3.1
    // allows either); an absolute-form one gives its authority as :authority.
    // One array of its final length (pushing past 4 grew it twice per request); the common
    // :method and :scheme pairs are shared (pairs are never mutated once made).
    const fields = req.fields;
    const headers: Field[] = new Array<Field>(4 + fields.length);
    headers[0] = METHOD_FIELDS.get(req.method) ?? [':method', req.method];
    headers[1] = req.scheme === 'https' ? SCHEME_HTTPS : SCHEME_HTTP;
    headers[2] = [':path', req.path];
    headers[3] = [req.protocol === 'h2' || req.absoluteForm ? ':authority' : 'host', req.authority ?? this.label];
    for (let i = 0; i < fields.length; i++) headers[4 + i] = fields[i];
    if (!usable(c)) {
      // The pooled connection ended or got GOAWAY after it was picked, before its 'close'
      // reached us (a backend that answers a flood with GOAWAY): nothing of this request
      // reached the backend, so it goes again on a new connection.
      this.release();
      this.forget(c);
      if (x.retries-- > 0) return this.attempt(x);
      return x.failed(new Error('backend connection closed before the request could be sent'));
    }
    let st: Http2Stream;
    try {
      st = c.connection.request(headers, { endStream: !req.body });
    } catch (err) {
      this.release();
      return x.failed(err as Error);
    }
    x.opened(st);
    // --backend-read-timeout: no response head within it answers 504.
    this.readWatches?.add(x);
    if (req.body) st.sendBody(req.body, () => http2Trailers(req.trailers?.())).catch(() => st.reset());
  }

  /** @internal The exchange's stream closed (`answered`: after its head). */
  streamClosed(x: H2Exchange, code: number, answered: boolean): void {
    this.release();
    this.readWatches?.delete(x);
    if (answered) return;
    // REFUSED_STREAM: "the stream was not processed" (RFC 9113 section 8.7), so a request
    // without a body may safely go again.
    if (code === ErrorCode.REFUSED_STREAM && !x.req.body && x.retries-- > 0 && !x.aborted) this.attempt(x);
    else x.failed(new Error(`backend stream closed (error code ${code}) before a response`));
  }

  /** @internal The exchange got its head (or gave up waiting): no read timeout any more. */
  unwatch(x: H2Exchange): void {
    this.readWatches?.delete(x);
  }

  /** @internal The read timeout of `x`: 504. */
  readTimedOut(x: H2Exchange): void {
    x.failed(failure(Object.assign(new Error(`backend read timeout after ${this.limits.readTimeout} ms`), { code: 'ETIMEDOUT' }), 'read'));
    x.stream?.reset(ErrorCode.CANCEL);
  }

  connect(req: ProxyRequest): { response: Promise<TunnelResponse>; abort(): void } {
    let stream: Http2Stream | undefined;
    const response = this.connection().then((c) => {
      const t = h2Connect(c.connection, req);
      stream = t.stream;
      return t.response;
    });
    response.catch(() => undefined);
    return { response, abort: () => stream?.reset() };
  }

  async tunnel(headers: Field[]): Promise<{ status: number; fields: Field[]; duplex: TunnelDuplex }> {
    const c = await this.connection();
    await c.connection.whenRemoteSettings();
    if (headers.some(([n]) => n === ':protocol') && !c.connection.session.remoteSettings.enableConnectProtocol) {
      throw new NoExtendedConnectError();
    }
    await this.acquire(c);
    let st: Http2Stream;
    try {
      st = c.connection.request(headers, { endStream: false });
    } catch (err) {
      this.release();
      throw err;
    }
    st.once('close', () => this.release());
    const h = await new Promise<Field[]>((resolve, reject) => {
      const onClose = (code: number) => reject(new Error(`backend stream closed (error code ${code}) before a response`));
      st.once('close', onClose);
      st.once('response', (fields: Field[]) => {
        st.off('close', onClose);
        resolve(fields);
      });
    });
    const status = Number(h.find((f) => f[0] === ':status')?.[1] ?? 502);
    return { status, fields: h.filter((f) => !f[0].startsWith(':')).map(([n, v]) => [n, v] as Field), duplex: tunnelDuplex(st) };
  }

  close(): void {
    const p = this.pool;
    this.pool = undefined;
    this.ready = undefined;
    p?.then(
      (c) => c.connection.close().catch(() => undefined),
      () => undefined,
    ).catch(() => undefined);
  }
}

/**
 * One request to an h2 backend: a class with the stream's handlers, no Promise unless someone
 * asks for `response` (exchange.ts: forwarding listens), and its own read-timeout watch.
 */
class H2Exchange extends BaseExchange implements StreamObserver {
  stream: Http2Stream | undefined;
  aborted = false;
  /** Tries left on a new connection or after REFUSED_STREAM. */
  retries = 2;
  private answered = false;

  constructor(
    private readonly backend: Http2Backend,
    readonly req: BackendRequest,
  ) {
    super();
  }

  abort(): void {
    this.aborted = true;
    this.stream?.reset();
  }

  /**
   * @internal The stream is open: this exchange hears its answer, its pushes and its end as the
   * stream's observer (no listener table, no closure per request).
   */
  opened(st: Http2Stream): void {
    this.stream = st;
    st.observer = this;
  }

  /** @internal StreamObserver: the backend promised `p` on this request. */
  promised(_st: Http2Stream, p: Http2Stream): void {
    const l = this.listener;
    if (l?.pushed && !this.aborted)
      l.pushed(
        p.requestHeaders.map(([n, v]) => [n, v] as Field),
        pushedExchange(p),
      );
    else p.reset(ErrorCode.CANCEL);
  }

  /** @internal StreamObserver: the response head. */
  responded(st: Http2Stream, h: Field[]): void {
    this.answered = true;
    this.backend.unwatch(this);
    this.settle(H2Response.of(h, st));
  }

  /** @internal StreamObserver: the stream closed. */
  closed(_st: Http2Stream, code: number): void {
    this.backend.streamClosed(this, code, this.answered);
  }

  /** @internal The exchange failed (first outcome wins). */
  failed(err: Error): void {
    this.settle(err);
  }

  /** @internal Watched: still waiting for the head (a plain deadline: no progress counts). */
  override waiting(): boolean {
    return !this.answered;
  }

  /** @internal Watched: --backend-read-timeout. */
  override expire(): void {
    this.backend.readTimedOut(this);
  }
}

/** The exchange of a stream an h2 backend promised: its response, once it comes. */
function pushedExchange(p: Http2Stream): BackendExchange {
  const response = new Promise<BackendResponse>((resolve, reject) => {
    const onClose = (code: number) => reject(new Error(`pushed stream closed (error code ${code}) before a response`));
    p.once('close', onClose);
    p.once('response', (h: Field[]) => {
      p.off('close', onClose);
      resolve(H2Response.of(h, p));
    });
  });
  response.catch(() => undefined);
  return { response, abort: () => p.reset(ErrorCode.CANCEL) };
}

/** The session settings of h2 backend connections. */
export interface BackendSessionSettings {
  /** SETTINGS_INITIAL_WINDOW_SIZE (`--backend-http2-window-size`). */
  stream: number;
  /** The connection window (`--backend-http2-connection-window-size`). */
  connection: number;
  /** SETTINGS_ENABLE_PUSH (default true). */
  push?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS sent to the backend (`--backend-http2-max-concurrent-streams`: pushed streams it may open). */
  maxConcurrentStreams?: number;
  /** SETTINGS_HEADER_TABLE_SIZE: our HPACK decoder's table (`--backend-http2-decoder-dynamic-table-size`). */
  decoderTableSize?: number;
  /** Cap on our HPACK encoder's table (`--backend-http2-encoder-dynamic-table-size`). */
  encoderTableSize?: number;
  /** `--padding`: at most this many padding octets per frame (0 or undefined: none). */
  padding?: number;
}

/**
 * The session options behind nghttpx's HTTP/2 knobs shared by both sides: the decoder's
 * SETTINGS_HEADER_TABLE_SIZE, the encoder's table cap, and `--padding` (nghttp's `-b` policy:
 * a fixed number of padding octets per frame, 0 for none).
 */
export function http2Knobs(decoderTableSize?: number, encoderTableSize?: number, padding?: number) {
  return {
    // Sent only when not the RFC's 4096 (as the reference: its default SETTINGS stay as they were).
    settings: decoderTableSize === undefined || decoderTableSize === 4096 ? {} : { headerTableSize: decoderTableSize },
    encoderMaxTableSize: encoderTableSize,
    padding: padding ? { fixed: padding } : undefined,
  };
}

/** Make the backend object for one `-b` address. */
export function createBackend(
  address: BackendAddress,
  tlsOptions: BackendTlsOptions,
  windows: BackendSessionSettings = { stream: 65535, connection: 2 ** 31 - 1 },
  proxy?: ProxyUri,
  limits: BackendLimits = DEFAULT_BACKEND_LIMITS,
): Backend {
  return address.proto === 'h2'
    ? new Http2Backend(address, tlsOptions, windows, proxy, limits)
    : new Http1Backend(address, tlsOptions, limits);
}
