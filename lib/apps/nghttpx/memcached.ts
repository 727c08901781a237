/**
 * A small memcached client for nghttpx's shared TLS state (`--tls-session-cache-memcached`,
 * `--tls-ticket-key-memcached`): one connection (TCP, or TLS with `;tls`), requests answered in
 * order, the text protocol's `get` and `set` only. A request that cannot be sent or answered
 * fails with {@link MemcachedNetworkError}; the next request connects again.
 */
import net = require('net');
import tls = require('tls');
import { UsageError } from '../common/units';

/** `<HOST>,<PORT>[;tls]`, as the memcached options take it. */
export interface MemcachedAddress {
  host: string;
  port: number;
  tls: boolean;
}

/** Parse a memcached option's value; errors read as the reference's ("Invalid host, port", "Port is invalid"). */
export function parseMemcachedAddress(v: string, option: string): MemcachedAddress {
  const [hostPort, ...params] = v.split(';');
  let secure = false;
  for (const p of params) {
    if (p === 'tls') secure = true;
    else if (p !== '') throw new UsageError(`${option}: ${p}: unknown keyword`);
  }
  const comma = hostPort.lastIndexOf(',');
  if (comma <= 0) throw new UsageError(`${option}: Invalid host, port: ${hostPort}`);
  const portText = hostPort.slice(comma + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`${option}: Port is invalid: ${portText}`);
  return { host: hostPort.slice(0, comma), port, tls: secure };
}

/** How to reach one memcached server. */
export interface MemcachedClientOptions {
  address: MemcachedAddress;
  /** `--*-memcached-address-family`: auto, IPv4 or IPv6. */
  family: string;
  /** With `;tls`: the client certificate and key (`--*-memcached-cert-file` / `-private-key-file`), and the server check. */
  cert?: Buffer;
  key?: Buffer;
  /** CA certificates the server's certificate is checked against (Node's defaults when absent). */
  ca?: Buffer;
  /** `--insecure`: do not check the server's certificate (the reference checks it unless -k). */
  insecure?: boolean;
  /** How long a request may wait for its answer, connecting included (ms). */
  timeoutMs?: number;
}

/** The connection failed, closed, or did not answer in time (the reference's EXT_NETWORK_ERROR). */
export class MemcachedNetworkError extends Error {}

/** One request waiting for its answer: `parse` consumes an answer from the buffer, or says it is not all there. */
interface Pending {
  parse(buf: Buffer): { consumed: number; value: Buffer | boolean | undefined } | undefined;
  resolve(value: Buffer | boolean | undefined): void;
  reject(err: Error): void;
}

const CRLF = Buffer.from('\r\n');

/** The end of the line starting at `from` (index of its CR), or -1. */
function lineEnd(buf: Buffer, from = 0): number {
  return buf.indexOf(CRLF, from);
}

/** An error line of the text protocol (ERROR, CLIENT_ERROR ..., SERVER_ERROR ...). */
function protocolError(line: string): Error | undefined {
  return /^(ERROR|CLIENT_ERROR|SERVER_ERROR)\b/.test(line) ? new Error(`memcached: ${line}`) : undefined;
}

/** A memcached text-protocol client over one connection. */
export class MemcachedClient {
  private socket: net.Socket | undefined;
  private queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(private readonly o: MemcachedClientOptions) {}

  /** The value stored under `key`, or undefined when there is none. */
  async get(key: string): Promise<Buffer | undefined> {
    const v = await this.request(Buffer.from(`get ${key}\r\n`), (buf) => {
      const end = lineEnd(buf);
      if (end < 0) return undefined;
      const line = buf.toString('latin1', 0, end);
      if (line === 'END') return { consumed: end + 2, value: undefined };
      const err = protocolError(line);
      if (err) throw err;
      const m = /^VALUE \S+ \d+ (\d+)/.exec(line);
      if (!m) throw new Error(`memcached: unexpected answer: ${line.slice(0, 80)}`);
      const start = end + 2;
      const size = Number(m[1]);
      // <data>\r\nEND\r\n
      if (buf.length < start + size + 7) return undefined;
      return { consumed: start + size + 7, value: Buffer.from(buf.subarray(start, start + size)) };
    });
    return v as Buffer | undefined;
  }

  /** Store `value` under `key` for `expirySeconds`; resolves whether the server stored it. */
  async set(key: string, value: Buffer, expirySeconds: number): Promise<boolean> {
    const head = Buffer.from(`set ${key} 0 ${expirySeconds} ${value.length}\r\n`);
    const v = await this.request(Buffer.concat([head, value, CRLF]), (buf) => {
      const end = lineEnd(buf);
      if (end < 0) return undefined;
      const line = buf.toString('latin1', 0, end);
      const err = protocolError(line);
      if (err) throw err;
      return { consumed: end + 2, value: line === 'STORED' };
    });
    return v === true;
  }

  /** Close the connection; requests still waiting fail. */
  close(): void {
    this.closed = true;
    this.drop(new MemcachedNetworkError('memcached client closed'));
  }

  private request(bytes: Buffer, parse: Pending['parse']): Promise<Buffer | boolean | undefined> {
    if (this.closed) return Promise.reject(new MemcachedNetworkError('memcached client closed'));
    return new Promise((resolve, reject) => {
      const timeoutMs = this.o.timeoutMs ?? 5000;
      const timer = setTimeout(() => this.drop(new MemcachedNetworkError(`memcached: no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      this.queue.push({
        parse,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      // Held open while answers are awaited; an idle connection does not keep the process alive.
      const socket = this.connection();
      socket.ref();
      socket.write(bytes);
    });
  }

  /** The open connection, or a new one (its writes are queued by Node until it connects). */
  private connection(): net.Socket {
    if (this.socket) return this.socket;
    const a = this.o.address;
    // auto: whatever the name resolves to (Node tries each address); IPv4/IPv6: that family only.
    const family = this.o.family === 'IPv4' ? 4 : this.o.family === 'IPv6' ? 6 : undefined;
    const socket = a.tls
      ? tls.connect({
          host: a.host,
          port: a.port,
          // Handed on to net.Socket#connect (tls.ConnectionOptions does not list it).
          ...({ family } as object),
          servername: net.isIP(a.host) ? undefined : a.host,
          cert: this.o.cert,
          key: this.o.key,
          ca: this.o.ca ? [...tls.rootCertificates, this.o.ca.toString()] : undefined,
          rejectUnauthorized: !this.o.insecure,
        })
      : net.connect({ host: a.host, port: a.port, family });
    socket.setNoDelay(true);
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.received(socket, chunk));
    socket.on('error', (err) => this.fail(socket, new MemcachedNetworkError(`memcached: ${err.message}`)));
    socket.on('close', () => this.fail(socket, new MemcachedNetworkError('memcached: connection closed')));
    return socket;
  }

  private received(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.queue.length) {
      let r: ReturnType<Pending['parse']>;
      try {
        r = this.queue[0].parse(this.buf);
      } catch (err) {
        // An answer we cannot read leaves the stream out of step: start over.
        this.drop(err as Error);
        return;
      }
      if (!r) return;
      this.buf = this.buf.subarray(r.consumed);
      this.queue.shift()?.resolve(r.value);
    }
    if (this.queue.length === 0) socket.unref();
    if (this.buf.length) this.drop(new Error('memcached: answer to no request'));
  }

  private fail(socket: net.Socket, err: Error): void {
    if (socket === this.socket) this.drop(err);
  }

  /** Give up the connection: every waiting request fails with `err`. */
  private drop(err: Error): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(err);
  }
}
