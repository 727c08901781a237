/**
 * The one request record of nghttpx: what a frontend (HTTP/2 or HTTP/1.x) hands to forwarding,
 * what header rewriting reads and what a backend sends, plus the frontend's side of the answer.
 */
import type { Readable, Writable } from 'stream';
import type { TLSSocket } from 'tls';
import type { BodySink } from '../../transport/stream';

export type { BodySink };

/** A header field as [lowercase name, value]. */
export type Field = [string, string];

/** The protocol a request arrived in (decides the Via token and the access log's version). */
import type { HeadLoad } from './header-limits';

export type FrontendProtocol = 'h2' | 'http/1.1' | 'http/1.0';

/**
 * A request as the proxy sees it, whatever the frontend protocol. Forwarding passes the same
 * record to the backend with `fields` rewritten (`{ ...req, fields }`).
 */
export interface ProxyRequest {
  method: string;
  scheme: 'http' | 'https';
  /** :authority or Host (for CONNECT, the target `host:port`). */
  authority: string | undefined;
  /** :path or the origin-form target ('' for CONNECT). */
  path: string;
  /** Regular fields (no pseudo-headers), lowercase names, as received or as rewritten. */
  fields: Field[];
  /** The request body, or undefined when there is none. */
  body: Readable | undefined;
  /**
   * The request's trailer fields once its body has ended (an HTTP/2 client's trailing HEADERS, an
   * HTTP/1.1 chunked request's trailer section), lowercase names; undefined when there are none.
   * An HTTP/2 backend gets them as trailing HEADERS, an HTTP/1.1 backend in a chunked body's
   * trailer section, as the reference sends them (headers.ts says which fields it leaves out).
   */
  trailers?(): Field[] | undefined;
  /** The client's address (`-` when unknown; `localhost` on a UNIX socket). */
  remoteAddress: string;
  remotePort: number | undefined;
  /** The frontend port the request came in on (undefined on a UNIX socket). */
  serverPort: number | undefined;
  /** The protocol of the request: `h2`, or HTTP/1.x (an h2c Upgrade request counts as `http/1.1`). */
  protocol: FrontendProtocol;
  /** The ALPN id of the frontend connection: `h2`, `h2c`, or `http/1.1` for every HTTP/1.x connection. */
  alpn: string;
  /** Whether the frontend connection is TLS. */
  tls: boolean;
  /** The frontend TLS socket (for the access log's `$tls_*`), when `tls`. */
  tlsSocket?: TLSSocket;
  /** The frontend's index in the configuration's `frontend` list. */
  frontendIndex: number;
  /** `:protocol` of an HTTP/2 extended CONNECT (RFC 8441), e.g. `websocket`. */
  connectProtocol?: string;
  /** The `Upgrade` token of an HTTP/1.1 upgrade request (e.g. `websocket`); the frontend keeps the socket. */
  upgrade?: string;
  /** The request came in absolute form (`GET http://host/path HTTP/1.1`). */
  absoluteForm?: boolean;
  /**
   * The HTTP/1.1 request-target to send instead of `path` (the absolute form a forward proxy
   * sends to the next proxy). Set by forwarding only.
   */
  requestTarget?: string;
  /** The frontend's local address (`--forwarded-by=ip`); undefined on a UNIX socket. */
  localAddress?: string;
  /** Identifies the frontend connection (a key for per-connection state such as `--forwarded-for=obfuscated`). */
  connection?: object;
  /** `sni-fwd`: the TLS SNI host, used instead of the request's host to route. */
  routingHost?: string;
  /** A request the proxy promised (server push): its response carries `x-http2-push: 1`. */
  pushed?: boolean;
  /** The head as received, measured for the header-field limits (header-limits.ts); absent on requests the proxy made. */
  head?: HeadLoad;
}

/**
 * What a backend reads of a request: the request line's parts, the fields already rewritten for
 * the backend (no Host), the body and its trailers. Forwarding builds one per attempt with exactly
 * these properties (a fixed shape, not a copy of the whole {@link ProxyRequest}); a ProxyRequest
 * is one too.
 */
export type BackendRequest = Pick<
  ProxyRequest,
  'method' | 'scheme' | 'authority' | 'path' | 'fields' | 'body' | 'trailers' | 'protocol' | 'absoluteForm' | 'requestTarget'
>;

/**
 * A body read without Node streams (an h2 backend stream, an HTTP/1.1 response's events): the
 * relay's fast path. `relayBody` starts delivery to the sink (once); the sink calls `release(n)`
 * as the bytes it got move on, which lets more come (flow-control window, socket reads).
 */
export interface BodySource {
  relayBody(sink: BodySink): void;
  release(n: number): void;
}

/** The frontend's side of one request: how forwarding answers the client. */
export interface ClientSide {
  /** Send the response head; `endStream` when there is no body. */
  respond(status: number, fields: Field[], endStream: boolean): void;
  /**
   * The response body sink (after respond()). `trailers` is asked when the body ends: HTTP/2
   * clients get the fields as a trailing HEADERS frame, HTTP/1.1 clients in a chunked body's
   * trailer section.
   */
  writable(trailers?: () => Field[] | undefined): Writable;
  /**
   * The fast path of `writable()`: relay `source` to the client (after respond()) with no
   * Writable or pipe, then end with `trailers()`; `done(bytes, complete)` once it is over
   * (`complete` false when the body was cut short). Undefined where the frontend has none.
   */
  relay?(source: BodySource, trailers: () => Field[] | undefined, done: (bytes: number, complete: boolean) => void): void;
  /**
   * Reset / drop the client's request; over HTTP/2 with RST_STREAM `code` (default INTERNAL_ERROR
   * once the answer has started, else CANCEL). HTTP/1.x drops the connection.
   */
  abort(code?: number): void;
  /** Called once when the client is gone before the response finished. */
  onClientGone(cb: () => void): void;
  /**
   * A CONNECT tunnel: after a 2xx, the client's bytes (`readable`) and ours to it (`writable`).
   * Undefined where the frontend cannot tunnel.
   */
  tunnel?(): { readable: Readable; writable: Writable };
  /**
   * Server push (HTTP/2 frontends): send a PUSH_PROMISE with `headers` (pseudo-headers first) on
   * this request's stream and return the promised stream's side, or undefined where the client
   * does not take pushes (SETTINGS_ENABLE_PUSH = 0, its stream limit, a stream already closed).
   */
  push?(headers: Field[]): ClientSide | undefined;
}

/** The access log's `$protocol_version` (and the request line's version) of a protocol. */
export function versionString(p: FrontendProtocol): string {
  return p === 'h2' ? 'HTTP/2' : p === 'http/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
}
