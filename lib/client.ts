/**
 * A small high-level HTTP/2 client over `connect()`: `request()` returns a promise of the
 * response (status, headers, a flow-controlled body Readable, trailers, pushed streams).
 */
import type { Readable } from 'stream';
import type { HeaderField } from './protocol/frame/types';
import type { Http2Stream } from './transport/stream';
import type { Http2Connection } from './transport/connection';
import { connect, ClientConnection, ConnectOptions } from './transport/client';
import { toHeaderList, HeadersInit, BodyInit } from './server';

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
  text(): Promise<string>;
}

function responseOf(stream: Http2Stream, pushes: PushedResponse[]): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('close', onClose);
      const status = Number(stream.responseHeaders.find((h) => h[0] === ':status')?.[1] ?? 0);
      const body = stream.body;
      const ended = new Promise<void>((res, rej) => {
        if (stream.remoteEnded && body.readableEnded) res();
        body.once('end', res);
        body.once('error', rej);
      });
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
    const onClose = (code: number) => reject(new Error(`stream ${stream.id} closed (error code ${code}) before a response`));
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
  private constructor(
    /** What `connect()` returned: protocol, TLS info, upgrade details. */
    readonly info: ClientConnection,
  ) {}

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
    return st ? responseOf(st, trackPushes(st)) : undefined;
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
    const res = responseOf(stream, pushes);
    if (!noBody) {
      const b = body instanceof Uint8Array && !Buffer.isBuffer(body) ? Buffer.from(body) : (body as Buffer | string | Readable | undefined);
      stream.sendBody(b, trailers).catch(() => stream.reset());
    }
    return res;
  }

  /** Close gracefully (GOAWAY; in-flight streams finish). */
  close(): Promise<void> {
    return this.connection.close();
  }
}
