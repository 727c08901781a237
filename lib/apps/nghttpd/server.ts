/**
 * nghttpd's engine: listens with the transport (TLS+ALPN or h2c, HTTP/1.1 Upgrade), answers each
 * request from the static site (push, echo, trailers, early response), and prints the -v trace
 * with the `[id=N]` prefix. One instance per process; `-n` runs several processes (bin/nghttpd.ts).
 */
import fs = require('fs');
import type { AddressInfo } from 'net';
import type { TlsOptions, TLSSocket } from 'tls';
import { listen, Http2Listener, AcceptInfo } from '../../transport/server';
import type { Http2Connection } from '../../transport/connection';
import { loadKeyAndCert } from '../common/tls-files';
import type { Http2Stream } from '../../transport/stream';
import type { HeaderField } from '../../protocol/frame/types';
import { FramePrinter, latin1Writer, monotonicMs } from '../printer/printer';
import type { NghttpdOptions } from './options';
import { SERVER_NAME } from './options';
import { loadMimeTypes, SiteRequest, StaticSite } from './static';
import { safeReset, sendResponse } from './respond';
import { echoUpload } from './echo';
import { attachPrinter } from './trace';

/** On close(), connections still open after this long are destroyed. */
export const SHUTDOWN_GRACE_MS = 2000;

/** Where the engine writes: -v trace to `out`, warnings to `err`. */
export interface NghttpdIO {
  /** The listen lines and the -v trace. */
  out: {
    /** Write bytes or text as they are. */
    write(chunk: Buffer | string): unknown;
  };
  /** Warnings and errors. */
  err: {
    /** Write one message. */
    write(chunk: Buffer | string): unknown;
  };
  /** Colour the trace (terminal or --color). */
  color?: boolean;
  /** Connection ids: the first and the step (several worker processes use disjoint ids). */
  firstId?: number;
  idStep?: number;
  /** Print the `listen` lines (default: with -v, or when the port was 0). */
  printListen?: boolean;
}

/** A running nghttpd. */
export interface NghttpdServer {
  /** The bound address and port. */
  readonly address: AddressInfo;
  readonly port: number;
  /** The transport listener (connections, raw server). */
  readonly listener: Http2Listener;
  /** The static site (its file cache). */
  readonly site: StaticSite;
  /** Stop accepting, finish in-flight streams (GOAWAY), close cached files. */
  close(): Promise<void>;
}

/**
 * The reference's listen lines for a bound address: `IPv4: listen 0.0.0.0:PORT` (and the IPv6
 * line) for a dual-stack wildcard socket, else the one line for the address asked for.
 */
export function listenLines(addr: AddressInfo, requestedHost: string | undefined): string[] {
  if (requestedHost === undefined && (addr.address === '::' || addr.address === '0.0.0.0')) {
    const lines = [`IPv4: listen 0.0.0.0:${addr.port}`];
    if (addr.address === '::') lines.push(`IPv6: listen :::${addr.port}`);
    return lines;
  }
  return [`${addr.family === 'IPv6' || (addr.family as unknown) === 6 ? 'IPv6' : 'IPv4'}: listen ${addr.address}:${addr.port}`];
}

/** Start nghttpd with parsed options; resolves once listening. */
export async function startNghttpd(opts: NghttpdOptions, io: NghttpdIO): Promise<NghttpdServer> {
  const mimeTypes = loadMimeTypes(opts.mimeTypesFile, opts.mimeTypesFileSet);
  const trailers: HeaderField[] = opts.trailers.map(([n, v]) => [n, v]);
  const startTime = monotonicMs();
  const write = latin1Writer({ write: (b: Buffer) => io.out.write(b) });
  let nextId = io.firstId ?? 1;
  const idStep = io.idStep ?? 1;

  let tlsOpts: TlsOptions | undefined;
  if (!opts.noTls) {
    // Checked here, before listening: a swapped or mismatched pair is one clear line, not an OpenSSL code.
    tlsOpts = { ...loadKeyAndCert(opts.privateKeyFile!, opts.certFile!, { key: '<PRIVATE_KEY>', cert: '<CERT>' }) };
    if (opts.verifyClient) {
      tlsOpts.requestCert = true;
      tlsOpts.rejectUnauthorized = false;
    }
    if (opts.dhParamFile) tlsOpts.dhparam = fs.readFileSync(opts.dhParamFile);
  }

  const settings: Record<string, number | boolean> = { maxConcurrentStreams: opts.maxConcurrentStreams };
  if (opts.headerTableSize !== undefined) settings.headerTableSize = opts.headerTableSize;
  if (opts.windowBits !== undefined) settings.initialWindowSize = 2 ** opts.windowBits - 1;
  if (opts.noRfc7540Pri) settings.noRfc7540Priorities = true;

  const siteRef: { site?: StaticSite } = {};

  const onConnection = (conn: Http2Connection, info: AcceptInfo): void => {
    const id = nextId;
    nextId += idStep;
    const printer = opts.verbose || opts.hexdump ? new FramePrinter({ write, color: io.color, prefix: id, startTime }) : undefined;
    const onClosed = printer ? attachPrinter(conn, printer, opts) : undefined;
    conn.on('stream', (stream: Http2Stream) => {
      try {
        handleRequest(conn, stream, info, siteRef.site!, opts, trailers);
      } catch (err) {
        io.err.write(`[id=${id}] request handler failed: ${(err as Error).message}\n`);
        safeReset(stream);
      }
    });
    conn.on('error', () => undefined);
    conn.on('close', () => onClosed?.());
  };

  const listener = await listen(
    {
      host: opts.address,
      port: opts.port,
      tls: tlsOpts,
      allowUpgrade: true,
      connection: {
        session: {
          settings,
          connectionWindowSize: opts.connectionWindowBits !== undefined ? 2 ** opts.connectionWindowBits - 1 : undefined,
          encoderMaxTableSize: opts.encoderHeaderTableSize,
          padding: opts.padding > 0 ? { fixed: opts.padding } : undefined,
          limits: { maxConcurrentStreams: opts.maxConcurrentStreams },
          frameEvents: opts.verbose,
        },
      },
    },
    onConnection,
  );
  if (opts.verifyClient && tlsOpts) {
    // -V: "If the client did not return a certificate, the handshake is terminated."
    listener.server.on('secureConnection', (s: TLSSocket) => {
      const cert = s.getPeerCertificate();
      if (!cert || Object.keys(cert).length === 0) s.destroy();
    });
  }
  // Every accepted socket, so that shutdown cannot hang on one the transport no longer tracks
  // (e.g. a peer that never closes after an HTTP/1.1 error answer).
  const sockets = new Set<import('net').Socket>();
  listener.server.on('connection', (sock: import('net').Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
  });
  const site = new StaticSite({
    htdocs: opts.htdocs,
    mimeTypes,
    serverName: SERVER_NAME,
    port: listener.port,
    errorGzip: opts.errorGzip,
    noContentLength: opts.noContentLength,
    trailerNames: trailers.map((t) => t[0]),
  });
  siteRef.site = site;
  if (io.printListen ?? (opts.verbose || opts.port === 0)) {
    for (const line of listenLines(listener.address, opts.address)) io.out.write(line + '\n');
  }
  return {
    address: listener.address,
    port: listener.port,
    listener,
    site,
    close: async () => {
      const force = setTimeout(() => {
        for (const sock of sockets) sock.destroy();
      }, SHUTDOWN_GRACE_MS);
      try {
        await listener.close();
      } finally {
        clearTimeout(force);
        site.close();
      }
    },
  };
}

/** Answer one request stream. */
function handleRequest(
  conn: Http2Connection,
  stream: Http2Stream,
  info: AcceptInfo,
  site: StaticSite,
  opts: NghttpdOptions,
  trailers: HeaderField[],
): void {
  const h = stream.requestHeaders;
  // One pass over the request fields.
  let method = 'GET';
  let reqPath: string | undefined;
  let scheme: string = info.scheme;
  let authority: string | undefined;
  let host = '';
  let acceptEncoding: string | undefined;
  let ifModifiedSince: string | undefined;
  for (let i = 0; i < h.length; i++) {
    const name = h[i][0];
    switch (name) {
      case ':method':
        method = h[i][1];
        break;
      case ':path':
        reqPath = h[i][1];
        break;
      case ':scheme':
        scheme = h[i][1];
        break;
      case ':authority':
        authority = h[i][1];
        break;
      case 'host':
        host = h[i][1];
        break;
      case 'accept-encoding':
        acceptEncoding = h[i][1];
        break;
      case 'if-modified-since':
        ifModifiedSince = h[i][1];
        break;
      default:
        break;
    }
  }
  if (authority === undefined) authority = host;
  if (reqPath === undefined) {
    // CONNECT (the only request without :path): nothing to serve here, as nghttpd answers 405.
    if (!stream.remoteEnded) stream.body.resume();
    sendResponse(stream, site.errorResponse(405, { method, acceptEncoding }), site, trailers);
    return;
  }
  const path_ = reqPath;
  const echo = opts.echoUpload && (method === 'POST' || method === 'PUT');

  if (echo) {
    echoUpload(stream, site, trailers).catch(() => safeReset(stream));
    return;
  }
  // The request body is read and dropped, releasing flow-control window as it goes.
  if (!stream.remoteEnded) stream.body.resume();

  // Hot path (a GET without a body, no push configured, a cached file): answered right here,
  // with no closure or push list allocated for it.
  const req: SiteRequest = { scheme, authority, acceptEncoding, method, path: path_, ifModifiedSince };
  if (opts.push.size === 0 && stream.remoteEnded && !stream.closed) {
    const now = site.resolveCached(req);
    if (now) {
      sendResponse(stream, now, site, trailers);
      return;
    }
  }
  answerLater(conn, stream, req, site, opts, trailers);
}

/**
 * The rest of {@link handleRequest}: pushes, files not cached yet, early responses. Apart, so
 * that the hot path's function holds no closure (V8 would make its context on every call).
 */
function answerLater(
  conn: Http2Connection,
  stream: Http2Stream,
  mainReq: SiteRequest,
  site: StaticSite,
  opts: NghttpdOptions,
  trailers: HeaderField[],
): void {
  const { scheme, authority, acceptEncoding, path: path_ } = mainReq;
  const go = () => {
    if (stream.closed) return;
    // Push first (PUSH_PROMISE before the response, as nghttpd), then answer all in order.
    const pushed: Array<{ st: Http2Stream; path: string }> = [];
    const q = path_.indexOf('?');
    const pushList = opts.push.size === 0 ? undefined : opts.push.get(q >= 0 ? path_.slice(0, q) : path_);
    if (pushList && stream.kind === 'request' && conn.session.remoteSettings.enablePush) {
      for (const p of pushList) {
        try {
          const st = stream.push([
            [':method', 'GET'],
            [':path', p],
            [':scheme', scheme],
            [':authority', authority],
          ]);
          pushed.push({ st, path: p });
        } catch {
          break; // the client refused push, or too many streams: serve the page alone
        }
      }
    }
    // Hot path: everything answered from the cache, right now, inside the socket read.
    const now0 = site.resolveCached(mainReq);
    if (now0 && pushed.length === 0) {
      sendResponse(stream, now0, site, trailers);
      return;
    }
    const pushReqs = pushed.map((p) => ({ scheme, authority, acceptEncoding, method: 'GET', path: p.path }));
    if (now0) {
      const nowRest = pushReqs.map((r) => site.resolveCached(r));
      if (nowRest.every((r) => r !== undefined)) {
        sendResponse(stream, now0, site, trailers);
        nowRest.forEach((r, i) => sendResponse(pushed[i].st, r!, site, trailers));
        return;
      }
      if (now0.file) site.release(now0.file);
      for (const r of nowRest) if (r?.file) site.release(r.file);
    }
    const main = site.resolve(mainReq);
    const rest = pushReqs.map((r) => site.resolve(r));
    void Promise.all([main, ...rest]).then(
      ([r0, ...rs]) => {
        sendResponse(stream, r0, site, trailers);
        rs.forEach((r, i) => sendResponse(pushed[i].st, r, site, trailers));
      },
      () => {
        safeReset(stream);
        for (const p of pushed) safeReset(p.st);
      },
    );
  };
  if (opts.earlyResponse || stream.remoteEnded) go();
  else stream.once('end', go);
}
