/**
 * nghttpx's HTTP/1.1 backend: a lean client over kept sockets, without Node's `http` module. Each
 * request takes an idle connection of the backend's pool (the one idle longest) or dials a new
 * one, goes out as one write of its head (its body, if any, after it, chunked when its length is
 * unknown), and its response is parsed incrementally ({@link Http1ResponseParser}) and relayed
 * with backpressure both ways. Timeouts as the reference: connect (another backend may be tried),
 * read and write (504 before the head), keep-alive (idle pooled connections closed).
 */
import net = require('net');
import { Readable } from 'stream';
import { tls as lazyTls } from '../../lazy';
import { ErrorCode } from '../../protocol/errors';
import { DEFAULT_HTTP1_LIMITS, Http1Limits, Http1ResponseHead } from '../../transport/http1';
import { Http1HeadMemo, Http1ResponseParser } from '../../transport/http1-response';
import { writeChunk } from '../../transport/http1-body';
import type { BackendExchange, BackendLimits, BackendResponse } from './backends';
import { BaseExchange, failure } from './exchange';
import { type HeadLoad, headLoad } from './header-limits';
import { http1TrailerSection } from './headers';
import type { BackendAddress } from './options';
import type { BackendRequest, BodySink, BodySource, Field } from './request';
import { RequestHeads } from './request-heads';
import { backendTlsConnectOptions, type BackendTlsOptions } from './tls';
import { Watched, WatchQueue, watchWrites } from './timeouts';
import { copyRead, threadReadBuffer } from '../../transport/socket-reads';
import { SocketWriter } from '../../transport/socket-writes';

/**
 * nghttpx's --backend-response-buffer default: bytes a relay may hold (sent on, not yet taken by
 * the client) before the backend socket is paused (BackendLimits.responseBuffer).
 */
const RELAY_HOLD = 131072;

function timeoutError(what: string): Error {
  return Object.assign(new Error(what), { code: 'ETIMEDOUT' });
}

function hasField(fields: Field[], name: string): boolean {
  for (let i = 0; i < fields.length; i++) if (fields[i][0] === name) return true;
  return false;
}

/** No fields (an exchange's until its head came; read only). */
const NO_FIELDS: Field[] = [];

/**
 * One request on a connection, and its response (one object for both: nothing more is made per
 * request for the answer). The exchange side: its answer (exchange.ts: to forwarding's listener,
 * or a Promise made only when `response` is asked), its body going out, and how it ends. The
 * response side, once the head came: the head, and the body as a {@link BodySource} (the relay's
 * fast path) or, made on first use, a Readable; body bytes that arrive before either is taken
 * wait here.
 */
class H1Exchange extends BaseExchange implements BackendResponse, BodySource {
  conn: Http1Connection | undefined;
  /** The final head came (this is the response from then on). */
  answered = false;
  /** The request body is all written (or there is none). */
  sent: boolean;
  aborted = false;
  private retried = false;
  status = 0;
  fields: Field[] = NO_FIELDS;
  /** The head's size for the header-field limits (forwarding checks it). */
  head: HeadLoad | undefined = undefined;
  /** The connection that answered (its reads pause while the relay holds too much). */
  private answeredOn: Http1Connection | undefined = undefined;
  /** --backend-response-buffer: the backend is not read while this many bytes are held. */
  private bound = 0;
  private sink: BodySink | undefined = undefined;
  private queue: Buffer[] | undefined = undefined;
  /** 'end' or an error code once the body is over (delivered when a sink comes). */
  private over: 'end' | number | undefined = undefined;
  private trailerFields: Field[] | undefined = undefined;
  /** Bytes passed to the sink not yet released. */
  private held = 0;
  private readable: Readable | undefined = undefined;

  constructor(
    readonly backend: Http1Pool,
    readonly req: BackendRequest,
  ) {
    super();
    this.sent = !req.body;
  }

  /** The final head came on `conn`. */
  answer(parsed: Http1ResponseHead, conn: Http1Connection, bound: number, load: HeadLoad): void {
    this.answered = true;
    this.status = parsed.status;
    this.fields = parsed.fields;
    this.head = load;
    this.answeredOn = conn;
    this.bound = bound;
    this.settle(this);
  }

  /**
   * The exchange failed on `conn`. A reused connection that ended before any answer to a request
   * without a body (the backend closed it as we reused it): nothing reached the backend, so the
   * request goes once more on a new connection.
   */
  fail(err: Error, phase: 'connect' | 'read' | 'request', reused: boolean): void {
    this.conn = undefined;
    if (this.answered) {
      this.close(ErrorCode.INTERNAL_ERROR);
      return;
    }
    if (reused && phase === 'request' && !this.req.body && !this.retried && !this.aborted) {
      this.retried = true;
      this.backend.start(this, true);
      return;
    }
    this.settle(failure(err, phase));
  }

  abort(): void {
    this.aborted = true;
    const c = this.conn;
    if (c && c.exchange === this) c.destroy();
    else if (!this.answered) this.settle(new Error('aborted'));
  }

  /**
   * @internal A body chunk from the parser: octets `start` to `end` of a read buffer that may be
   * reused, so copied here (copyRead: small copies share slabs).
   */
  push(buf: Buffer, start: number, end: number): void {
    if (end === start) return;
    const chunk = copyRead(buf, start, end);
    if (this.sink) this.deliver(chunk);
    else (this.queue ??= []).push(chunk);
  }

  private deliver(chunk: Buffer): void {
    this.held += chunk.length;
    // nghttpx: "response_buf_.rleft() >= response_buffer_size" stops reading the backend.
    if (this.held >= this.bound) this.answeredOn!.pauseFor(this);
    this.sink!.data(chunk);
  }

  /** @internal The body ended (trailers, if any) or was cut short (`code`). */
  close(result: 'end' | number, trailers?: Field[]): void {
    if (this.over !== undefined) return;
    this.over = result;
    this.trailerFields = trailers;
    const sink = this.sink;
    if (!sink) return;
    if (result === 'end') sink.end();
    else sink.abort(result);
  }

  relayBody(sink: BodySink): void {
    if (this.sink) throw new Error('the body is already being read');
    this.sink = sink;
    const q = this.queue;
    this.queue = undefined;
    if (q) for (const c of q) this.deliver(c);
    if (this.over === 'end') sink.end();
    else if (this.over !== undefined) sink.abort(this.over);
  }

  release(n: number): void {
    this.held -= n;
    if (this.held < this.bound) this.answeredOn!.resumeFor(this);
  }

  /** The body as a Readable, made on first use (then `source` must not be used). */
  get body(): Readable {
    if (this.readable) return this.readable;
    let unreleased = 0;
    const r = new Readable({
      read: () => {
        const n = unreleased;
        unreleased = 0;
        if (n) this.release(n);
      },
    });
    this.readable = r;
    this.relayBody({
      data: (c) => {
        unreleased += c.length;
        r.push(c);
      },
      end: () => r.push(null),
      abort: () => r.destroy(new Error('the backend closed the connection mid-body')),
    });
    return r;
  }

  get source(): BodySource {
    return this;
  }

  trailers(): Field[] | undefined {
    return this.trailerFields;
  }
}

/**
 * The keep-alive watch of a connection (`--backend-keep-alive-timeout`): in its pool's idle queue
 * for the connection's life, waiting while the connection is idle; each request it carries counts
 * as progress, so a busy connection is never re-queued (no clock read or list move per request).
 */
class IdleWatch extends Watched {
  constructor(private readonly conn: Http1Connection) {
    super();
  }

  /** @internal Watched: requests the connection took. */
  progress(): number {
    return this.conn.requests;
  }

  /** @internal Watched: idle in the pool. */
  waiting(): boolean {
    return this.conn.idleNow;
  }

  /** @internal Watched: idle for the keep-alive timeout. */
  expire(): void {
    this.conn.destroy();
  }
}

/**
 * A kept connection to the backend: one request at a time. Its two timeouts are watches of its
 * pool's queues (timeouts.ts), not socket timers re-armed per request: read (the connection
 * itself: no byte moved while a request is out) and keep-alive ({@link IdleWatch}: idle in the
 * pool). Both watches stay queued from connect to close; what the connection is doing decides
 * which of them waits, so a request costs no queue move and no clock read.
 */
class Http1Connection extends Watched {
  readonly socket: net.Socket;
  /** The socket's writes (a request head straight to the handle while nothing is queued). */
  private readonly out: SocketWriter;
  private readonly parser: Http1ResponseParser;
  exchange: H1Exchange | undefined;
  /** Requests this connection carried before the current one. */
  private uses = 0;
  private connected = false;
  private closed = false;
  private pausedBy: H1Exchange | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  /** The request body being written (its 'data' paused while the socket is full). */
  private body: Readable | undefined;
  private chunked = false;
  /** Reads and writes on the socket, counted for the read timeout. */
  private moved = 0;
  /** @internal Requests this connection took (the keep-alive watch's progress). */
  requests = 0;
  /** The keep-alive watch (when the pool has a keep-alive timeout). */
  private idleWatch: IdleWatch | undefined;

  constructor(
    private readonly backend: Http1Pool,
    limits: Http1Limits,
  ) {
    super();
    const b = backend;
    const a = b.address;
    this.parser = new Http1ResponseParser(
      {
        head: (h) => this.onHead(h),
        data: (c) => this.exchange?.push(c, 0, c.length),
        dataRange: (buf, start, end) => this.exchange?.push(buf, start, end),
        end: (trailers, keepAlive) => this.onEnd(trailers, keepAlive),
      },
      limits,
      b.headMemo,
    );
    const t = b.tlsOptions;
    const where =
      a.unixPath !== undefined ? { path: a.unixPath } : { host: a.host, port: a.port ?? (a.tls ? 443 : 80), lookup: b.limits.lookup };
    this.socket = a.tls
      ? lazyTls().connect({
          ...where,
          ...backendTlsConnectOptions(t),
          servername: t.servername,
          ALPNProtocols: ['http/1.1'],
          // Resume the last session (as Node's https agent did): no full handshake per new connection.
          session: b.tlsSession,
        })
      : net.connect({
          ...(where as net.NetConnectOpts),
          // Reads land in the thread's shared read buffer (socket-reads.ts), handed to the
          // parser at once (no Readable push, 'data' event or fresh buffer per read); the body
          // bytes that must outlive the read are copied (H1Exchange.push).
          onread: { buffer: threadReadBuffer(), callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer) },
        } as net.NetConnectOpts);
    const s = this.socket;
    this.out = new SocketWriter(s);
    if (a.tls)
      s.on('session', (session: Buffer) => {
        b.tlsSession = session;
      });
    s.setNoDelay(true);
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      this.fail(timeoutError(`connect to ${b.label} timed out`), 'connect');
    }, b.limits.connectTimeout);
    s.once(a.tls ? 'secureConnect' : 'connect', () => this.onConnect());
    if (a.tls) s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', (err: Error) => this.fail(err, this.connected ? 'request' : 'connect'));
    s.once('end', () => this.onEof());
    s.once('close', () => this.onClose());
    s.on('drain', () => this.body?.resume());
    // --backend-write-timeout: request bytes the backend does not take for this long: 504.
    watchWrites(s, b.limits.writeTimeout, () => this.fail(timeoutError(`backend write timeout after ${b.limits.writeTimeout} ms`), 'read'));
  }

  /** Whether a pooled connection may take a request. */
  get usable(): boolean {
    return this.connected && !this.closed && !this.exchange && this.parser.idle && !this.socket.destroyed;
  }

  /** @internal Whether the connection waits in the pool (the keep-alive watch counts then). */
  get idleNow(): boolean {
    return this.connected && !this.closed && this.exchange === undefined;
  }

  /** Send `x` on this connection (now if connected, else once the connect succeeds). */
  send(x: H1Exchange): void {
    this.exchange = x;
    x.conn = this;
    this.requests++;
    if (this.connected) this.write(x);
  }

  private onConnect(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.connected = true;
    // --backend-read-timeout: no byte from the backend for this long while a request is out
    // (request bytes going out count too, as they did with Node's socket timeout);
    // --backend-keep-alive-timeout: idle in the pool for this long. Watched until the close.
    this.backend.readWatches?.add(this);
    const idle = this.backend.idleWatches;
    if (idle) idle.add((this.idleWatch = new IdleWatch(this)));
    const x = this.exchange;
    if (x) this.write(x);
  }

  private write(x: H1Exchange): void {
    const req = x.req;
    const s = this.socket;
    const body = req.body;
    this.chunked = !!body && !hasField(req.fields, 'content-length');
    this.parser.expect(req.method);
    // A request going out is progress for the read timeout (the watch may have last looked while idle).
    this.moved++;
    const head = this.backend.requestHeads.head(
      req.method,
      req.requestTarget ?? req.path,
      req.authority ?? this.backend.label,
      req.fields,
      this.chunked,
    );
    if (!body) {
      this.out.writeLatin1(head);
      return;
    }
    // The head and the first body bytes leave in one write where the body has them at hand
    // (its flowing starts on the next tick, the uncork after it).
    s.cork();
    s.write(head, 'latin1');
    process.nextTick(() => s.uncork());
    // The body is read only now that a connection took the request, so that a failed connect
    // leaves it unread for another backend.
    this.body = body;
    const chunked = this.chunked;
    body.on('data', (c: Buffer) => {
      if (this.exchange !== x || c.length === 0) return;
      this.moved++;
      if (!(chunked ? writeChunk(s, c) : s.write(c))) body.pause();
    });
    body.once('end', () => {
      if (this.exchange !== x) return;
      // The request's trailers (an HTTP/2 client's trailing HEADERS, an HTTP/1.1 chunked
      // request's trailer section) end a chunked body, as the reference sends them.
      if (chunked) s.write(http1TrailerSection(req.trailers?.(), false), 'latin1');
      x.sent = true;
      this.body = undefined;
    });
    body.once('error', (err: Error) => {
      if (this.exchange === x) this.fail(err, 'request');
    });
  }

  /** net's `onread`: `n` bytes in the shared read buffer (pausing is the socket's own pause()). */
  private onRead(n: number, buf: Buffer): boolean {
    this.take(buf, n);
    return true;
  }

  /** A TLS socket's 'data'. */
  private onData(d: Buffer): void {
    this.take(d, d.length);
  }

  /** The first `n` bytes of `buf` came from the backend. */
  private take(buf: Buffer, n: number): void {
    this.moved++;
    try {
      this.parser.feed(buf, n);
    } catch (err) {
      // A malformed response (or bytes with no request out): nothing more on this connection.
      this.fail(err as Error, 'request');
    }
  }

  private onHead(h: Http1ResponseHead): void {
    const x = this.exchange;
    if (!x) return;
    x.answer(h, this, this.backend.limits.responseBuffer ?? RELAY_HOLD, this.backend.loadOf(h));
  }

  private onEnd(trailers: [string, string][] | undefined, keepAlive: boolean): void {
    const x = this.exchange;
    const res = x?.answered ? x : undefined;
    if (this.pausedBy) {
      this.pausedBy = undefined;
      this.socket.resume();
    }
    // The answer is whole; a request body still going out stops here (the backend answered
    // without it), and the connection with it.
    const reusable = keepAlive && !!x && x.sent && !x.aborted;
    if (x && !x.sent) {
      const b = this.body;
      this.body = undefined;
      b?.resume();
    }
    this.exchange = undefined;
    if (x) x.conn = undefined;
    res?.close('end', trailers);
    if (!reusable) return this.destroy();
    this.uses++;
    // Kept connections stay referenced (no ref()/unref() pair per request): the engine closes
    // its pools once its frontends have drained, so an idle one never holds a process up.
    this.backend.idle(this);
  }

  /** @internal The relay holds too much of `res`'s body: stop reading. */
  pauseFor(res: H1Exchange): void {
    if (this.exchange !== res || this.pausedBy) return;
    this.pausedBy = res;
    this.socket.pause();
  }

  /** @internal The relay took what it held of `res`'s body: read on. */
  resumeFor(res: H1Exchange): void {
    if (this.pausedBy !== res) return;
    this.pausedBy = undefined;
    this.socket.resume();
  }

  /** @internal Watched: bytes moved (a plain deadline while idle: nothing moves then). */
  progress(): number {
    return this.moved;
  }

  /**
   * @internal Watched: a request out whose answer is not held up by the relay (a client that
   * reads slowly is its frontend's write timeout's matter).
   */
  waiting(): boolean {
    return this.exchange !== undefined && !this.closed && this.pausedBy === undefined;
  }

  /** @internal Watched: the read timeout. */
  expire(): void {
    if (!this.exchange) return;
    const ms = this.backend.limits.readTimeout;
    this.fail(timeoutError(`backend read timeout after ${ms} ms`), 'read');
  }

  /** The backend ended its side. */
  private onEof(): void {
    try {
      this.parser.eof();
    } catch (err) {
      this.fail(err as Error, 'request');
      return;
    }
    this.destroy();
  }

  private onClose(): void {
    this.closed = true;
    this.watchQueue?.delete(this);
    this.idleWatch?.watchQueue?.delete(this.idleWatch);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    this.backend.forget(this);
    const x = this.exchange;
    if (x) {
      this.exchange = undefined;
      x.fail(
        new Error(this.connected ? 'the backend closed the connection' : `connect to ${this.backend.label} failed`),
        this.connected ? 'request' : 'connect',
        this.uses > 0,
      );
    }
  }

  /** Fail the request in progress (if any) and end the connection. */
  private fail(err: Error, phase: 'connect' | 'read' | 'request'): void {
    const x = this.exchange;
    this.exchange = undefined;
    this.destroy();
    x?.fail(err, phase, this.uses > 0 && phase === 'request' && !this.parser.answered);
  }

  /** Close the connection now. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** The kept connections of one HTTP/1.1 backend address, and the requests sent on them. */
export class Http1Pool {
  readonly label: string;
  private readonly idleConnections: Http1Connection[] = [];
  private readonly all = new Set<Http1Connection>();
  private readonly headLimits: Http1Limits;
  /** @internal The last TLS session a connection got (TLS backends), offered by the next one. */
  tlsSession: Buffer | undefined;
  /** @internal --backend-read-timeout of every connection: one timer, not a socket timer per request. */
  readonly readWatches: WatchQueue | undefined;
  /** @internal --backend-keep-alive-timeout of idle connections. */
  readonly idleWatches: WatchQueue | undefined;
  /**
   * @internal The last response head of any of this backend's connections: a head they all repeat
   * is parsed once, and is the same object (strings included) on each, so what compares heads
   * downstream (the frontend session's caches) compares pointers.
   */
  readonly headMemo = new Http1HeadMemo();
  /** @internal The request heads written to this backend (a repeated head is the same string, built once). */
  readonly requestHeads = new RequestHeads();
  /** The last head measured for the header-field limits, and its load. */
  private measured: Http1ResponseHead | undefined;
  private load: HeadLoad | undefined;

  constructor(
    readonly address: BackendAddress,
    readonly tlsOptions: BackendTlsOptions,
    readonly limits: BackendLimits,
    label: string,
    maxHeaderSize: number,
  ) {
    this.label = label;
    // Counted fields are judged by forwarding (--max-response-header-fields, as the reference):
    // the parser only bounds the head's bytes.
    this.headLimits = { ...DEFAULT_HTTP1_LIMITS, maxHeadSize: maxHeaderSize, maxFields: maxHeaderSize };
    this.readWatches = limits.readTimeout > 0 ? new WatchQueue(limits.readTimeout) : undefined;
    this.idleWatches = limits.keepAliveTimeout > 0 ? new WatchQueue(limits.keepAliveTimeout) : undefined;
  }

  /** @internal The header-field load of `h` (a head repeated is the same object: measured once). */
  loadOf(h: Http1ResponseHead): HeadLoad {
    if (h !== this.measured) {
      this.measured = h;
      this.load = headLoad(h.fields);
    }
    return this.load!;
  }

  /** Send `req` on an idle connection or a new one. */
  request(req: BackendRequest): BackendExchange {
    const x = new H1Exchange(this, req);
    this.start(x, false);
    return x;
  }

  /** @internal Put `x` on a connection (`fresh`: a new one, never a pooled one). */
  start(x: H1Exchange, fresh: boolean): void {
    let c: Http1Connection | undefined;
    if (!fresh) {
      // The connection idle longest, not the one just freed. The backend's event loop (epoll,
      // level-triggered, as libuv's and most servers' are) keeps a socket it has just served on
      // its ready list until its next wait; a request sent on that socket at once is read there
      // ahead of requests sent earlier on other sockets. Taking the last freed connection did
      // that to a quarter of the requests: a batch one client sent together came back split over
      // several backend turns, so the frontend wrote each client smaller pieces, and every
      // process woke and made syscalls more often per request (h2load -c10 -m10 through an
      // HTTP/1.1 backend: the backend read 26% of requests ahead of an older one, 16% now;
      // h2load's syscalls per request 1.66 -> 1.21). Idle connections still close after
      // --backend-keep-alive-timeout.
      const idle = this.idleConnections;
      while (idle.length) {
        const cand = idle.shift()!;
        if (cand.usable) {
          c = cand;
          break;
        }
      }
    }
    if (!c) {
      c = new Http1Connection(this, this.headLimits);
      this.all.add(c);
    }
    c.send(x);
  }

  /** @internal A connection finished a response and may carry another. */
  idle(c: Http1Connection): void {
    this.idleConnections.push(c);
  }

  /** @internal A connection closed. */
  forget(c: Http1Connection): void {
    this.all.delete(c);
    const i = this.idleConnections.indexOf(c);
    if (i >= 0) this.idleConnections.splice(i, 1);
  }

  /** Close every connection. */
  close(): void {
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.idleConnections.length = 0;
    this.readWatches?.close();
    this.idleWatches?.close();
  }
}
