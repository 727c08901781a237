/**
 * A small high-level HTTP/2 client over `connect()`: `request()` returns a promise of the
 * response (status, headers, a flow-controlled body Readable, trailers, pushed streams).
 */
import type { Readable } from 'stream';
import { finished } from 'stream/promises';
import type { HeaderField } from './protocol/frame/types';
import type { Http2Stream } from './transport/stream';
import type { Http2Connection } from './transport/connection';
import { connect, ClientConnection, ConnectOptions } from './transport/client';
import { StreamClosedError } from './transport/stream';
import { errorCodeName } from './protocol/errors';
import { toHeaderList, HeadersInit, BodyInit } from './server';
import { tunnelDuplex, TunnelDuplex } from './transport/tunnel';
import { checkOutgoingConnect } from './protocol/http/connect';

/** A tunnel for {@link HTTP2Client.openTunnel}: extended CONNECT (RFC 8441) or plain CONNECT. */
export interface TunnelInit {
  /**
   * `:protocol` of an extended CONNECT, e.g. `websocket` (waits for the server's SETTINGS and
   * needs its SETTINGS_ENABLE_CONNECT_PROTOCOL = 1). Omit it for a plain CONNECT to `authority`.
   */
  protocol?: string;
  /** Extended CONNECT: `:path` (default: the URL's path). */
  path?: string;
  /** `:authority`: the URL's authority by default; for a plain CONNECT, the `host:port` to reach. */
  authority?: string;
  /** Extra request header fields (e.g. `sec-websocket-protocol`, `sec-websocket-version: 13`). */
  headers?: HeadersInit;
}

/** An open tunnel: the 2xx response and the Duplex that carries the bytes. */
export interface ClientTunnel {
  status: number;
  headers: HeaderField[];
  stream: Http2Stream;
  /** Reads are the server's DATA, writes ours; `end()` half-closes, `destroy()` resets. */
  duplex: TunnelDuplex;
}

/** The server answered a CONNECT with something other than 2xx. */
export class TunnelRefusedError extends Error {
  constructor(readonly response: ClientResponse) {
    super(`the server refused the tunnel with status ${response.status}`);
    this.name = 'TunnelRefusedError';
  }
}

/** A request for {@link HTTP2Client.request}. */
export interface ClientRequestInit {
  /** Default GET. */
  method?: string;
  /** Default: the path of the URL given to `connect`. */
  path?: string;
  /** Default: the URL's authority. */
  authority?: string;
  headers?: HeadersInit;
  body?: BodyInit;
  /** Trailer fields sent after the body. */
  trailers?: HeadersInit;
}

/** A promised (pushed) response, as the client received it. */
export interface PushedResponse {
  /** The promised request's header list. */
  requestHeaders: HeaderField[];
  /** Resolves with the pushed response. */
  response: Promise<ClientResponse>;
}

/** A response. `body` must be read (or destroyed) to release flow-control window. */
export interface ClientResponse {
  status: number;
  headers: HeaderField[];
  stream: Http2Stream;
  /** The body bytes, flow-controlled: reading releases window. */
  body: Readable;
  /** Pushed streams promised on this request so far. */
  pushes: PushedResponse[];
  /** Resolves after the body ended, with the trailers (undefined when none). */
  trailers(): Promise<HeaderField[] | undefined>;
  /** Read the whole body. */
  buffer(): Promise<Buffer>;
  /** The whole body as a UTF-8 string. */
  text(): Promise<string>;
}

/** How the connection ended, as far as the client saw it. */
interface ConnectionEnd {
  terminated?: { errorCode: number; remote: boolean; error: Error | undefined };
  goaway?: { errorCode: number; lastStreamId: number; debugData: Buffer };
}

/** Why `stream` closed with `code` before its response, in one sentence. */
function whyClosed(stream: Http2Stream, code: number, end: ConnectionEnd): string {
  const id = stream.id;
  const name = errorCodeName(code);
  if (stream.resetBy === 'local' && stream.resetReason)
    return `stream ${id}: the server's response broke the protocol (${stream.resetReason}); reset with ${name}`;
  if (stream.resetBy === 'remote') return `stream ${id} was reset by the server with ${name}`;
  const t = end.terminated;
  if (t && !t.remote && t.error)
    return `stream ${id} closed before a response: the server broke the protocol (${t.error.message}); we sent GOAWAY ${errorCodeName(t.errorCode)}`;
  const g = end.goaway;
  if (g) {
    const debug = g.debugData.length ? `: ${g.debugData.toString('latin1')}` : '';
    return `stream ${id} closed before a response: the server sent GOAWAY ${errorCodeName(g.errorCode)} (last_stream_id=${g.lastStreamId})${debug}`;
  }
  if (t && t.error) return `stream ${id} closed before a response: ${t.error.message}`;
  if (t && t.remote) return `stream ${id} closed before a response: the server closed the connection`;
  return `stream ${id} closed with ${name} before a response`;
}

function responseOf(stream: Http2Stream, pushes: PushedResponse[], end: ConnectionEnd = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('close', onClose);
      const status = Number(stream.responseHeaders.find((h) => h[0] === ':status')?.[1] ?? 0);
      const body = stream.body;
      // Settles when the body ends or is cut short (a reset, the connection's end, destroy()).
      // Observed here so that a body nobody asks the trailers of never rejects unhandled.
      const ended = finished(body);
      ended.catch(() => undefined);
      resolve({
        status,
        headers: stream.responseHeaders,
        stream,
        body,
        pushes,
        trailers: async () => {
          await ended;
          return stream.trailers;
        },
        buffer: async () => {
          const chunks: Buffer[] = [];
          for await (const c of body) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        },
        text: async () => {
          const chunks: Buffer[] = [];
          for await (const c of body) chunks.push(c as Buffer);
          return Buffer.concat(chunks).toString('utf8');
        },
      });
    };
    // Said a microtask later: a connection error closes the streams first, then says why.
    const onClose = (code: number) => queueMicrotask(() => reject(new StreamClosedError(stream.id, code, whyClosed(stream, code, end))));
    if (stream.responseHeaders.length) return done();
    stream.once('response', done);
    stream.once('close', onClose);
  });
}

function trackPushes(stream: Http2Stream): PushedResponse[] {
  const pushes: PushedResponse[] = [];
  stream.on('push', (p: Http2Stream) => {
    const pr = responseOf(p, []);
    pr.catch(() => undefined);
    pushes.push({ requestHeaders: p.requestHeaders, response: pr });
  });
  return pushes;
}

/** An HTTP/2 client connection with a fetch-like `request()`. */
export class HTTP2Client {
  /** How the connection ended (for the reasons requests give when they fail). */
  private readonly end: ConnectionEnd = {};

  private constructor(
    /** What `connect()` returned: protocol, TLS info, upgrade details. */
    readonly info: ClientConnection,
  ) {
    const c = info.connection;
    c.on('terminated', (errorCode, remote, error) => (this.end.terminated = { errorCode, remote, error }));
    c.on('goaway', (errorCode, lastStreamId, debugData) => (this.end.goaway = { errorCode, lastStreamId, debugData }));
  }

  /** Connect to `url` (`http://` h2c, `https://` h2 via ALPN). See {@link ConnectOptions}. */
  static async connect(url: string | URL, opts: ConnectOptions = {}): Promise<HTTP2Client> {
    return new HTTP2Client(await connect(url, opts));
  }

  /** The underlying connection. */
  get connection(): Http2Connection {
    return this.info.connection;
  }

  /** After an h2c upgrade: the response to the upgrade request (stream 1). */
  upgradeResponse(): Promise<ClientResponse> | undefined {
    const st = this.info.upgradeStream;
    return st ? responseOf(st, trackPushes(st), this.end) : undefined;
  }

  /** Send a request; resolves with the response headers (the body streams after). */
  request(init: ClientRequestInit = {}): Promise<ClientResponse> {
    const method = init.method ?? 'GET';
    const headers: HeaderField[] = [
      [':method', method],
      [':scheme', this.info.scheme],
      [':authority', init.authority ?? this.info.authority],
      [':path', init.path ?? this.info.path],
      ...toHeaderList(init.headers),
    ];
    const body = init.body;
    const trailers = init.trailers ? toHeaderList(init.trailers) : undefined;
    const noBody = body === undefined && !trailers?.length;
    let stream: Http2Stream;
    try {
      stream = this.connection.request(headers, { endStream: noBody });
    } catch (err) {
      // e.g. after GOAWAY: no new streams. A promise API reports it as a rejection.
      return Promise.reject(err);
    }
    const pushes = trackPushes(stream);
    const res = responseOf(stream, pushes, this.end);
    if (!noBody) {
      const b = body instanceof Uint8Array && !Buffer.isBuffer(body) ? Buffer.from(body) : (body as Buffer | string | Readable | undefined);
      stream.sendBody(b, trailers).catch(() => stream.reset());
    }
    return res;
  }

  /**
   * Open a tunnel: an extended CONNECT (RFC 8441, with `protocol`, e.g. WebSockets over HTTP/2)
   * or a plain CONNECT (RFC 9113 section 8.5). Resolves once the server answered 2xx, with a
   * Duplex over the stream; rejects with {@link TunnelRefusedError} for any other status, or when
   * the server does not allow extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL unset).
   */
  async openTunnel(init: TunnelInit = {}): Promise<ClientTunnel> {
    const conn = this.connection;
    const authority = init.authority ?? this.info.authority;
    const headers: HeaderField[] =
      init.protocol !== undefined
        ? [
            [':method', 'CONNECT'],
            [':protocol', init.protocol],
            [':scheme', this.info.scheme],
            [':authority', authority],
            [':path', init.path ?? this.info.path],
          ]
        : [
            [':method', 'CONNECT'],
            [':authority', authority],
          ];
    headers.push(...toHeaderList(init.headers));
    // RFC 8441 section 3: the client learns from the server's SETTINGS whether it may.
    if (init.protocol !== undefined) await conn.whenRemoteSettings();
    const err = checkOutgoingConnect(headers, conn.session.remoteSettings.enableConnectProtocol);
    if (err !== null) throw new Error(`openTunnel: ${err}`);
    const stream = conn.request(headers, { endStream: false });
    const head = await new Promise<HeaderField[]>((resolve, reject) => {
      const onClose = (code: number) => reject(new Error(`tunnel stream ${stream.id} closed (error code ${code}) before a response`));
      stream.once('response', (h: HeaderField[]) => {
        stream.off('close', onClose);
        resolve(h);
      });
      stream.once('close', onClose);
    });
    const status = Number(head.find((h) => h[0] === ':status')?.[1] ?? 0);
    if (status < 200 || status > 299) {
      // No tunnel: end our side so the stream closes (its response body stays readable).
      if (!stream.closed) stream.end();
      throw new TunnelRefusedError(await responseOf(stream, []));
    }
    return { status, headers: head, stream, duplex: tunnelDuplex(stream) };
  }

  /** Close gracefully (GOAWAY; in-flight streams finish). */
  close(): Promise<void> {
    return this.connection.close();
  }
}
