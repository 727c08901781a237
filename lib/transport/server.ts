/**
 * Accepting HTTP/2 connections: TCP with h2c prior knowledge and, on the same port, HTTP/1.1
 * `Upgrade: h2c` (the request becomes stream 1); TLS with ALPN (`h2`, `http/1.1`). An HTTP/1.1
 * request that is not an upgrade gets a readable HTTP/1.1 answer; bytes that are neither the
 * preface nor an HTTP/1.1 request line get GOAWAY(PROTOCOL_ERROR) and the connection closes.
 */
import net = require('net');
import type * as tls from 'tls';
import { tls as loadTls } from '../lazy';
import type { Duplex } from 'stream';
import { Http2Connection, ConnectionOptions, ConnectionSessionOptions } from './connection';
import type { Throttle } from './throttle';
import { adoptSocketReads, SocketReads, threadReadBuffer } from './socket-reads';
import { encodeFrame } from '../protocol/frame/encode';
import { CONNECTION_PREFACE, FrameType } from '../protocol/frame/constants';
import { ErrorCode } from '../protocol/errors';
import {
  DEFAULT_HTTP1_LIMITS,
  Http1Limits,
  Http1ParseError,
  Http1RequestHead,
  SWITCHING_PROTOCOLS,
  couldBeHttp1Request,
  formatResponse,
  h2cUpgradeOf,
  parseRequestHead,
  requestHeadersFromHttp1,
  sniffPreface,
} from './http1';

/** How a connection came to speak HTTP/2. */
export interface AcceptInfo {
  /** `https` for TLS, else `http`. */
  scheme: 'http' | 'https';
  /** 'prior-knowledge' (cleartext preface), 'upgrade' (HTTP/1.1 Upgrade: h2c) or 'alpn' (TLS, h2). */
  via: 'prior-knowledge' | 'upgrade' | 'alpn';
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** The ALPN protocol selected (TLS only). */
  alpnProtocol?: string | false | null;
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Address to bind (default: all interfaces). */
  host?: string;
  /** Port to bind; 0 (the default) picks a free one. */
  port?: number;
  /** TLS: key, cert and any other tls.createServer option. ALPN: `h2`, `http/1.1` unless ALPNProtocols says otherwise (in preference order). */
  tls?: tls.TlsOptions;
  /**
   * TLS: decide after the handshake whether to keep a connection (e.g. accept an expired client
   * certificate but no other verification failure); false closes it before any HTTP byte.
   */
  acceptTlsSocket?: (socket: tls.TLSSocket) => boolean;
  /** Options for each connection; `session.role` is forced to 'server'. */
  connection?: Omit<ConnectionOptions, 'session' | 'initialData' | 'upgrade'> & { session?: Omit<ConnectionSessionOptions, 'role'> };
  /**
   * Rate limits for an HTTP/2 connection (its TLSSocket for TLS, counting plaintext): the
   * connection's `throttle` (throttle.ts); undefined: not limited.
   */
  throttle?: (socket: Duplex) => Throttle | undefined;
  /**
   * Cleartext HTTP/2 connections read into one buffer shared by this thread's connections (see
   * ConnectionOptions.reads: session events and raw data are views valid during the call) instead
   * of a fresh buffer per read pushed through the socket's Readable. Not with `throttle`; where
   * Node's socket internals differ, connections read through 'data' as before. Default false.
   */
  reuseReadBuffer?: boolean;
  /** Accept HTTP/1.1 `Upgrade: h2c` on cleartext connections (default true). */
  allowUpgrade?: boolean;
  /**
   * Largest request body (Content-Length) an upgrade request may carry; it is read whole before
   * switching and becomes stream 1's body. Larger or chunked bodies are not upgraded. Default 1 MiB.
   */
  maxUpgradeBody?: number;
  /** Limits on the HTTP/1.1 head read while sniffing. */
  http1Limits?: Partial<Http1Limits>;
  /** A connection that has not shown what it speaks within this many ms is dropped. Default 10000. */
  handshakeTimeout?: number;
  /**
   * A plain HTTP/1.1 request (no upgrade, or TLS with ALPN http/1.1). Default: a 505 answer
   * saying how to reach this server over HTTP/2, then close.
   */
  onHttp1Request?: (head: Http1RequestHead, socket: Duplex, reason: string) => void;
  /**
   * Take over HTTP/1.x connections whole (instead of `onHttp1Request`): the socket, paused, and
   * every byte read from it so far (`data`, to be replayed first), for an HTTP/1.1 server such as
   * Node's `http` to serve. `head` is the first request's head when it was read (cleartext, or TLS
   * without ALPN); a TLS connection that chose `http/1.1` by ALPN is handed over at once.
   * A malformed or oversized first head (and, with `invalidPreface: 'http1'`, bytes that are no
   * request at all) is handed over too, with `head` undefined: the owner's parser answers it.
   */
  onHttp1Socket?: (socket: Duplex, data: Buffer, info: AcceptInfo, head: Http1RequestHead | undefined) => void;
  /**
   * How to answer bytes that are neither the HTTP/2 preface nor a plausible HTTP/1.1 request
   * line: 'goaway' (the default, RFC 9113 section 3.4, as an HTTP/2 server: SETTINGS, then
   * GOAWAY(PROTOCOL_ERROR), then close) or 'http1' (an HTTP/1.1 400 and close, as nghttpx's
   * HTTP/1.1-first frontend does).
   */
  invalidPreface?: 'goaway' | 'http1';
}

/** An HTTP/2 acceptor without a socket of its own: feed it connections with `accept()`. */
export interface Http2Acceptor {
  /** The net or tls server that does the handshakes; not bound by {@link acceptor}. */
  readonly server: net.Server;
  /** Live HTTP/2 connections. */
  readonly connections: ReadonlySet<Http2Connection>;
  /** Serve one accepted TCP connection (from any listener, or one passed from another process). */
  accept(socket: net.Socket): void;
  /** Stop taking connections; end every connection gracefully (GOAWAY, in-flight streams finish). */
  close(): Promise<void>;
}

/** A listening HTTP/2 server endpoint, as returned by {@link listen}. */
export interface Http2Listener {
  /** The underlying net or tls server. */
  readonly server: net.Server;
  /** The bound address. */
  readonly address: net.AddressInfo;
  /** The bound port (handy with port 0). */
  readonly port: number;
  /** Live HTTP/2 connections. */
  readonly connections: ReadonlySet<Http2Connection>;
  /** Stop accepting; end every connection gracefully (GOAWAY, in-flight streams finish). */
  close(): Promise<void>;
}

const ALPN = ['h2', 'http/1.1'];

/**
 * The answer to an invalid connection preface: our (empty) SETTINGS, the server's preface, then
 * GOAWAY(PROTOCOL_ERROR) with no stream processed. RFC 9113 section 3.4 lets the GOAWAY be
 * omitted; sending it tells an HTTP/2 client why the connection ends.
 */
const INVALID_PREFACE_ANSWER = Buffer.concat([
  encodeFrame({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] }),
  encodeFrame({
    type: FrameType.GOAWAY,
    flags: 0,
    streamId: 0,
    lastStreamId: 0,
    errorCode: ErrorCode.PROTOCOL_ERROR,
    debugData: Buffer.from('invalid connection preface'),
  }),
]);

/**
 * An HTTP/2 client's preface gone wrong: it starts as the preface does ("PRI " and on) and then
 * differs. RFC 9113 section 3.4 reserves the PRI method for the preface, so no HTTP/1.1 request
 * starts so; answering it with HTTP/1.1 text would only puzzle the HTTP/2 client.
 */
function looksLikeBadPreface(buf: Buffer): boolean {
  return buf.length >= 4 && buf.compare(CONNECTION_PREFACE, 0, 4, 0, 4) === 0;
}

function http1Answer(reason: string): Buffer {
  const body =
    'This server speaks HTTP/2: use prior knowledge (h2c), HTTP/1.1 Upgrade: h2c, or TLS with ALPN h2.\n' + (reason ? `(${reason})\n` : '');
  return formatResponse(
    505,
    'HTTP Version Not Supported',
    [
      ['content-type', 'text/plain; charset=utf-8'],
      ['connection', 'close'],
    ],
    body,
  );
}

function defaultHttp1Answer(_head: Http1RequestHead, socket: Duplex, reason: string): void {
  socket.end(http1Answer(reason));
}

/**
 * Listen for HTTP/2 connections; `onConnection` is called for each one before it reads its first
 * frame (attach 'stream' listeners there). Resolves once bound.
 */
export function listen(opts: ListenOptions, onConnection: (conn: Http2Connection, info: AcceptInfo) => void): Promise<Http2Listener> {
  const a = acceptor(opts, onConnection);
  const server = a.server;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      const address = server.address() as net.AddressInfo;
      resolve({ server, address, port: address.port, connections: a.connections, close: () => a.close() });
    });
  });
}

/**
 * The connection handling of {@link listen} without the bound socket: preface sniffing, h2c
 * upgrade and TLS/ALPN for the sockets given to `accept()` (a proxy that owns its listeners, or
 * whose listeners live in another process, uses it).
 */
export function acceptor(
  opts: Omit<ListenOptions, 'host' | 'port'>,
  onConnection: (conn: Http2Connection, info: AcceptInfo) => void,
): Http2Acceptor {
  const limits: Http1Limits = { ...DEFAULT_HTTP1_LIMITS, ...opts.http1Limits };
  const connections = new Set<Http2Connection>();
  const pending = new Set<net.Socket>();
  const onHttp1 = opts.onHttp1Request ?? defaultHttp1Answer;
  const handshakeTimeout = opts.handshakeTimeout ?? 10000;
  const allowUpgrade = opts.allowUpgrade ?? true;
  const maxUpgradeBody = opts.maxUpgradeBody ?? 1048576;
  let closing = false;

  const start = (socket: Duplex, info: AcceptInfo, initialData?: Buffer, upgrade?: ConnectionOptions['upgrade'], rawPrefix?: Buffer) => {
    const c = opts.connection ?? {};
    let conn: Http2Connection;
    try {
      const throttle = opts.throttle?.(socket);
      let reads: SocketReads | undefined;
      if (opts.reuseReadBuffer && throttle === undefined && info.scheme === 'http') {
        reads = new SocketReads(threadReadBuffer());
        if (!adoptSocketReads(socket, reads)) reads = undefined;
      }
      conn = new Http2Connection(socket, {
        ...c,
        session: { ...(c.session ?? {}), role: 'server' },
        initialData,
        upgrade,
        rawPrefix,
        throttle,
        reads,
      });
    } catch {
      // Bad session options (or a session bug) cost this connection, never the server.
      socket.destroy();
      return;
    }
    connections.add(conn);
    conn.once('close', () => connections.delete(conn));
    onConnection(conn, info);
    if (closing) void conn.close();
  };

  // Read until we know what the peer speaks: the HTTP/2 preface or an HTTP/1.1 request head.
  const sniff = (socket: net.Socket, info: AcceptInfo, h2cUpgrade: boolean) => {
    pending.add(socket);
    let buf: Buffer = Buffer.alloc(0);
    // An upgrade whose body is still arriving: the parsed head, and the offset where the body starts.
    let awaiting: { parsed: { head: Http1RequestHead; consumed: number }; settingsPayload: Buffer; bodyLength: number } | undefined;
    // Named, so that done() takes it off: whoever gets the socket next has its own timeouts.
    const expired = () => socket.destroy();
    socket.setTimeout(handshakeTimeout, expired);
    const switchProtocols = (parsed: { head: Http1RequestHead; consumed: number }, settingsPayload: Buffer, bodyLength: number) => {
      done();
      const bodyEnd = parsed.consumed + bodyLength;
      socket.write(SWITCHING_PROTOCOLS);
      start(
        socket,
        { ...info, via: 'upgrade' },
        buf.subarray(bodyEnd),
        {
          settingsPayload,
          requestHeaders: requestHeadersFromHttp1(parsed.head, info.scheme),
          body: bodyLength ? buf.subarray(parsed.consumed, bodyEnd) : undefined,
        },
        buf,
      );
    };
    // An HTTP/1.1 answer that ends the connection: keep reading (and dropping) so the peer's FIN
    // is seen and the socket closes; tracked as pending so that close() can end it; a peer that
    // never closes is dropped after the handshake timeout.
    const answerAndClose = (response: Buffer) => {
      pending.add(socket);
      socket.setTimeout(handshakeTimeout, () => socket.destroy());
      socket.resume();
      socket.end(response);
    };
    const badRequest = (status: number, message: string) => {
      done();
      answerAndClose(
        formatResponse(
          status,
          status === 431 ? 'Request Header Fields Too Large' : status === 505 ? 'HTTP Version Not Supported' : 'Bad Request',
          [['connection', 'close']],
          `${message}\n`,
        ),
      );
    };
    const done = () => {
      socket.pause();
      socket.off('data', onData);
      socket.setTimeout(0, expired);
      pending.delete(socket);
    };
    // An HTTP/1.1 server of the caller's takes the connection, with every byte read so far.
    const handOver = (head: Http1RequestHead | undefined) => {
      done();
      opts.onHttp1Socket?.(socket, buf, info, head);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (awaiting) {
        if (buf.length >= awaiting.parsed.consumed + awaiting.bodyLength)
          switchProtocols(awaiting.parsed, awaiting.settingsPayload, awaiting.bodyLength);
        return;
      }
      const kind = sniffPreface(buf);
      if (kind === 'undecided') return;
      if (kind === 'h2') {
        done();
        start(socket, info, buf, undefined, buf);
        return;
      }
      // Neither the preface nor a request line can come of these bytes: answer now, not after
      // the handshake timeout, and in HTTP/2 (an HTTP/2 client would read HTTP/1.1 text as a
      // broken frame). RFC 9113 section 3.4: "Clients and servers MUST treat an invalid
      // connection preface as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
      if (looksLikeBadPreface(buf) || !couldBeHttp1Request(buf)) {
        if (opts.invalidPreface === 'http1') {
          if (opts.onHttp1Socket) return handOver(undefined);
          badRequest(400, 'neither the HTTP/2 connection preface nor an HTTP/1.1 request');
          return;
        }
        done();
        answerAndClose(INVALID_PREFACE_ANSWER);
        return;
      }
      let parsed;
      try {
        parsed = parseRequestHead(buf, limits);
      } catch (err) {
        if (opts.onHttp1Socket) return handOver(undefined);
        const e = err as Http1ParseError;
        badRequest(e.status ?? 400, e.message);
        return;
      }
      if (!parsed) return;
      const up = h2cUpgradeOf(parsed.head, maxUpgradeBody);
      if (h2cUpgrade && 'settingsPayload' in up && !closing) {
        if (buf.length >= parsed.consumed + up.bodyLength) switchProtocols(parsed, up.settingsPayload, up.bodyLength);
        else awaiting = { parsed, settingsPayload: up.settingsPayload, bodyLength: up.bodyLength };
        return;
      }
      if (opts.onHttp1Socket) return handOver(parsed.head);
      done();
      const reason = !h2cUpgrade ? 'HTTP/1.1 over TLS' : 'settingsPayload' in up ? 'server closing' : up.reason;
      if (opts.onHttp1Request === undefined) {
        answerAndClose(http1Answer(reason));
        return;
      }
      socket.resume();
      onHttp1(parsed.head, socket, reason);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => pending.delete(socket));
  };

  let server: net.Server;
  if (opts.tls) {
    server = loadTls().createServer({ ...opts.tls, ALPNProtocols: opts.tls.ALPNProtocols ?? ALPN }, (socket) => {
      if (opts.acceptTlsSocket && !opts.acceptTlsSocket(socket)) {
        socket.destroy();
        return;
      }
      const info: AcceptInfo = {
        scheme: 'https',
        via: 'alpn',
        remoteAddress: socket.remoteAddress,
        remotePort: socket.remotePort,
        alpnProtocol: socket.alpnProtocol,
      };
      if (socket.alpnProtocol === 'h2') start(socket, info);
      else if (socket.alpnProtocol === 'http/1.1' && opts.onHttp1Socket) {
        socket.pause();
        opts.onHttp1Socket(socket, Buffer.alloc(0), info, undefined);
      }
      // A client without ALPN may still speak HTTP/2 with prior knowledge; HTTP/1.1 gets text.
      else sniff(socket, { ...info, via: 'prior-knowledge' }, false);
    });
    // A failed handshake is the client's problem; it must not reach an 'error' listener.
    server.on('tlsClientError', () => undefined);
  } else {
    server = net.createServer((socket) => {
      sniff(
        socket,
        { scheme: 'http', via: 'prior-knowledge', remoteAddress: socket.remoteAddress, remotePort: socket.remotePort },
        allowUpgrade,
      );
    });
  }
  server.on('connection', (s: net.Socket) => s.setNoDelay(true));

  return {
    server,
    connections,
    accept: (socket) => {
      server.emit('connection', socket);
    },
    close: async () => {
      closing = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      // Connections still showing what they speak get a moment to finish: an HTTP/2 one is
      // then closed gracefully like the others (start() sees `closing`), the rest dropped.
      const sniffing = [...pending].map(
        (s) =>
          new Promise<void>((r) => {
            s.once('close', () => r());
            s.setTimeout(1000, () => s.destroy());
            const check = setInterval(() => {
              if (!pending.has(s)) {
                clearInterval(check);
                r();
              }
            }, 10);
            s.once('close', () => clearInterval(check));
          }),
      );
      await Promise.all(sniffing);
      await Promise.all([...connections].map((c) => c.close()));
      await closed;
    },
  };
}
