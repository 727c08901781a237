/**
 * nghttpx's HTTP/2 frontend: each stream of a connection the transport accepted (TLS ALPN h2,
 * h2c prior knowledge, or an h2c Upgrade whose request is stream 1) becomes a {@link ProxyRequest}
 * and its {@link ClientSide}, handed to forwarding.
 */
import { Writable } from 'stream';
import type { TLSSocket } from 'tls';
import type { Http2Connection } from '../../transport/connection';
import type { AcceptInfo } from '../../transport/server';
import type { Http2Stream } from '../../transport/stream';
import { tunnelDuplex } from '../../transport/tunnel';
import type { HeaderField } from '../../protocol/frame/types';
import type { SessionEvent } from '../../protocol/session/types';
import type { FramePrinter } from '../printer/printer';
import type { ClientSide, Field, ProxyRequest } from './request';

/** What the HTTP/2 frontend needs from the proxy. */
export interface H2FrontendContext {
  /** Forward one request. */
  forward(req: ProxyRequest, client: ClientSide): void;
  /** Report a request the frontend could not hand over. */
  error(msg: string): void;
  /** `-o`: print every frame of every frontend connection. */
  printer?: FramePrinter;
  /** `--frontend-max-requests`: streams per connection, then GOAWAY (undefined or 0: no limit). */
  maxRequests?: number;
}

/** The request record of one HTTP/2 stream. */
function requestOf(
  stream: Http2Stream,
  info: AcceptInfo,
  serverPort: number | undefined,
  frontendIndex: number,
  tlsSocket: TLSSocket | undefined,
  conn: Http2Connection,
): ProxyRequest {
  const h = stream.requestHeaders;
  const get = (n: string) => h.find((f) => f[0] === n)?.[1];
  const upgraded = info.via === 'upgrade' && stream.id === 1;
  const scheme = get(':scheme');
  return {
    method: get(':method') ?? 'GET',
    scheme: scheme === 'http' || scheme === 'https' ? scheme : info.scheme,
    authority: get(':authority') ?? get('host'),
    path: get(':path') ?? (get(':method') === 'CONNECT' ? '' : '/'),
    fields: h.filter((f) => !f[0].startsWith(':')).map(([n, v]) => [n, v] as Field),
    body: stream.remoteEnded && stream.bufferedBytes === 0 ? undefined : stream.body,
    remoteAddress: info.remoteAddress ?? 'localhost',
    remotePort: info.remotePort,
    serverPort: serverPort ?? (conn.socket as { localPort?: number }).localPort,
    // nghttpx logs and tags (Via) the upgraded request as the HTTP/1.1 request it was.
    protocol: upgraded ? 'http/1.1' : 'h2',
    alpn: info.scheme === 'https' ? 'h2' : 'h2c',
    tls: info.scheme === 'https',
    tlsSocket,
    connectProtocol: get(':protocol'),
    frontendIndex,
    localAddress: (conn.socket as { localAddress?: string }).localAddress,
    connection: info,
  };
}

/** The client side of one HTTP/2 stream. */
function clientOf(stream: Http2Stream, conn: Http2Connection): ClientSide {
  let gone: (() => void) | undefined;
  let responded = false;
  stream.once('close', (code: number) => {
    if (code !== 0 || !stream.localEnded) gone?.();
  });
  return {
    respond: (status, fields, endStream) => {
      responded = true;
      stream.respond([[':status', String(status)], ...fields], { endStream });
    },
    writable: (trailers) => {
      if (stream.localEnded) return new Writable({ write: (_c, _e, cb) => cb(), final: (cb) => cb() });
      return stream.writableBody({ trailers });
    },
    // INTERNAL_ERROR once the answer has started, else CANCEL.
    abort: () => stream.reset(responded ? 2 : 8),
    onClientGone: (cb) => {
      gone = cb;
    },
    tunnel: () => {
      const d = tunnelDuplex(stream);
      return { readable: d, writable: d };
    },
    // RFC 9113 section 8.4: "PUSH_PROMISE frames MUST only be sent on a peer-initiated stream",
    // and only while the client's SETTINGS_ENABLE_PUSH allows it.
    push: (headers) => {
      if (stream.kind !== 'request' || stream.closed || stream.localEnded || !conn.session.remoteSettings.enablePush) return undefined;
      try {
        return clientOf(stream.push(headers), conn);
      } catch {
        // The client's SETTINGS_MAX_CONCURRENT_STREAMS is full, or the stream closed meanwhile.
        return undefined;
      }
    },
  };
}

/** Serve one HTTP/2 frontend connection. */
export function serveH2(
  conn: Http2Connection,
  info: AcceptInfo,
  serverPort: number | undefined,
  frontendIndex: number,
  ctx: H2FrontendContext,
): void {
  conn.on('error', () => undefined);
  const tlsSocket = info.scheme === 'https' ? (conn.socket as TLSSocket) : undefined;
  const printer = ctx.printer;
  if (printer) {
    const detail = (ev: { headers?: HeaderField[]; category?: string }) => ({ headers: ev.headers, category: ev.category as never });
    conn.events$.subscribe((ev: SessionEvent) => {
      if (ev.type === 'frameSent') printer.sent(ev.frame, detail(ev));
      else if (ev.type === 'frameReceived') printer.received(ev.frame, detail(ev));
    });
  }
  let streams = 0;
  conn.on('stream', (stream: Http2Stream) => {
    // --frontend-max-requests: "For HTTP/2, this is the number of streams in one HTTP/2
    // connection": the last one gets a graceful GOAWAY behind it.
    if (ctx.maxRequests && ++streams === ctx.maxRequests) void conn.close().catch(() => undefined);
    try {
      ctx.forward(requestOf(stream, info, serverPort, frontendIndex, tlsSocket, conn), clientOf(stream, conn));
    } catch (err) {
      ctx.error(`request handling failed: ${(err as Error).message}`);
      stream.reset(2);
    }
  });
}
