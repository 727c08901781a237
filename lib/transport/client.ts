/**
 * Opening HTTP/2 connections to a URL: `http://` with h2c prior knowledge or HTTP/1.1
 * `Upgrade: h2c`; `https://` with TLS and ALPN (`h2`, `http/1.1`), keeping the certificate
 * verification result for the caller to report (nghttp warns and continues).
 */
import net = require('net');
import type * as tls from 'tls';
import { tls as loadTls } from '../lazy';
import type { Duplex } from 'stream';
import type { HeaderField } from '../protocol/frame/types';
import { Http2Connection, ConnectionOptions, ConnectionSessionOptions } from './connection';
import type { Http2Stream } from './stream';
import {
  DEFAULT_HTTP1_LIMITS,
  Http1ResponseHead,
  encodeHttp2SettingsHeader,
  fieldTokens,
  formatRequestHead,
  parseResponseHead,
} from './http1';
import { SocketReads } from './socket-reads';

/** What TLS negotiated, and whether the certificate verified. */
export interface TlsInfo {
  /** The ALPN protocol the server selected, or false when it selected none. */
  alpnProtocol: string | false | null;
  /** True when the certificate chain verified against the CAs and matched the host name. */
  authorized: boolean;
  /** Why verification failed (e.g. DEPTH_ZERO_SELF_SIGNED_CERT), when it did. */
  authorizationError: string | undefined;
  /** e.g. `TLSv1.3`. */
  protocol: string | null;
  /** The negotiated cipher suite. */
  cipher: tls.CipherNameAndProtocol;
  /** The server's certificate. */
  peerCertificate: tls.PeerCertificate;
}

/** The HTTP/1.1 request that carries an h2c Upgrade (RFC 7540 section 3.2). */
export interface UpgradeRequest {
  /** Default GET (nghttp uses OPTIONS when a body is to be sent: the upgrade request carries none). */
  method?: string;
  /** Default: the URL's path and query (`*` for OPTIONS). */
  path?: string;
  /** Extra HTTP/1.1 header fields (lowercase names). */
  headers?: [string, string][];
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Options for the connection; `session.role` is forced to 'client'. */
  connection?: Omit<ConnectionOptions, 'session' | 'initialData' | 'upgrade' | 'reads'> & {
    session?: Omit<ConnectionSessionOptions, 'role'>;
  };
  /** `http://` only: upgrade from HTTP/1.1 instead of prior knowledge; true = GET of the URL. */
  upgrade?: boolean | UpgradeRequest;
  /** Refuse an unverified certificate (default false: connect, and report it in `tls`). */
  rejectUnauthorized?: boolean;
  /** Extra CA certificates to trust. */
  ca?: tls.SecureContextOptions['ca'];
  /** Client certificate and key, if the server asks. */
  cert?: tls.SecureContextOptions['cert'];
  key?: tls.SecureContextOptions['key'];
  /** ALPN protocols offered (default `h2`, `http/1.1`). */
  alpnProtocols?: string[];
  /** SNI to send instead of the URL's host name (false: none). */
  servername?: string | false;
  /** Any other tls.connect option (ciphers, minVersion, maxVersion, ecdhCurve, passphrase, session...). */
  tlsOptions?: tls.ConnectionOptions;
  /** Connect to this address instead of the URL's host (the URL still gives SNI and :authority). */
  connectHost?: string;
  connectPort?: number;
  /** Resolve the host with this instead of dns.lookup (net.connect's `lookup`: a cache, a family filter). */
  lookup?: net.LookupFunction;
  /** Give up connecting (TCP + TLS + upgrade) after this many ms. Default 30000. */
  timeout?: number;
  /**
   * `http://` with prior knowledge only (no Upgrade, no TLS, no `socket`): read into one reused
   * buffer (net's `onread`) instead of a fresh one per read. Streams' bodies are copied out of it;
   * `connection.onEvent`, `events$` and raw-data listeners then see views valid only during the
   * call (see ConnectionOptions.reads). Default false.
   */
  reuseReadBuffer?: boolean;
  /**
   * Size of that buffer (default DEFAULT_READ_BUFFER_SIZE, 64 KiB). A client that downloads with
   * 64 KiB windows does better with 128 KiB: what the server sent while we handled the last read
   * (a window and a half) then comes in one read and one callback, not two.
   */
  readBufferSize?: number;
  /** Use this already-connected Duplex instead of dialing (e.g. an in-memory pair). */
  socket?: Duplex;
  /** Called once the transport is up (TCP connected / TLS handshake done), before any HTTP/2 byte. */
  onConnected?: (socket: Duplex, tlsInfo: TlsInfo | undefined) => void;
}

/** The result of {@link connect}. */
export interface ClientConnection {
  /** The HTTP/2 connection; send requests with `connection.request(headers)`. */
  connection: Http2Connection;
  /** `h2` (TLS) or `h2c` (cleartext). */
  protocol: 'h2' | 'h2c';
  /** TLS details (https only). */
  tls?: TlsInfo;
  /** After an h2c upgrade: stream 1, which carries the response to the upgrade request. */
  upgradeStream?: Http2Stream;
  /** After an h2c upgrade: the server's `101 Switching Protocols` head. */
  upgradeResponse?: Http1ResponseHead;
  /** `scheme`, `:authority` and default path derived from the URL, for building requests. */
  scheme: 'http' | 'https';
  authority: string;
  path: string;
}

/** The server answered an h2c upgrade request with something other than 101; `response` says what. */
export class UpgradeFailedError extends Error {
  constructor(
    readonly response: Http1ResponseHead,
    readonly body: Buffer,
  ) {
    super(`HTTP Upgrade failed: the server answered ${response.status} ${response.reason}`);
    this.name = 'UpgradeFailedError';
  }
}

/** TLS came up but the server did not select h2 by ALPN. */
export class AlpnError extends Error {
  constructor(readonly alpnProtocol: string | false | null) {
    super(`HTTP/2 protocol was not selected (server chose ${!alpnProtocol ? 'no protocol' : alpnProtocol}; h2 expected)`);
    this.name = 'AlpnError';
  }
}

function dial(u: URL, opts: ConnectOptions, reads?: SocketReads): Promise<{ socket: Duplex; tls?: TlsInfo }> {
  const isTls = u.protocol === 'https:';
  const host = opts.connectHost ?? u.hostname.replace(/^\[|\]$/g, '');
  const port = opts.connectPort ?? (u.port ? Number(u.port) : isTls ? 443 : 80);
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    if (isTls) {
      const servername = opts.servername === false ? '' : (opts.servername ?? u.hostname.replace(/^\[|\]$/g, ''));
      const t = loadTls().connect({
        ...opts.tlsOptions,
        host,
        port,
        lookup: opts.lookup,
        servername: servername === '' || net.isIP(servername) ? undefined : servername,
        ALPNProtocols: opts.alpnProtocols ?? ['h2', 'http/1.1'],
        rejectUnauthorized: opts.rejectUnauthorized ?? false,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
      });
      socket = t;
      t.once('secureConnect', () => {
        t.off('error', fail);
        t.setTimeout(0);
        const info: TlsInfo = {
          alpnProtocol: t.alpnProtocol,
          authorized: t.authorized,
          authorizationError: t.authorizationError ? String(t.authorizationError) : undefined,
          protocol: t.getProtocol(),
          cipher: t.getCipher(),
          peerCertificate: t.getPeerCertificate(),
        };
        resolve({ socket: t, tls: info });
      });
    } else {
      socket = net.connect(
        reads === undefined ? { host, port, lookup: opts.lookup } : { host, port, lookup: opts.lookup, onread: reads.onread },
      );
      socket.once('connect', () => {
        socket.off('error', fail);
        socket.setTimeout(0);
        resolve({ socket });
      });
    }
    socket.setNoDelay(true);
    socket.once('error', fail);
    socket.setTimeout(opts.timeout ?? 30000, () => fail(new Error(`connect to ${host}:${port} timed out`)));
  });
}

/** Send the HTTP/1.1 upgrade request and read the answer up to the end of its head. */
function h2cHandshake(
  socket: Duplex,
  req: { method: string; path: string; authority: string; headers: [string, string][]; settings: Buffer },
  timeoutMs: number,
): Promise<{ head: Http1ResponseHead; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('HTTP Upgrade timed out')), timeoutMs);
    const finish = (err: Error | null, value?: { head: Http1ResponseHead; rest: Buffer }) => {
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('error', onErr);
      socket.off('end', onEnd);
      if (err) reject(err);
      else resolve(value!);
    };
    const onErr = (err: Error) => finish(err);
    const onEnd = () => finish(new Error('connection closed during HTTP Upgrade'));
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let parsed;
      try {
        parsed = parseResponseHead(buf, DEFAULT_HTTP1_LIMITS);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (!parsed) return;
      const { head, consumed } = parsed;
      if (head.status === 101) {
        if (!fieldTokens(head.fields, 'upgrade').includes('h2c')) {
          finish(new UpgradeFailedError(head, Buffer.alloc(0)));
          return;
        }
        finish(null, { head, rest: buf.subarray(consumed) });
      } else {
        finish(new UpgradeFailedError(head, buf.subarray(consumed)));
      }
    };
    socket.on('data', onData);
    socket.on('error', onErr);
    socket.on('end', onEnd);
    const fields: [string, string][] = [
      ['host', req.authority],
      ['connection', 'Upgrade, HTTP2-Settings'],
      ['upgrade', 'h2c'],
      ['http2-settings', encodeHttp2SettingsHeader(req.settings)],
      ...req.headers,
    ];
    socket.write(formatRequestHead(req.method, req.path, fields));
  });
}

/**
 * Connect to `url` (`http://` or `https://`) and start an HTTP/2 connection. Rejects with
 * {@link AlpnError} when TLS does not select h2, {@link UpgradeFailedError} when an upgrade is
 * refused, or the socket error.
 */
export async function connect(url: string | URL, opts: ConnectOptions = {}): Promise<ClientConnection> {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new TypeError(`unsupported URL scheme ${u.protocol} (http: or https: expected)`);
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  const authority = u.host;
  const path = (u.pathname || '/') + u.search;
  const reads =
    opts.reuseReadBuffer && !opts.socket && !opts.upgrade && scheme === 'http' ? new SocketReads(opts.readBufferSize) : undefined;
  const dialed = opts.socket ? { socket: opts.socket, tls: undefined } : await dial(u, opts, reads);
  const socket = dialed.socket;
  opts.onConnected?.(socket, dialed.tls);
  if (dialed.tls && dialed.tls.alpnProtocol !== 'h2') {
    socket.destroy();
    throw new AlpnError(dialed.tls.alpnProtocol);
  }
  const c = opts.connection ?? {};
  const sessionOpts: ConnectionSessionOptions = { ...(c.session ?? {}), role: 'client' };
  const wantUpgrade = !!opts.upgrade && scheme === 'http';
  let upgrade: ConnectionOptions['upgrade'];
  const ur: UpgradeRequest = opts.upgrade && opts.upgrade !== true ? opts.upgrade : {};
  const method = ur.method ?? 'GET';
  const target = ur.path ?? (method === 'OPTIONS' ? '*' : path);
  const extra = ur.headers ?? [['accept', '*/*']];
  if (wantUpgrade) {
    const requestHeaders: HeaderField[] = [
      [':method', method],
      [':scheme', scheme],
      [':authority', authority],
      [':path', target],
      ...extra.map(([n, v]): HeaderField => [n, v]),
    ];
    upgrade = { settingsPayload: Buffer.alloc(0), requestHeaders };
  }
  // Made before the handshake (it does not touch the socket until start()): HTTP2-Settings
  // must carry exactly the SETTINGS payload this session will send.
  const connection = new Http2Connection(socket, { ...c, session: sessionOpts, upgrade, reads, autoStart: false });
  let initialData: Buffer | undefined;
  let upgradeResponse: Http1ResponseHead | undefined;
  // RFC 7540 section 3.2: the upgrade is for cleartext only; nghttp ignores -u for https.
  if (upgrade) {
    const settings = connection.session.settingsPayload();
    upgrade.settingsPayload = settings;
    let hs;
    try {
      hs = await h2cHandshake(socket, { method, path: target, authority, headers: extra, settings }, opts.timeout ?? 30000);
    } catch (err) {
      connection.destroy(err as Error);
      socket.destroy();
      throw err;
    }
    initialData = hs.rest;
    upgradeResponse = hs.head;
  }
  // Start after the caller's `await connect()` continuation has attached its listeners.
  // readBeforeFirstFlight: one more event-loop turn (its poll phase reads what has arrived).
  const start = () => connection.start(initialData);
  setImmediate(c.readBeforeFirstFlight && !upgrade ? () => setImmediate(start) : start);
  return {
    connection,
    protocol: scheme === 'https' ? 'h2' : 'h2c',
    tls: dialed.tls,
    upgradeStream: upgrade ? connection.adoptUpgradeStream(upgrade.requestHeaders ?? []) : undefined,
    upgradeResponse,
    scheme,
    authority,
    path,
  };
}
