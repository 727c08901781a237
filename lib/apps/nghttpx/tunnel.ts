/**
 * CONNECT on nghttpx's backend side: a tunnel through the next proxy for a client's CONNECT
 * (forward proxy mode), and `--backend-http-proxy-uri`'s tunnel that carries an h2 backend
 * connection through an HTTP proxy (RFC 9110 section 9.3.6).
 */
import http = require('http');
import https = require('https');
import net = require('net');
import tls = require('tls');
import type { Readable, Writable } from 'stream';
import type { Http2Connection } from '../../transport/connection';
import type { Http2Stream } from '../../transport/stream';
import { fieldsFromRaw } from './backends';
import type { BackendAddress, ProxyUri } from './config';
import { http1Name } from './headers';
import type { Field, ProxyRequest } from './request';
import { backendTlsConnectOptions, type BackendTlsOptions } from './tls';

/** A backend's answer to CONNECT: a 2xx comes with the tunnel's two directions. */
export interface TunnelResponse {
  status: number;
  fields: Field[];
  /** Bytes from the far end (2xx), or the error body. */
  readable: Readable;
  /** Bytes to the far end (2xx only). */
  writable?: Writable;
}

/**
 * Open a TCP connection to `host:port` through an HTTP proxy with CONNECT, with
 * `Proxy-Authorization: Basic` when the URI had `user:pass@`. Resolves with the socket once the
 * proxy answered 2xx (the bytes after its head are pushed back).
 */
export function connectThroughProxy(proxy: ProxyUri, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port });
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`CONNECT through ${proxy.host}:${proxy.port} timed out`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
      if (proxy.userinfo !== undefined) head += `Proxy-Authorization: Basic ${Buffer.from(proxy.userinfo).toString('base64')}\r\n`;
      socket.write(`${head}\r\n`);
    });
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 65536) fail(new Error('the proxy sent an over-long answer to CONNECT'));
        return;
      }
      socket.off('data', onData);
      socket.pause();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buf.toString('latin1', 0, end));
      if (!status || status[1][0] !== '2')
        return fail(new Error(`the proxy ${proxy.host}:${proxy.port} refused CONNECT ${authority}: ${status ? status[1] : 'not HTTP'}`));
      const rest = buf.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      socket.off('error', fail);
      socket.setTimeout(0);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** TLS over an established socket (a proxy tunnel), offering `alpn`. */
export function tlsOver(socket: net.Socket, servername: string | undefined, o: BackendTlsOptions, alpn: string[]): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tls.connect({
      socket,
      servername,
      ALPNProtocols: alpn,
      ...backendTlsConnectOptions(o),
    });
    t.once('secureConnect', () => {
      t.off('error', reject);
      resolve(t);
    });
    t.once('error', reject);
  });
}

/** CONNECT to an HTTP/1.1 backend (the next proxy). */
export function http1Connect(
  a: BackendAddress,
  o: BackendTlsOptions,
  req: ProxyRequest,
): { response: Promise<TunnelResponse>; abort(): void } {
  // Host first, as the reference writes it.
  const headers: Record<string, string | string[]> = { Host: req.authority ?? '' };
  for (const [n, v] of req.fields) {
    const k = http1Name(n);
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const creq = (a.tls ? https : http).request({
    host: a.unixPath === undefined ? a.host : undefined,
    port: a.port,
    socketPath: a.unixPath,
    method: 'CONNECT',
    path: req.authority,
    headers,
    agent: false,
    setHost: false,
    ...(a.tls ? { ...backendTlsConnectOptions(o), servername: o.servername } : {}),
  });
  // Node's client adds `Connection: close` (no agent keeps the socket); the reference sends no
  // Connection field on CONNECT, and removing the header before the head is written leaves none.
  creq.removeHeader('connection');
  const response = new Promise<TunnelResponse>((resolve, reject) => {
    creq.once('connect', (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      socket.on('error', () => undefined);
      if (head.length) socket.unshift(head);
      const status = res.statusCode ?? 502;
      const ok = status >= 200 && status < 300;
      resolve({ status, fields: fieldsFromRaw(res.rawHeaders), readable: ok ? socket : res, writable: ok ? socket : undefined });
      if (!ok) socket.destroy();
    });
    creq.once('error', reject);
  });
  response.catch(() => undefined);
  creq.end();
  return { response, abort: () => creq.destroy() };
}

/** CONNECT as an HTTP/2 stream (RFC 9113 section 8.5) on an h2 backend connection. */
export function h2Connect(conn: Http2Connection, req: ProxyRequest): { response: Promise<TunnelResponse>; stream: Http2Stream } {
  const stream = conn.request([[':method', 'CONNECT'], [':authority', req.authority ?? ''], ...req.fields], { endStream: false });
  const response = new Promise<TunnelResponse>((resolve, reject) => {
    stream.once('response', (h: Field[]) => {
      const status = Number(h.find((f) => f[0] === ':status')?.[1] ?? 502);
      const ok = status >= 200 && status < 300;
      resolve({
        status,
        fields: h.filter((f) => !f[0].startsWith(':')).map(([n, v]) => [n, v]),
        readable: stream.body,
        writable: ok ? stream.writableBody() : undefined,
      });
    });
    stream.once('close', (code: number) => reject(new Error(`backend stream closed (error code ${code}) before a response`)));
  });
  response.catch(() => undefined);
  return { response, stream };
}
