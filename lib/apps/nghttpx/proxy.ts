/**
 * nghttpx's reverse proxy engine: frontends (TLS with ALPN h2/http/1.1; cleartext h2c prior
 * knowledge, HTTP/1.1 and HTTP/1.1 Upgrade: h2c), routing, forwarding with header rewriting and
 * backpressured bodies both ways, access/error logs, `-o` frame debug, graceful shutdown.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as tls from 'tls';
import { Readable, Writable } from 'stream';
import { Http2Connection } from '../../transport/connection';
import type { Http2Stream } from '../../transport/stream';
import { decodeHttp2SettingsHeader, requestHeadersFromHttp1, sniffPreface, SWITCHING_PROTOCOLS } from '../../transport/http1';
import type { SessionEvent } from '../../protocol/session/types';
import type { HeaderField } from '../../protocol/frame/types';
import { FramePrinter } from '../printer/printer';
import { Backend, createBackend, fieldsFromRaw } from './backend';
import { backendRequestFields, errorPage, Field, frontendResponseFields, http1Name, REASONS } from './headers';
import { AccessRecord, compileFormat, formatAccessLine, formatErrorLine, levelEnabled } from './log';
import type { FrontendAddress, LogLevel, NghttpxOptions } from './options';
import { matchRoute, Route } from './routing';

/** Where the logs go. */
export interface ProxyIO {
  /** Error log sink (text lines); default: `--errorlog-file`. */
  errorLog?: (line: string) => void;
}

/** A running proxy. */
export interface NghttpxProxy {
  /** Bound addresses, one per frontend, in `-f` order (`host:port` or `unix:PATH`). */
  readonly addresses: string[];
  /** Bound ports (0 for UNIX sockets). */
  readonly ports: number[];
  /** Graceful shutdown: stop accepting, GOAWAY to HTTP/2 clients, finish in-flight requests, close. */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Close everything now. */
  destroy(): void;
  /** Write an error log line. */
  log(level: LogLevel, where: string, msg: string): void;
}

/** One backend group (backends sharing a pattern), balanced round-robin. */
interface Group {
  backends: Backend[];
  next: number;
}

/** A request as the proxy sees it, whatever the frontend protocol. */
interface Exchange {
  method: string;
  scheme: 'http' | 'https';
  authority: string | undefined;
  path: string;
  fields: Field[];
  body: Readable | undefined;
  remoteAddress: string;
  remotePort: number | undefined;
  serverPort: number | undefined;
  frontend: 'h2' | 'http/1.1';
  protocolVersion: string;
  alpn: string;
  /** Send the response head; `endStream` when there is no body. */
  respond(status: number, fields: Field[], endStream: boolean): void;
  /**
   * The response body sink (after respond()). `trailers` is asked when the body ends: HTTP/2
   * clients get the fields as a trailing HEADERS frame; HTTP/1.1 clients do not get them yet.
   */
  writable(trailers?: () => Field[] | undefined): Writable;
  /** Reset / drop the client's request. */
  abort(): void;
  /** Called once when the client is gone before the response finished. */
  onClientGone(cb: () => void): void;
}

function openLog(path: string): (line: string) => void {
  if (path === '/dev/stderr') return (line) => process.stderr.write(line + '\n');
  if (path === '/dev/stdout') return (line) => process.stdout.write(line + '\n');
  const fd = fs.openSync(path, 'a');
  return (line) => fs.writeSync(fd, line + '\n');
}

/** Close a connection gracefully; a session that cannot say GOAWAY any more is simply dropped. */
function closeQuietly(c: Http2Connection): Promise<void> {
  return Promise.resolve()
    .then(() => c.close())
    .catch(() => c.destroy());
}

const threadId = () => Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');

/** Start nghttpx with parsed options; resolves once every frontend listens. */
export async function startNghttpx(o: NghttpxOptions, io: ProxyIO = {}): Promise<NghttpxProxy> {
  const errorSink = io.errorLog ?? openLog(o.errorlogFile);
  const tid = threadId();
  const log = (level: LogLevel, where: string, msg: string) => {
    if (levelEnabled(level, o.logLevel)) errorSink(formatErrorLine(Date.now(), process.pid, process.pid, tid, level, where, msg));
  };
  if (o.conf) log('NOTICE', 'shrpx.cc:3519', `Loading configuration from ${o.conf}`);
  const accessSink = o.accesslogFile ? openLog(o.accesslogFile) : undefined;
  const accessFormat = compileFormat(o.accesslogFormat);
  const access = (r: AccessRecord) => accessSink?.(formatAccessLine(accessFormat, r));

  // Routing table: every pattern of every backend; backends sharing a pattern form one group.
  const groups = new Map<string, Group>();
  const routes: Route<Group>[] = [];
  const allBackends: Backend[] = [];
  for (const addr of o.backends) {
    const be = createBackend(addr, o.insecure, { stream: o.backendWindowSize, connection: o.backendConnectionWindowSize });
    allBackends.push(be);
    for (const p of addr.patterns) {
      let g = groups.get(p.key);
      if (!g) {
        g = { backends: [], next: 0 };
        groups.set(p.key, g);
        routes.push({ pattern: p, target: g });
      }
      g.backends.push(be);
    }
  }

  const printer = o.frontendFrameDebug ? new FramePrinter({ write: (t) => errorSink(t.replace(/\n$/, '')) }) : undefined;
  const h2Conns = new Set<Http2Connection>();
  const h1Sockets = new Map<net.Socket, number>();
  let closing = false;
  const settings = {
    maxConcurrentStreams: o.maxConcurrentStreams,
    initialWindowSize: o.frontendWindowSize,
    noRfc7540Priorities: true,
    enableConnectProtocol: true,
  };

  // ---- forwarding ----
  const forward = (ex: Exchange) => {
    const start = Date.now();
    let bytes = 0;
    let status = 0;
    let backend: Backend | undefined;
    const record = () =>
      access({
        remoteAddress: ex.remoteAddress,
        remotePort: ex.remotePort,
        serverPort: ex.serverPort,
        start,
        end: Date.now(),
        method: ex.method,
        path: ex.path,
        protocolVersion: ex.protocolVersion,
        status,
        bodyBytesSent: bytes,
        requestFields: ex.fields,
        alpn: ex.alpn,
        backendHost: backend?.address.unixPath !== undefined ? backend?.address.unixPath : backend?.address.host,
        backendPort: backend?.address.port,
        pid: process.pid,
      });
    const generated = (code: number) => {
      status = code;
      const body = Buffer.from(errorPage(code, REASONS[code] ?? 'Error'));
      // As nghttpx: content-type, server, content-length, date; HTTP/1.1 clients get Connection: close.
      const fields: Field[] = [['content-type', 'text/html; charset=UTF-8'], ['server', o.serverName], ['content-length', String(body.length)], ['date', new Date().toUTCString()]];
      if (ex.frontend === 'http/1.1') fields.push(['connection', 'close']);
      ex.respond(code, fields, false);
      bytes = body.length;
      ex.writable().end(body);
      ex.body?.resume();
      record();
    };
    const route = matchRoute(routes, ex.authority, ex.path);
    if (!route) return generated(404);
    const g = route.target;
    backend = g.backends[g.next++ % g.backends.length];
    const fields = backendRequestFields(
      {
        method: ex.method,
        scheme: ex.scheme,
        authority: ex.authority,
        path: ex.path,
        fields: ex.fields,
        remoteAddress: ex.remoteAddress,
        frontend: ex.protocolVersion === 'HTTP/2' ? 'h2' : ex.protocolVersion === 'HTTP/1.0' ? 'http/1.0' : 'http/1.1',
      },
      o,
    );
    const bx = backend.request({ method: ex.method, scheme: ex.scheme, authority: ex.authority, path: ex.path, fields, body: ex.body });
    let done = false;
    let clientGone = false;
    ex.onClientGone(() => {
      clientGone = true;
      if (!done) bx.abort();
    });
    bx.response.then(
      (res) => {
        // Whatever happens below, an error on the backend body must have a listener.
        res.body.on('error', () => undefined);
        if (clientGone) {
          // The client reset or hung up while the backend was thinking: nobody to answer.
          res.body.destroy();
          bx.abort();
          return;
        }
        status = res.status;
        const noBody = ex.method === 'HEAD' || res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200);
        // An HTTP/1.1 client gets a body of unknown length chunked; saying so here puts the field
        // where nghttpx puts it (Node would append it last).
        const chunked = ex.protocolVersion === 'HTTP/1.1' && ex.frontend === 'http/1.1' && !noBody && !res.fields.some(([n]) => n === 'content-length');
        const out = frontendResponseFields(res.fields, backend!.address.proto, o, chunked ? [['transfer-encoding', 'chunked']] : []);
        ex.respond(res.status, out, noBody && res.body.readableEnded);
        // RFC 9110 section 6.5.1: trailer fields a proxy forwards are those of the message, not
        // connection-specific ones.
        const w = ex.writable(() => res.trailers()?.filter(([n]) => !['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade'].includes(n)));
        res.body.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.body.pipe(w);
        const finish = () => {
          if (done) return;
          done = true;
          record();
        };
        w.once('finish', finish);
        w.once('error', () => {
          res.body.destroy();
          finish();
        });
        res.body.once('error', () => {
          // The backend failed mid-body: the client must not take a truncated body as whole.
          ex.abort();
          finish();
        });
      },
      (err: Error & { code?: string; errno?: number }) => {
        done = true;
        if (clientGone) return;
        if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || err.code === 'EHOSTUNREACH') {
          log('WARN', 'shrpx_http_downstream_connection.cc:1532', `Backend connect failed; addr=${backend!.label}: errno=${err.errno !== undefined ? -err.errno : err.code}`);
        } else log('WARN', 'shrpx_downstream.cc', `Backend request failed; addr=${backend!.label}: ${err.message}`);
        try {
          generated(502);
        } catch {
          ex.abort();
        }
      },
    ).catch((err: Error) => {
      // A frontend stream that closed under us (e.g. the client's RST_STREAM racing the backend's
      // answer): drop both sides of this request; the proxy goes on.
      log('INFO', 'nghttpx', `request ${ex.method} ${ex.path} dropped: ${err.message}`);
      bx.abort();
      ex.abort();
    });
  };

  // ---- HTTP/2 frontend ----
  const onH2Connection = (conn: Http2Connection, socket: net.Socket | tls.TLSSocket, alpn: string, scheme: 'http' | 'https', serverPort: number | undefined, upgraded: boolean) => {
    h2Conns.add(conn);
    conn.on('error', () => undefined);
    conn.once('close', () => h2Conns.delete(conn));
    if (printer) {
      const info = (ev: { headers?: HeaderField[]; category?: string }) => ({ headers: ev.headers, category: ev.category as never });
      conn.events$.subscribe((ev: SessionEvent) => {
        if (ev.type === 'frameSent') printer.sent(ev.frame, info(ev));
        else if (ev.type === 'frameReceived') printer.received(ev.frame, info(ev));
      });
    }
    conn.on('stream', (stream: Http2Stream) => {
      const h = stream.requestHeaders;
      const get = (n: string) => h.find((f) => f[0] === n)?.[1];
      const method = get(':method') ?? 'GET';
      let gone: (() => void) | undefined;
      let responded = false;
      stream.once('close', (code: number) => {
        if (code !== 0 || !stream.localEnded) gone?.();
      });
      const ex: Exchange = {
        method,
        scheme: (get(':scheme') as 'http' | 'https') ?? scheme,
        authority: get(':authority') ?? get('host'),
        path: get(':path') ?? '/',
        fields: h.filter((f) => !f[0].startsWith(':')).map(([n, v]) => [n, v] as Field),
        body: stream.remoteEnded && stream.bufferedBytes === 0 ? undefined : stream.body,
        remoteAddress: socket.remoteAddress ?? '-',
        remotePort: socket.remotePort,
        serverPort,
        frontend: 'h2',
        protocolVersion: upgraded && stream.id === 1 ? 'HTTP/1.1' : 'HTTP/2',
        alpn,
        respond: (status, fields, endStream) => {
          responded = true;
          stream.respond([[':status', String(status)], ...fields], { endStream });
        },
        writable: (trailers) => {
          if (stream.localEnded) return new Writable({ write: (_c, _e, cb) => cb(), final: (cb) => cb() });
          return stream.writableBody({ trailers });
        },
        abort: () => stream.reset(responded ? 2 : 8),
        onClientGone: (cb) => {
          gone = cb;
        },
      };
      try {
        forward(ex);
      } catch (err) {
        log('ERROR', 'shrpx_http2_upstream.cc', `request handling failed: ${(err as Error).message}`);
        stream.reset(2);
      }
    });
    if (closing) void closeQuietly(conn);
  };

  const sessionOptions = () => ({
    settings: { ...settings },
    connectionWindowSize: o.frontendConnectionWindowSize,
    limits: { maxConcurrentStreams: o.maxConcurrentStreams },
    frameEvents: o.frontendFrameDebug,
  });

  // ---- HTTP/1.1 frontend (Node's parser), with Upgrade: h2c ----
  const makeH1Server = (scheme: 'http' | 'https', alpnOf: (s: net.Socket) => string, getPort: () => number | undefined) => {
    // keepAliveTimeout 0 keeps Node from announcing `Keep-Alive: timeout=N` (nghttpx sends none);
    // idle and stalled connections are dropped by the socket timeout instead (nghttpx's
    // --frontend-read-timeout default is 1 minute).
    const server = http.createServer({ keepAliveTimeout: 0 });
    server.setTimeout(60000);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      h1Sockets.set(socket, (h1Sockets.get(socket) ?? 0) + 1);
      if (closing) res.shouldKeepAlive = false;
      let gone: (() => void) | undefined;
      res.once('close', () => {
        const n = (h1Sockets.get(socket) ?? 1) - 1;
        h1Sockets.set(socket, n);
        if (!res.writableFinished) gone?.();
        if (closing && n === 0) socket.end();
      });
      const fields = fieldsFromRaw(req.rawHeaders);
      const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
      const ex: Exchange = {
        method: req.method ?? 'GET',
        scheme,
        authority: req.headers.host,
        path: req.url ?? '/',
        fields,
        body: hasBody ? req : undefined,
        remoteAddress: socket.remoteAddress ?? '-',
        remotePort: socket.remotePort,
        serverPort: getPort(),
        frontend: 'http/1.1',
        protocolVersion: `HTTP/${req.httpVersion}`,
        alpn: alpnOf(socket),
        respond: (status, out, endStream) => {
          const flat: string[] = [];
          // Trailers are not relayed to HTTP/1.1 clients (yet), so neither is the Trailer field
          // announcing them (Node refuses it on a Content-Length response anyway).
          for (const [n, v] of out) if (n !== 'trailer') flat.push(http1Name(n), v);
          res.writeHead(status, flat);
          if (endStream) res.end();
        },
        writable: () => res,
        abort: () => socket.destroy(),
        onClientGone: (cb) => {
          gone = cb;
        },
      };
      if (!hasBody) req.resume();
      try {
        forward(ex);
      } catch (err) {
        log('ERROR', 'shrpx_https_upstream.cc', `request handling failed: ${(err as Error).message}`);
        socket.destroy();
      }
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const tokens = String(req.headers.upgrade ?? '').toLowerCase().split(/\s*,\s*/);
      const settingsHeader = req.headers['http2-settings'];
      let settingsPayload: Buffer | undefined;
      try {
        if (scheme === 'http' && tokens.includes('h2c') && typeof settingsHeader === 'string') settingsPayload = decodeHttp2SettingsHeader(settingsHeader);
      } catch {
        settingsPayload = undefined;
      }
      const length = Number(req.headers['content-length'] ?? 0);
      if (!settingsPayload || closing || req.headers['transfer-encoding'] !== undefined || !(length >= 0 && length <= 1048576)) {
        // Not an h2c upgrade we take: a request that cannot be proxied as-is (nghttpx forwards
        // other upgrades; this one does not yet).
        const body = errorPage(400, 'Bad Request');
        socket.end(`HTTP/1.1 400 Bad Request\r\nServer: ${o.serverName}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      // RFC 7540 section 3.2: the upgrade request's body is read whole over HTTP/1.1 first.
      let buf = head;
      const go = () => {
        socket.off('data', more);
        socket.pause();
        socket.write(SWITCHING_PROTOCOLS);
        const fields: [string, string][] = fieldsFromRaw(req.rawHeaders);
        const requestHeaders = requestHeadersFromHttp1({ method: req.method ?? 'GET', target: req.url ?? '/', version: `HTTP/${req.httpVersion}`, fields }, 'http');
        let conn: Http2Connection;
        try {
          conn = new Http2Connection(socket, {
            session: { ...sessionOptions(), role: 'server' },
            initialData: buf.subarray(length),
            upgrade: { settingsPayload: settingsPayload!, requestHeaders, body: length ? buf.subarray(0, length) : undefined },
          });
        } catch (err) {
          log('ERROR', 'nghttpx', `could not start an HTTP/2 session after Upgrade: ${(err as Error).message}`);
          socket.destroy();
          return;
        }
        onH2Connection(conn, socket, 'h2c', 'http', getPort(), true);
      };
      const more = (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= length) go();
      };
      if (buf.length >= length) go();
      else socket.on('data', more);
    });
    server.on('clientError', (_err, socket: net.Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    return server;
  };

  // ---- listeners ----
  const listeners: net.Server[] = [];
  const addresses: string[] = [];
  const ports: number[] = [];
  const tlsContext = o.frontends.some((f) => !f.noTls)
    ? { key: fs.readFileSync(o.privateKeyFile!), cert: fs.readFileSync(o.certificateFile!) }
    : undefined;

  const listenOne = async (fe: FrontendAddress) => {
    let port: number | undefined;
    const getPort = () => port;
    const h1 = makeH1Server(fe.noTls ? 'http' : 'https', (s) => (fe.noTls ? 'http/1.1' : ((s as tls.TLSSocket).alpnProtocol || 'http/1.1')), getPort);
    const handOverH1 = (socket: net.Socket) => h1.emit('connection', socket);
    let server: net.Server;
    if (fe.noTls) {
      server = net.createServer((socket) => {
        socket.setNoDelay(true);
        socket.on('error', () => undefined);
        let buf: Buffer = Buffer.alloc(0);
        const timer = setTimeout(() => socket.destroy(), 10000);
        const onData = (chunk: Buffer) => {
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          const kind = sniffPreface(buf);
          if (kind === 'undecided') return;
          clearTimeout(timer);
          socket.off('data', onData);
          socket.pause();
          if (kind === 'h2') {
            let conn: Http2Connection;
            try {
              conn = new Http2Connection(socket, { session: { ...sessionOptions(), role: 'server' }, initialData: buf });
            } catch (err) {
              log('ERROR', 'nghttpx', `could not start an HTTP/2 session: ${(err as Error).message}`);
              socket.destroy();
              return;
            }
            onH2Connection(conn, socket, 'h2c', 'http', getPort(), false);
          } else {
            socket.unshift(buf);
            handOverH1(socket);
            socket.resume();
          }
        };
        socket.on('data', onData);
        socket.once('close', () => clearTimeout(timer));
      });
    } else {
      server = tls.createServer({ ...tlsContext!, ALPNProtocols: ['h2', 'http/1.1'] }, (socket) => {
        socket.on('error', () => undefined);
        if (socket.alpnProtocol === 'h2') {
          let conn: Http2Connection;
          try {
            conn = new Http2Connection(socket, { session: { ...sessionOptions(), role: 'server' } });
          } catch (err) {
            log('ERROR', 'nghttpx', `could not start an HTTP/2 session: ${(err as Error).message}`);
            socket.destroy();
            return;
          }
          onH2Connection(conn, socket, 'h2', 'https', getPort(), false);
        } else handOverH1(socket);
      });
      server.on('tlsClientError', () => undefined);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        server.on('error', (err) => log('ERROR', 'shrpx.cc', `listener error: ${err.message}`));
        resolve();
      };
      if (fe.unixPath !== undefined) {
        try {
          fs.unlinkSync(fe.unixPath);
        } catch {
          // not there: fine
        }
        server.listen(fe.unixPath, done);
      } else server.listen(fe.port, fe.host === '*' ? undefined : fe.host, done);
    });
    const a = server.address();
    if (typeof a === 'string' || a === null) {
      addresses.push(`unix:${fe.unixPath}`);
      ports.push(0);
    } else {
      port = a.port;
      addresses.push(`${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
      ports.push(a.port);
    }
    listeners.push(server);
  };
  try {
    for (const fe of o.frontends) await listenOne(fe);
  } catch (err) {
    for (const s of listeners) s.close();
    throw err;
  }
  for (const a of addresses) log('NOTICE', 'shrpx.cc:1012', `Listening on ${a}`);

  const destroy = () => {
    for (const s of listeners) s.close();
    for (const c of h2Conns) c.destroy();
    for (const s of h1Sockets.keys()) s.destroy();
    for (const b of allBackends) b.close();
  };

  return {
    addresses,
    ports,
    log,
    destroy,
    shutdown: async (timeoutMs = 30000) => {
      if (closing) return;
      closing = true;
      log('NOTICE', 'shrpx_worker_process.cc:113', 'Graceful shutdown signal received');
      for (const s of listeners) s.close();
      for (const [s, n] of h1Sockets) if (n === 0) s.end();
      await Promise.all([...h2Conns].map(closeQuietly));
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && [...h1Sockets].some(([s, n]) => n > 0 && !s.destroyed)) {
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const b of allBackends) b.close();
      destroy();
    },
  };
}
