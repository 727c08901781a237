/**
 * nghttpx's WebSocket tunnels. An HTTP/1.1 `Upgrade: websocket` goes to an HTTP/1.1 backend as
 * it came (101, then bytes both ways); an HTTP/2 extended CONNECT (RFC 8441, `:protocol:
 * websocket`) becomes an HTTP/1.1 Upgrade to such a backend (RFC 8441 section 5: the 101 becomes
 * a 200) or stays an extended CONNECT to an h2 backend that allows it; an HTTP/1.1 Upgrade to an
 * h2 backend becomes an extended CONNECT. Bytes move with `pipe()` both ways (backpressure: a slow
 * side stops the other) and an idle tunnel is closed after --backend-read-timeout. Plain CONNECT
 * is forwarding's `tunnel()`.
 */
import crypto = require('crypto');
import net = require('net');
import tls = require('tls');
import type { Duplex, Readable, Writable } from 'stream';
import { parseResponseHead, Http1ResponseHead } from '../../transport/http1';
import { type Backend, NoExtendedConnectError } from './backends';
import { backendRequestFields, frontendResponseFields } from './headers';
import type { NghttpxOptions } from './options';
import type { ClientSide, Field, ProxyRequest } from './request';
import { backendTlsOptions } from './tls';

/** RFC 6455 section 1.3: the GUID appended to Sec-WebSocket-Key. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 section 4.2.2: Sec-WebSocket-Accept for a key. */
export function websocketAccept(key: string): string {
  return crypto
    .createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

/** Whether a request asks to switch protocols: an HTTP/1.1 Upgrade or an RFC 8441 extended CONNECT. */
export function isUpgradeRequest(req: ProxyRequest): boolean {
  return req.connectProtocol !== undefined || req.upgrade !== undefined;
}

/** The outcome of a tunnel attempt, for the access log. */
export type TunnelRecord = (status: number, bytes: number) => void;

/** What forwarding hands to a tunnel. */
export interface TunnelContext {
  options: NghttpxOptions;
  warn(msg: string): void;
  /** Answer with a generated error page (502 and the like). */
  generated(status: number): void;
}

function head(method: string, target: string, fields: Field[]): Buffer {
  let s = `${method} ${target} HTTP/1.1\r\n`;
  for (const [n, v] of fields) s += `${n.replace(/(^|-)([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase())}: ${v}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

/** Dial an HTTP/1.1 backend, send `request`, read the response head. Rejects on failure. */
function dialHttp1(o: NghttpxOptions, be: Backend, request: Buffer): Promise<{ socket: net.Socket; res: Http1ResponseHead; rest: Buffer }> {
  const a = be.address;
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    if (a.tls) {
      const t = backendTlsOptions(o, a);
      socket = tls.connect({
        host: a.host,
        port: a.port,
        path: a.unixPath,
        servername: t.servername,
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        rejectUnauthorized: t.rejectUnauthorized,
        ciphers: t.ciphers,
        minVersion: t.minVersion,
        maxVersion: t.maxVersion,
        ALPNProtocols: ['http/1.1'],
      } as tls.ConnectionOptions);
      socket.once('secureConnect', () => socket.write(request));
    } else {
      socket = a.unixPath !== undefined ? net.connect(a.unixPath) : net.connect(a.port!, a.host!);
      socket.once('connect', () => socket.write(request));
    }
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(o.backendReadTimeout || 60000, () => fail(new Error('backend read timeout')));
    socket.once('error', fail);
    socket.once('end', () => fail(new Error('backend closed before its response head')));
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let parsed;
      try {
        parsed = parseResponseHead(buf);
      } catch (err) {
        return fail(err as Error);
      }
      if (!parsed) return;
      socket.off('data', onData);
      socket.off('error', fail);
      socket.removeAllListeners('end');
      socket.pause();
      resolve({ socket, res: parsed.head, rest: buf.subarray(parsed.consumed) });
    };
    socket.on('data', onData);
  });
}

/** Join two byte streams both ways with backpressure; close both when either ends or idles. */
function splice(
  a: { readable: Readable; writable: Writable },
  b: Duplex,
  idleMs: number,
  count: (n: number) => void,
  done: () => void,
): void {
  let finished = false;
  const end = () => {
    if (finished) return;
    finished = true;
    b.destroy();
    const w = a.writable as Writable & { endAndClose?: () => void };
    // The backend closed: the client's side ends too (an h2 stream with RST_STREAM(NO_ERROR) once
    // our END_STREAM is out, if the client still has its side open).
    if (!w.destroyed) {
      if (w.endAndClose) w.endAndClose();
      else w.end();
    }
    done();
  };
  b.on('data', (d: Buffer) => count(d.length));
  a.readable.pipe(b);
  b.pipe(a.writable);
  (b as net.Socket).setTimeout?.(idleMs, end);
  b.once('close', end);
  b.once('error', end);
  a.readable.once('error', () => {
    finished = true;
    b.destroy();
    done();
  });
  a.writable.once('error', () => {
    finished = true;
    b.destroy();
    done();
  });
}

/** The response fields a tunnel's answer carries to the client (no hop-by-hop, no WebSocket handshake fields). */
function answerFields(
  o: NghttpxOptions,
  res: Http1ResponseHead | { fields: Field[] },
  backendProto: 'h2' | 'http/1.1',
  drop: string[],
): Field[] {
  return frontendResponseFields(
    res.fields.filter(([n]) => !drop.includes(n)),
    backendProto,
    o,
  );
}

/**
 * Open a tunnel for `req` through `be` and splice it to the client. `record` is called once with
 * the status the client got and the bytes sent to it.
 */
export async function openTunnel(
  req: ProxyRequest,
  client: ClientSide,
  be: Backend,
  ctx: TunnelContext,
  record: TunnelRecord,
): Promise<void> {
  const o = ctx.options;
  const fields = backendRequestFields(req, o).filter(([n]) => n !== 'sec-websocket-key' && n !== 'sec-websocket-accept');
  const h1Client = req.alpn === 'http/1.1';
  const wsKey = req.fields.find(([n]) => n === 'sec-websocket-key')?.[1];
  const protocol = (req.connectProtocol ?? req.upgrade)!;
  if (!client.tunnel) return ctx.generated(501);
  if (be.address.proto === 'h2') {
    // An h2 backend: extended CONNECT where it allows it (RFC 8441 section 3).
    if (!be.tunnel) return ctx.generated(502);
    const headers: Field[] = [
      [':method', 'CONNECT'],
      [':protocol', protocol],
      [':scheme', req.scheme],
      [':authority', req.authority ?? be.label],
      [':path', req.path],
    ];
    let t;
    try {
      t = await be.tunnel([...headers, ...fields]);
    } catch (err) {
      ctx.warn(`Backend tunnel failed; addr=${be.label}: ${(err as Error).message}`);
      // As Debian's nghttpx: a backend that does not offer extended CONNECT is the request's
      // fault here (400), not the backend's (502).
      return ctx.generated(err instanceof NoExtendedConnectError ? 400 : 502);
    }
    if (t.status < 200 || t.status > 299) {
      client.respond(t.status, answerFields(o, t, 'h2', []), false);
      t.duplex.pipe(client.writable());
      record(t.status, 0);
      return;
    }
    const extra: Field[] = h1Client
      ? [['upgrade', protocol], ['connection', 'Upgrade'], ...(wsKey ? [['sec-websocket-accept', websocketAccept(wsKey)] as Field] : [])]
      : [];
    const status = h1Client ? 101 : 200;
    client.respond(status, [...extra, ...answerFields(o, t, 'h2', ['content-length'])], false);
    let bytes = 0;
    splice(
      client.tunnel(),
      t.duplex as unknown as Duplex,
      o.backendReadTimeout || 60000,
      (n) => (bytes += n),
      () => record(status, bytes),
    );
    return;
  }
  // An HTTP/1.1 backend. RFC 8441 section 5: the h2 side has no Sec-WebSocket-Key; the proxy
  // makes one for the HTTP/1.1 side and checks the backend's Sec-WebSocket-Accept against it.
  const key = wsKey ?? crypto.randomBytes(16).toString('base64');
  const request = head(req.method === 'CONNECT' ? 'GET' : req.method, req.path, [
    ['host', req.authority ?? be.label],
    ['sec-websocket-key', key],
    ...fields,
    ['upgrade', protocol],
    ['connection', 'Upgrade'],
  ]);
  let up;
  try {
    up = await dialHttp1(o, be, request);
  } catch (err) {
    ctx.warn(`Backend tunnel failed; addr=${be.label}: ${(err as Error).message}`);
    return ctx.generated(502);
  }
  const { socket, res, rest } = up;
  if (res.status !== 101) {
    // Not switched: relay the answer, its body raw as it follows on the socket (an HTTP/1.1 client
    // gets the backend's framing fields with it), and close.
    const framing = h1Client ? res.fields.filter(([n]) => n === 'content-length' || n === 'transfer-encoding') : [];
    client.respond(res.status, [...answerFields(o, res, 'http/1.1', ['content-length']), ...framing], false);
    const w = client.writable();
    if (rest.length) w.write(rest);
    socket.pipe(w);
    socket.resume();
    record(res.status, rest.length);
    return;
  }
  const accept = res.fields.find(([n]) => n === 'sec-websocket-accept')?.[1];
  if (protocol.toLowerCase() === 'websocket' && accept !== websocketAccept(key)) {
    socket.destroy();
    ctx.warn(`Backend tunnel failed; addr=${be.label}: Sec-WebSocket-Accept does not match`);
    return ctx.generated(502);
  }
  const drop = ['sec-websocket-accept', 'content-length'];
  if (h1Client) {
    client.respond(
      101,
      [
        ['sec-websocket-accept', websocketAccept(key)],
        ...answerFields(o, res, 'http/1.1', drop),
        ['connection', 'Upgrade'],
        ['upgrade', protocol],
      ],
      false,
    );
  } else {
    client.respond(200, answerFields(o, res, 'http/1.1', drop), false);
  }
  if (rest.length) socket.unshift(rest);
  let bytes = 0;
  const status = h1Client ? 101 : 200;
  splice(
    client.tunnel(),
    socket,
    o.backendReadTimeout || 60000,
    (n) => (bytes += n),
    () => record(status, bytes),
  );
  socket.resume();
}
