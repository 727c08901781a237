/**
 * nghttpx's frontends: one per `-f`, each the transport's acceptor (preface sniffing, h2c
 * upgrade, TLS/ALPN) with the HTTP/2 frontend on its connections and the HTTP/1.x frontend on the
 * rest. Sockets come from listeners this process owns or from a supervisor (`accept()`).
 */
import type * as net from 'net';
import type * as tls from 'tls';
import type { Http2Connection } from '../../transport/connection';
import { AcceptInfo, acceptor, Http2Acceptor } from '../../transport/server';
import type { FramePrinter } from '../printer/printer';
import { H2Timeouts, h2Watches, serveH2 } from './frontend-h2';
import type { HeaderDumps } from './header-dump';
import { http2Knobs } from './backends';
import { nodeParserLimits } from './header-limits';
import { PeerRecords } from './peers';
import { RateLimits } from './rate-limit';
import { parseProxyHeader } from './proxyproto';
import { tickInterval } from './timeouts';
import { frontendTlsCheck } from './tls';
import { Http1Frontend } from './frontend-http1';
import type { FrontendAddress, NghttpxOptions } from './options';
import type { ClientSide, ProxyRequest } from './request';

/** What the frontends need from the proxy. */
export interface FrontendsContext {
  options: NghttpxOptions;
  /** tls.createServer options for TLS frontends (see tls.ts). */
  tls: tls.TlsOptions | undefined;
  forward(req: ProxyRequest, client: ClientSide): void;
  error(msg: string): void;
  printer?: FramePrinter;
  /** `--frontend-http2-dump-request-header` / `-response-header`. */
  dumps?: HeaderDumps;
}

/** One `-f` frontend. */
export interface Frontend {
  readonly address: FrontendAddress;
  readonly acceptor: Http2Acceptor;
  readonly http1: Http1Frontend;
  /** The bound port (set by whoever listens; undefined on a UNIX socket). */
  port: number | undefined;
}

/** Every frontend of one configuration. */
export class Frontends {
  readonly list: Frontend[] = [];
  private closing = false;
  /** How long a `proxyproto` connection may take to send its PROXY header (nghttpx: the frontend read timeout). */
  private readonly proxyHeaderTimeout: number;
  /** Connections open now, and the --worker-frontend-connections limit (0: none). */
  private open = 0;
  private readonly maxConnections: number;
  /** Clients as PROXY headers named them (`proxyproto` frontends). */
  private readonly peers = new PeerRecords();
  /** --read-rate/--write-rate and their --worker-* forms (the worker buckets live here). */
  private readonly rates: RateLimits;

  constructor(ctx: FrontendsContext) {
    const o = ctx.options;
    this.proxyHeaderTimeout = o.frontendReadTimeout;
    this.maxConnections = o.workerFrontendConnections;
    this.rates = new RateLimits(o);
    // Each connection's throttle (its TLSSocket's for TLS: plaintext, as nghttpx counts SSL_read/SSL_write).
    const throttle = this.rates.active ? () => this.rates.throttle() : undefined;
    const tlsCheck = frontendTlsCheck(o);
    const knobs = http2Knobs(o.frontendHttp2DecoderDynamicTableSize, o.frontendHttp2EncoderDynamicTableSize, o.padding);
    const session = {
      ...knobs,
      settings: {
        ...knobs.settings,
        maxConcurrentStreams: o.frontendHttp2MaxConcurrentStreams,
        initialWindowSize: o.frontendHttp2WindowSize,
        noRfc7540Priorities: true,
        // RFC 8441 section 3: advertised where an extended CONNECT is served (WebSockets to the
        // backend, tunnels.ts); as the reference, not in forward-proxy mode (-s), which has no
        // backend to carry one.
        enableConnectProtocol: !o.http2Proxy,
      },
      connectionWindowSize: o.frontendHttp2ConnectionWindowSize,
      limits: { maxConcurrentStreams: o.frontendHttp2MaxConcurrentStreams },
      frameEvents: o.frontendFrameDebug,
      // --frontend-http2-setting-timeout: our SETTINGS unacknowledged this long: GOAWAY SETTINGS_TIMEOUT.
      settingsTimeoutMs: o.frontendHttp2SettingTimeout,
    };
    const h2Timeouts: H2Timeouts = {
      read: o.frontendHttp2ReadTimeout,
      write: o.frontendWriteTimeout,
      streamRead: o.streamReadTimeout,
      streamWrite: o.streamWriteTimeout,
    };
    // One timer per per-request timeout for every HTTP/2 connection of this configuration.
    const watches = h2Watches(h2Timeouts);
    const h1Parser = nodeParserLimits(o.requestHeaderFieldBuffer, o.maxRequestHeaderFields);
    o.frontends.forEach((address, index) => {
      const fe: Frontend = {
        address,
        port: undefined,
        http1: new Http1Frontend(
          {
            forward: ctx.forward,
            error: ctx.error,
            serverName: o.serverName,
            closing: () => this.closing,
            maxRequests: o.frontendMaxRequests,
            timeouts: { read: o.frontendReadTimeout, keepAlive: o.frontendKeepAliveTimeout, write: o.frontendWriteTimeout },
            headerLimits: { buffer: o.requestHeaderFieldBuffer, maxFields: o.maxRequestHeaderFields },
            requestBuffer: o.backendRequestBuffer,
            throttle,
          },
          index,
          () => fe.port,
        ),
        acceptor: undefined as unknown as Http2Acceptor,
      };
      (fe as { acceptor: Http2Acceptor }).acceptor = acceptor(
        {
          tls: address.noTls ? undefined : ctx.tls,
          acceptTlsSocket: address.noTls ? undefined : tlsCheck,
          throttle,
          // Cleartext connections read into one shared buffer, as the backend sockets do.
          reuseReadBuffer: true,
          // The session's timers are checked often enough for a short SETTINGS timeout too.
          connection: { session, tickInterval: tickInterval(o.frontendHttp2SettingTimeout) },
          // A connection that has not said what it speaks: nghttpx's HTTP/1.1 read timeout.
          handshakeTimeout: o.frontendReadTimeout || undefined,
          // Room past the limits: forwarding measures a head as nghttpx does and answers 431 itself.
          http1Limits: { maxHeadSize: h1Parser.maxHeaderSize, maxFields: h1Parser.maxHeadersCount },
          onHttp1Socket: (socket, data) => fe.http1.accept(socket, data, this.peers.of(socket)),
          // nghttpx reads a cleartext connection as HTTP/1.1 until it sees the preface: junk gets a 400.
          invalidPreface: 'http1',
        },
        (conn: Http2Connection, info) =>
          serveH2(conn, this.withPeer(info, conn), fe.port, index, {
            forward: ctx.forward,
            error: ctx.error,
            printer: ctx.printer,
            dumps: ctx.dumps,
            maxRequests: o.frontendMaxRequests,
            timeouts: h2Timeouts,
            watches,
            // "--backend-connections-per-host ... meaningful when --http2-proxy option is used";
            // "--backend-connections-per-frontend ... only used for default mode".
            dispatch: o.http2Proxy
              ? { limit: o.backendConnectionsPerHost, byHost: true }
              : { limit: o.backendConnectionsPerFrontend, byHost: false },
          }),
      );
      this.list.push(fe);
    });
  }

  /** Serve a connection accepted on frontend `index`. */
  accept(socket: net.Socket, index: number): void {
    const fe = this.list[index];
    // --worker-frontend-connections: "maximum number of simultaneous connections frontend accepts".
    if (!fe || (this.maxConnections > 0 && this.open >= this.maxConnections)) {
      socket.destroy();
      return;
    }
    this.open++;
    socket.once('close', () => this.open--);
    if (!fe.address.proxyproto) {
      fe.acceptor.accept(socket);
      return;
    }
    readProxyHeader(socket, this.proxyHeaderTimeout, (source) => {
      // The client's address as the load balancer saw it: what logs, X-Forwarded-For and
      // Forwarded report.
      if (source) this.peers.record(socket, source);
      fe.acceptor.accept(socket);
      // A TLS frontend's TLSSocket collects the bytes read past the header from this paused
      // socket's buffer on its own; resuming the socket here would let them flow out as 'data'
      // nobody listens to (the ClientHello was lost). The cleartext sniffer needs the resume.
      if (fe.address.noTls) socket.resume();
    });
  }

  /** The connection's accept record with the client a PROXY header named (once per connection). */
  private withPeer(info: AcceptInfo, conn: Http2Connection): AcceptInfo {
    const peer = this.peers.of(conn.socket);
    if (peer.address === info.remoteAddress && peer.port === info.remotePort) return info;
    return { ...info, remoteAddress: peer.address, remotePort: peer.port };
  }

  /** Graceful shutdown: GOAWAY to HTTP/2 clients, HTTP/1.x connections end after their answers; resolves when all are done or after `timeoutMs`. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    for (const fe of this.list) fe.http1.drain();
    await Promise.all(this.list.map((fe) => fe.acceptor.close()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.list.some((fe) => fe.http1.busy())) await new Promise((r) => setTimeout(r, 20));
  }

  /** Drop every connection. */
  destroy(): void {
    this.closing = true;
    for (const fe of this.list) {
      for (const c of fe.acceptor.connections) c.destroy();
      fe.http1.destroy();
    }
  }

  /** Open connections (HTTP/2 and HTTP/1.x) across every frontend. */
  get connectionCount(): number {
    return this.list.reduce((n, fe) => n + fe.acceptor.connections.size + fe.http1.connections.size, 0);
  }
}

/**
 * `proxyproto`: read the PROXY v1/v2 header before anything else; `done` gets the client's
 * address (undefined for LOCAL/UNKNOWN) with the bytes after the header put back on the socket.
 * A malformed header, or none within `timeoutMs`, drops the connection (as nghttpx).
 */
function readProxyHeader(
  socket: net.Socket,
  timeoutMs: number,
  done: (source: { address: string; port: number } | undefined) => void,
): void {
  let buf: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const onData = (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    const r = parseProxyHeader(buf);
    if (r.kind === 'more') return;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.pause();
    if (r.kind === 'error') {
      socket.destroy();
      return;
    }
    if (r.consumed < buf.length) socket.unshift(buf.subarray(r.consumed));
    done(r.source);
  };
  socket.on('error', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
  socket.on('data', onData);
}
