/**
 * nghttpx's HTTP/1.x frontend: connections the transport handed over as HTTP/1.x (cleartext
 * without the preface or an h2c upgrade, TLS with ALPN http/1.1) are served by Node's HTTP/1.1
 * parser; each request becomes a {@link ProxyRequest} and its {@link ClientSide}.
 */
import type { TLSSocket } from 'tls';
import * as http from 'http';
import type { Duplex } from 'stream';
import type * as net from 'net';
import { fieldsFromRaw } from './backends';
import { nodeParserLimits, rawHeadLoad } from './header-limits';
import { errorPage, http1Name } from './headers';
import type { Peer } from './peers';
import type { BodySink, BodySource, ClientSide, Field, ProxyRequest } from './request';
import { watchWrites } from './timeouts';

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
  /** `--request-header-field-buffer` and `--max-request-header-fields` (Node's parser is given room past them). */
  headerLimits?: { buffer: number; maxFields: number };
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

/** An HTTP/1.x frontend (one per `-f`): Node's parser over sockets given to `accept()`. */
export class Http1Frontend {
  private readonly server: http.Server;
  /** Open sockets and how many requests each has in flight. */
  readonly sockets = new Map<net.Socket, number>();
  /** Requests served per connection (for --frontend-max-requests). */
  private readonly served = new WeakMap<net.Socket, number>();
  private readonly timeouts: Http1Timeouts;
  /** Each connection's client (a PROXY header's source, or the socket's peer). */
  private readonly peers = new WeakMap<net.Socket, Peer>();

  constructor(
    private readonly ctx: Http1FrontendContext,
    private readonly frontendIndex: number,
    private readonly serverPort: () => number | undefined,
  ) {
    this.timeouts = { ...DEFAULT_HTTP1_TIMEOUTS, ...ctx.timeouts };
    // keepAliveTimeout 0 keeps Node from announcing `Keep-Alive: timeout=N` (nghttpx sends none)
    // and from setting socket timeouts of its own: the socket's idle timeout is ours (see
    // accept()), and a socket timeout nobody listens to makes Node's server drop the connection.
    const parser = nodeParserLimits(ctx.headerLimits?.buffer ?? 65536, ctx.headerLimits?.maxFields ?? 100);
    this.server = http.createServer({ keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 0, maxHeaderSize: parser.maxHeaderSize });
    this.server.maxHeadersCount = parser.maxHeadersCount;
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
    // WebSocket (any Upgrade but h2c, which the transport takes) and CONNECT: the socket leaves
    // Node's parser and becomes one side of a tunnel (tunnels.ts for upgrades, forwarding for CONNECT).
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onTunnel(req, socket, head));
    this.server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onTunnel(req, socket, head));
    this.server.on('clientError', (_err, socket: net.Socket) => {
      const status = (_err as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    });
  }

  /** Serve a connection the transport handed over, replaying the bytes it already read; `peer` is its client. */
  accept(socket: Duplex, data: Buffer, peer: Peer): void {
    const s = socket as net.Socket;
    this.peers.set(s, peer);
    s.on('error', () => undefined);
    if (data.length) s.unshift(data);
    this.sockets.set(s, 0);
    s.once('close', () => this.sockets.delete(s));
    this.server.emit('connection', s);
    // As nghttpx: --frontend-read-timeout while a request head is awaited (an idle timeout: each
    // byte read restarts it), none while the request is served, --frontend-keep-alive-timeout
    // once the answer is out (see onRequest).
    s.setTimeout(this.timeouts.read);
    watchWrites(s, this.timeouts.write, () => s.destroy());
    s.resume();
  }

  /** Graceful shutdown: idle connections end now, busy ones after their answer. */
  drain(): void {
    for (const [s, n] of this.sockets) if (n === 0) s.end();
  }

  /** Whether a request is still in flight. */
  busy(): boolean {
    return [...this.sockets].some(([s, n]) => n > 0 && !s.destroyed);
  }

  /** Drop every connection. */
  destroy(): void {
    for (const s of this.sockets.keys()) s.destroy();
  }

  /**
   * `CONNECT host:port HTTP/1.1` (a tunnel once the backend agrees) or an `Upgrade:` request such
   * as a WebSocket (101, then a tunnel): the raw socket answers with a hand-written head.
   */
  private onTunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    socket.on('error', () => undefined);
    // A tunnel idles as long as its backend allows (tunnels.ts), not by the request-head timeout.
    socket.setTimeout(0);
    if (req.method !== 'CONNECT' && /^\s*h2c\s*$/i.test(req.headers.upgrade ?? '')) {
      // An h2c upgrade the transport did not take (bad HTTP2-Settings, a body too large): refused.
      const body = errorPage(400, 'Bad Request');
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nServer: ${this.ctx.serverName}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (head.length) socket.unshift(head);
    let gone: (() => void) | undefined;
    socket.once('close', () => gone?.());
    const tls = (socket as { encrypted?: boolean }).encrypted === true;
    const connect = req.method === 'CONNECT';
    const pr: ProxyRequest = {
      method: req.method ?? 'GET',
      scheme: tls ? 'https' : 'http',
      authority: connect ? req.url : req.headers.host,
      path: connect ? '' : (req.url ?? '/'),
      upgrade: connect ? undefined : req.headers.upgrade,
      fields: fieldsFromRaw(req.rawHeaders),
      // The request-target counts toward --request-header-field-buffer, as in nghttpx.
      head: rawHeadLoad(req.rawHeaders, (req.url ?? '').length),
      body: undefined,
      remoteAddress: this.peers.get(socket)?.address ?? socket.remoteAddress ?? 'localhost',
      remotePort: this.peers.get(socket)?.port ?? socket.remotePort,
      serverPort: this.serverPort(),
      protocol: req.httpVersion === '1.0' ? 'http/1.0' : 'http/1.1',
      alpn: 'http/1.1',
      tls,
      tlsSocket: tls ? (socket as TLSSocket) : undefined,
      frontendIndex: this.frontendIndex,
    };
    const client: ClientSide = {
      respond: (status, out, endStream) => {
        let h = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n`;
        // A 2xx to CONNECT has no body and switches the connection to a tunnel (RFC 9110 section 9.3.6);
        // so does a 101 to an Upgrade. Any other answer ends the connection.
        const tunnel = status === 101 || (connect && status >= 200 && status < 300);
        for (const [n, v] of out)
          if (!(status >= 200 && status < 300 && (n === 'content-length' || n === 'transfer-encoding'))) h += `${http1Name(n)}: ${v}\r\n`;
        if (!tunnel && !out.some(([n]) => n === 'connection')) h += 'Connection: close\r\n';
        socket.write(h + '\r\n');
        if (endStream) socket.end();
      },
      writable: () => socket,
      abort: () => socket.destroy(),
      onClientGone: (cb) => {
        gone = cb;
      },
      tunnel: () => ({ readable: socket, writable: socket }),
    };
    try {
      this.ctx.forward(pr, client);
    } catch (err) {
      this.ctx.error(`${connect ? 'CONNECT' : 'Upgrade'} handling failed: ${(err as Error).message}`);
      socket.destroy();
    }
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket;
    this.sockets.set(socket, (this.sockets.get(socket) ?? 0) + 1);
    // The head is in: no read timeout while the request is with the backend (nghttpx waits for
    // the backend's own timeouts).
    socket.setTimeout(0);
    const n = (this.served.get(socket) ?? 0) + 1;
    this.served.set(socket, n);
    // --frontend-max-requests: "For HTTP/1, this is the number of keep alive requests."
    if (this.ctx.closing() || (this.ctx.maxRequests && n >= this.ctx.maxRequests)) res.shouldKeepAlive = false;
    const client = new H1ClientSide(res, socket);
    res.once('close', () => {
      const n = (this.sockets.get(socket) ?? 1) - 1;
      if (this.sockets.has(socket)) this.sockets.set(socket, n);
      if (!res.writableFinished) client.gone?.();
      if (this.ctx.closing() && n === 0) socket.end();
      else if (n === 0 && !socket.destroyed) socket.setTimeout(this.timeouts.keepAlive);
    });
    const hasBody =
      req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const tls = (socket as { encrypted?: boolean }).encrypted === true;
    const target = targetOf(req.url ?? '/', req.headers.host);
    const pr: ProxyRequest = {
      method: req.method ?? 'GET',
      scheme: target.scheme ?? (tls ? 'https' : 'http'),
      authority: target.authority,
      path: target.path,
      absoluteForm: target.scheme !== undefined,
      fields: fieldsFromRaw(req.rawHeaders),
      head: rawHeadLoad(req.rawHeaders, (req.url ?? '').length),
      body: hasBody ? req : undefined,
      trailers: hasBody ? () => requestTrailers(req.rawTrailers) : undefined,
      remoteAddress: this.peers.get(socket)?.address ?? socket.remoteAddress ?? 'localhost',
      remotePort: this.peers.get(socket)?.port ?? socket.remotePort,
      serverPort: this.serverPort() ?? socket.localPort,
      protocol: req.httpVersion === '1.0' ? 'http/1.0' : 'http/1.1',
      alpn: 'http/1.1',
      tls,
      tlsSocket: tls ? (socket as TLSSocket) : undefined,
      frontendIndex: this.frontendIndex,
      localAddress: socket.localAddress,
      connection: socket,
    };
    if (!hasBody) req.resume();
    try {
      this.ctx.forward(pr, client);
    } catch (err) {
      this.ctx.error(`request handling failed: ${(err as Error).message}`);
      socket.destroy();
    }
  }
}

/**
 * RFC 9110 section 6.5.1: a sender must not put framing, routing or connection-specific fields in
 * trailers; those an HTTP/1.1 client sent anyway are not relayed (HTTP/2 would refuse them).
 */
const NOT_IN_TRAILERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'upgrade',
  'host',
  'content-length',
]);

/** An HTTP/1.1 request's trailer section as fields for the backend (undefined when empty). */
function requestTrailers(raw: string[]): Field[] | undefined {
  if (raw.length === 0) return undefined;
  const out = fieldsFromRaw(raw).filter(([n]) => !NOT_IN_TRAILERS.has(n));
  return out.length ? out : undefined;
}

/**
 * The parts of an HTTP/1.1 request-target: RFC 9112 section 3.2.2, an absolute-form target
 * carries the authority (which then wins over Host) and the scheme.
 */
export function targetOf(
  target: string,
  host: string | undefined,
): { scheme?: 'http' | 'https'; authority: string | undefined; path: string } {
  const abs = /^(https?):\/\/([^/?#]*)([^#]*)/i.exec(target);
  if (!abs) return { authority: host, path: target };
  const path = abs[3] || '/';
  return { scheme: abs[1].toLowerCase() as 'http' | 'https', authority: abs[2], path: path.startsWith('/') ? path : `/${path}` };
}

/**
 * The client side of one HTTP/1.1 request (Node's ServerResponse). A class, since one is made per
 * request; `relay` moves a backend body onto the response with no Readable or pipe.
 */
class H1ClientSide implements ClientSide {
  /** @internal Called once when the client is gone before the answer finished. */
  gone: (() => void) | undefined;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly socket: net.Socket,
  ) {}

  respond(status: number, out: Field[], endStream: boolean): void {
    const flat: string[] = [];
    // Trailers are not relayed to HTTP/1.1 clients (yet), so neither is the Trailer field
    // announcing them (Node refuses it on a Content-Length response anyway).
    for (let i = 0; i < out.length; i++) if (out[i][0] !== 'trailer') flat.push(http1Name(out[i][0]), out[i][1]);
    this.res.writeHead(status, flat);
    if (endStream) this.res.end();
  }

  writable(): http.ServerResponse {
    return this.res;
  }

  relay(source: BodySource, _trailers: () => Field[] | undefined, done: (bytes: number, complete: boolean) => void): void {
    source.relayBody(new ResponseRelay(this.res, source, done));
  }

  abort(): void {
    this.socket.destroy();
  }

  onClientGone(cb: () => void): void {
    this.gone = cb;
  }
}

/**
 * A backend body written to an HTTP/1.1 response: bytes the response takes at once are given
 * back to the source at once, the rest when it drains (or closes: the source must not wait on a
 * client that left).
 */
class ResponseRelay implements BodySink {
  private bytes = 0;
  private held = 0;
  private waiting = false;
  private over = false;
  private readonly onDrain = (): void => {
    this.res.off('drain', this.onDrain);
    this.res.off('close', this.onDrain);
    this.waiting = false;
    const n = this.held;
    this.held = 0;
    if (n > 0) this.source.release(n);
  };

  constructor(
    private readonly res: http.ServerResponse,
    private readonly source: BodySource,
    private readonly done: (bytes: number, complete: boolean) => void,
  ) {}

  data(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.res.write(chunk)) return this.source.release(chunk.length);
    this.held += chunk.length;
    if (!this.waiting) {
      this.waiting = true;
      this.res.once('drain', this.onDrain);
      this.res.once('close', this.onDrain);
    }
  }

  end(): void {
    if (this.over) return;
    this.over = true;
    this.res.end();
    this.done(this.bytes, true);
  }

  abort(): void {
    if (this.over) return;
    this.over = true;
    this.onDrain();
    this.done(this.bytes, false);
  }
}
