/**
 * nghttpd's engine: listens with the transport (TLS+ALPN or h2c, HTTP/1.1 Upgrade), answers each
 * request from the static site (push, echo, trailers, early response), and prints the -v trace
 * with the `[id=N]` prefix. One instance per process; `-n` runs several processes (bin/nghttpd.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import type { TlsOptions, TLSSocket } from 'tls';
import { listen, Http2Listener, AcceptInfo } from '../../transport/server';
import type { Http2Connection } from '../../transport/connection';
import type { Http2Stream } from '../../transport/stream';
import type { SessionEvent } from '../../protocol/session/types';
import type { HeaderField } from '../../protocol/frame/types';
import { ErrorCode } from '../../protocol/errors';
import { Flag, FrameType } from '../../protocol/frame/constants';
import { FramePrinter, HeadersCategory as PrinterCategory, latin1Writer } from '../printer/printer';
import type { NghttpdOptions } from './options';
import { SERVER_NAME } from './options';
import { FileEntry, loadMimeTypes, readChunk, SiteResponse, StaticSite } from './static';

/** Bytes read from a file per DATA write; the stream's queue bound keeps at most ~2 of these in flight. */
export const FILE_CHUNK = 64 * 1024;
/** An echoed upload stays in memory up to this size, then spills to a temporary file. */
export const ECHO_MEMORY_BYTES = 64 * 1024;
/** Largest upload --echo-upload accepts (bounded disk use); bigger ones are reset. */
export const ECHO_MAX_BYTES = 1024 * 1024 * 1024;

/** On close(), connections still open after this long are destroyed. */
export const SHUTDOWN_GRACE_MS = 2000;

/** Where the engine writes: -v trace to `out`, warnings to `err`. */
export interface NghttpdIO {
  out: { write(chunk: Buffer | string): unknown };
  err: { write(chunk: Buffer | string): unknown };
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

const CATEGORY: Record<string, PrinterCategory> = {
  request: 'request', response: 'response', push_response: 'push-response', headers: 'headers',
};

/** The `listen` lines nghttpd prints with -v (both families for a dual-stack socket). */
export function listenLines(addr: AddressInfo, requestedHost: string | undefined): string[] {
  if (requestedHost === undefined && (addr.address === '::' || addr.address === '0.0.0.0')) {
    const lines = [`IPv4: listen 0.0.0.0:${addr.port}`];
    if (addr.address === '::') lines.push(`IPv6: listen :::${addr.port}`);
    return lines;
  }
  return [`${addr.family === 'IPv6' || addr.family as unknown === 6 ? 'IPv6' : 'IPv4'}: listen ${addr.address}:${addr.port}`];
}

/** Start nghttpd with parsed options; resolves once listening. */
export async function startNghttpd(opts: NghttpdOptions, io: NghttpdIO): Promise<NghttpdServer> {
  const mimeTypes = loadMimeTypes(opts.mimeTypesFile, opts.mimeTypesFileSet);
  const trailers: HeaderField[] = opts.trailers.map(([n, v]) => [n, v]);
  const startTime = performance.now();
  const write = latin1Writer({ write: (b: Buffer) => io.out.write(b) });
  let nextId = io.firstId ?? 1;
  const idStep = io.idStep ?? 1;

  let tlsOpts: TlsOptions | undefined;
  if (!opts.noTls) {
    tlsOpts = {
      key: fs.readFileSync(opts.privateKeyFile!),
      cert: fs.readFileSync(opts.certFile!),
    };
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

  // The session queues (and reports) its first SETTINGS while the connection is being built,
  // before onConnection can subscribe. With -v a listener-wide hook keeps those frames: they are
  // exactly the events between that SETTINGS and the onConnection call (all synchronous).
  let initial: SessionEvent[] = [];
  let capturing = false;
  const initialHook = (ev: SessionEvent) => {
    if (ev.type === 'frameSent' && ev.frame.type === FrameType.SETTINGS && (ev.frame.flags & Flag.ACK) === 0 && !capturing) {
      initial = [ev];
      capturing = true;
      // Claimed synchronously by onConnection; anything else (a later SETTINGS) is let go here.
      queueMicrotask(() => {
        capturing = false;
        initial = [];
      });
    } else if (capturing && initial.length < 8) {
      initial.push(ev);
    }
  };

  const onConnection = (conn: Http2Connection, info: AcceptInfo): void => {
    const id = nextId;
    nextId += idStep;
    const printer = opts.verbose || opts.hexdump
      ? new FramePrinter({ write, color: io.color, prefix: id, startTime })
      : undefined;
    const early = initial;
    initial = [];
    capturing = false;
    const onClosed = printer ? attachPrinter(conn, printer, opts, early) : undefined;
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
        onEvent: opts.verbose ? initialHook : undefined,
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

/** Print frames (-v), stream closes and incoming bytes (--hexdump) for one connection. */
function attachPrinter(conn: Http2Connection, printer: FramePrinter, opts: NghttpdOptions, early: SessionEvent[]): () => void {
  if (opts.hexdump) {
    // The transport's onRawData is one callback per listener and skips the bytes it read while
    // sniffing, so: dump those (kept in the connection's options) and tap the socket after them.
    const sniffed = (conn as unknown as { opts?: { initialData?: Buffer } }).opts?.initialData;
    if (sniffed && sniffed.length) printer.hexdump(sniffed);
    conn.socket.on('data', (chunk: Buffer) => printer.hexdump(chunk));
  }
  if (!opts.verbose) return () => printer.closed();
  // The session reports a frame when it queues it; nghttpd prints it when it is written, after
  // everything received in the same read. So sent frames (and what follows them) wait for the
  // end of the current synchronous batch; received frames print at once.
  const pending: Array<() => void> = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    for (let i = 0; i < pending.length; i++) pending[i]();
    pending.length = 0;
  };
  const later = (fn: () => void) => {
    pending.push(fn);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };
  const info = (ev: { headers?: HeaderField[]; category?: string }) => ({ headers: ev.headers, category: ev.category ? CATEGORY[ev.category] : undefined });
  const print = (ev: SessionEvent) => {
    switch (ev.type) {
      case 'frameSent':
        later(() => printer.sent(ev.frame, info(ev)));
        break;
      case 'frameReceived':
        printer.received(ev.frame, info(ev));
        break;
      case 'streamClosed':
        if (pending.length) later(() => printer.streamClosed(ev.streamId));
        else printer.streamClosed(ev.streamId);
        break;
      default:
        break;
    }
  };
  for (const ev of early) {
    if (ev.type === 'frameSent') printer.sent(ev.frame, info(ev));
  }
  conn.events$.subscribe(print);
  return () => {
    if (pending.length) later(() => printer.closed());
    else printer.closed();
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
      case ':method': method = h[i][1]; break;
      case ':path': reqPath = h[i][1]; break;
      case ':scheme': scheme = h[i][1]; break;
      case ':authority': authority = h[i][1]; break;
      case 'host': host = h[i][1]; break;
      case 'accept-encoding': acceptEncoding = h[i][1]; break;
      case 'if-modified-since': ifModifiedSince = h[i][1]; break;
      default: break;
    }
  }
  if (authority === undefined) authority = host;
  if (reqPath === undefined) {
    // CONNECT (the only request without :path): nothing to serve here, as nghttpd answers 405.
    if (!stream.remoteEnded) stream.body.on('error', () => undefined).resume();
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
  if (!stream.remoteEnded) stream.body.on('error', () => undefined).resume();

  const go = () => {
    if (stream.closed) return;
    // Push first (PUSH_PROMISE before the response, as nghttpd), then answer all in order.
    const pushed: Array<{ st: Http2Stream; path: string }> = [];
    const q = path_.indexOf('?');
    const pushList = opts.push.size === 0 ? undefined : opts.push.get(q >= 0 ? path_.slice(0, q) : path_);
    if (pushList && stream.kind === 'request' && conn.session.remoteSettings.enablePush) {
      for (const p of pushList) {
        try {
          const st = stream.push([[':method', 'GET'], [':path', p], [':scheme', scheme], [':authority', authority!]]);
          pushed.push({ st, path: p });
        } catch {
          break; // the client refused push, or too many streams: serve the page alone
        }
      }
    }
    const mainReq = { scheme, authority: authority!, acceptEncoding, method, path: path_, ifModifiedSince };
    // Hot path: everything answered from the cache, right now, inside the socket read.
    const now0 = site.resolveCached(mainReq);
    if (now0 && pushed.length === 0) {
      sendResponse(stream, now0, site, trailers);
      return;
    }
    const pushReqs = pushed.map((p) => ({ scheme, authority: authority!, acceptEncoding, method: 'GET', path: p.path }));
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

/** Reset a stream with INTERNAL_ERROR unless it (or its connection) is already gone. */
function safeReset(stream: Http2Stream): void {
  try {
    if (!stream.closed) stream.reset(ErrorCode.INTERNAL_ERROR);
  } catch {
    // The connection ended under us: nothing left to tell the peer.
  }
}

/** Send a SiteResponse on a stream: headers, then the body under flow control, then trailers. */
function sendResponse(stream: Http2Stream, r: SiteResponse, site: StaticSite, trailers: HeaderField[]): void {
  if (stream.closed) {
    if (r.file) site.release(r.file);
    return;
  }
  try {
    if (!r.file && !r.body) {
      stream.respond(r.headers, { endStream: true });
      return;
    }
    stream.respond(r.headers);
    // The reference sends the trailers after any body source, even an empty one.
    const tr = trailers.length > 0 ? trailers : undefined;
    if (r.body) {
      if (tr) {
        if (r.body.length) stream.sendData(r.body, false);
        stream.end(tr);
      } else {
        stream.sendData(r.body, true);
      }
      return;
    }
    void streamFile(stream, r.file!, site, tr);
  } catch {
    if (r.file) site.release(r.file);
    safeReset(stream);
  }
}

async function streamFile(stream: Http2Stream, file: FileEntry, site: StaticSite, tr: HeaderField[] | undefined): Promise<void> {
  try {
    if (file.small) {
      if (tr) {
        if (file.small.length) stream.sendData(file.small, false);
        stream.end(tr);
      } else {
        stream.sendData(file.small, true);
      }
      return;
    }
    let pos = 0;
    while (pos < file.size) {
      const chunk = await readChunk(file, pos, FILE_CHUNK);
      if (stream.closed) return;
      if (chunk.length === 0) break; // truncated underneath us: end what we have
      pos += chunk.length;
      const last = pos >= file.size;
      stream.sendData(chunk, last && !tr);
      if (last) break;
      await stream.drained();
    }
    if (tr) stream.end(tr);
    else if (pos < file.size) stream.end();
  } catch {
    safeReset(stream);
  } finally {
    site.release(file);
  }
}

/** --echo-upload: read the whole body (memory, then a temp file past ECHO_MEMORY_BYTES), send it back. */
async function echoUpload(stream: Http2Stream, site: StaticSite, trailers: HeaderField[]): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tmp: { fd: number; file: string } | undefined;
  let pending: Promise<void> = Promise.resolve();
  try {
    await new Promise<void>((resolve, reject) => {
      const body = stream.body;
      body.on('data', (c: Buffer) => {
        size += c.length;
        if (size > ECHO_MAX_BYTES) {
          body.destroy();
          reject(new Error('upload too large'));
          return;
        }
        if (!tmp && size <= ECHO_MEMORY_BYTES) {
          chunks.push(c);
          return;
        }
        if (!tmp) {
          const file = path.join(os.tmpdir(), `nghttpd-echo-${process.pid}-${stream.id}-${Date.now()}`);
          const fd = fs.openSync(file, 'wx+', 0o600);
          fs.unlinkSync(file); // the fd keeps it alive; nothing is left behind
          tmp = { fd, file };
          chunks.push(c);
          const all = Buffer.concat(chunks);
          chunks.length = 0;
          body.pause();
          pending = writeAll(fd, all).then(() => { body.resume(); });
          return;
        }
        body.pause();
        const t = tmp;
        pending = pending.then(() => writeAll(t.fd, c)).then(() => { body.resume(); });
      });
      body.once('end', () => resolve());
      body.once('error', reject);
    });
    await pending;
  } catch {
    if (tmp) fs.close(tmp.fd, () => undefined);
    if (!stream.closed) stream.reset(size > ECHO_MAX_BYTES ? ErrorCode.REFUSED_STREAM : ErrorCode.INTERNAL_ERROR);
    return;
  }
  if (stream.closed) {
    if (tmp) fs.close(tmp.fd, () => undefined);
    return;
  }
  const headers = site.echoHeaders(size);
  const tr = trailers.length > 0 ? trailers : undefined;
  if (size === 0 && !tr) {
    stream.respond(headers, { endStream: true });
    return;
  }
  stream.respond(headers);
  if (size === 0) {
    stream.end(tr);
    return;
  }
  if (!tmp) {
    const data = Buffer.concat(chunks);
    if (tr) {
      stream.sendData(data, false);
      stream.end(tr);
    } else {
      stream.sendData(data, true);
    }
    return;
  }
  const entry: FileEntry = {
    realPath: '', fd: tmp.fd, size, sizeText: String(size), mtimeMs: 0, lastModified: '', refs: 1, checkedAt: 0, stale: true,
  };
  await streamFile(stream, entry, site, tr);
}

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = () => {
      fs.write(fd, buf, off, buf.length - off, null, (err, n) => {
        if (err) { reject(err); return; }
        off += n;
        if (off < buf.length) step();
        else resolve();
      });
    };
    step();
  });
}
