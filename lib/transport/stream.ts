/**
 * One HTTP/2 stream as byte streams: the peer's body is a Readable whose reads release flow-control
 * window (a slow reader stops the peer), our body is a Writable whose writes wait for window and
 * for the socket. The connection (connection.ts) owns the session and feeds these objects.
 */
import { EventEmitter } from 'events';
import { Readable, Writable } from 'stream';
import type { HeaderField } from '../protocol/frame/types';
import { ErrorCode, errorCodeName } from '../protocol/errors';

/** The small part of the connection a stream calls back into (implemented by Http2Connection). */
export interface StreamOwner {
  /** Release `n` bytes of receive window on the stream (and connection). */
  consume(streamId: number, n: number): void;
  /** Queue DATA on the stream (END_STREAM with `endStream`). */
  sendData(streamId: number, data: Buffer, endStream: boolean): void;
  /** End our side of the stream (an empty DATA with END_STREAM, or none if already ended). */
  endStream(streamId: number): void;
  /** Send trailers (HEADERS with END_STREAM). */
  sendTrailers(streamId: number, headers: HeaderField[]): void;
  /** Send the response header list. */
  respond(streamId: number, headers: HeaderField[], endStream: boolean): void;
  /** Reset the stream with RST_STREAM(errorCode). */
  reset(streamId: number, errorCode: number): void;
  /** Promise a pushed stream on `parentStreamId` with these request headers. */
  push(parentStreamId: number, requestHeaders: HeaderField[]): Http2Stream;
  /** Call `cb` once the stream's queued outbound bytes are at or below the low-water mark (or with an error if the stream closed). */
  whenWritable(streamId: number, cb: (err?: Error | null) => void): void;
  /** Whether the stream's queued outbound bytes are at or below the low-water mark now (what `whenWritable` would answer at once). */
  belowLowWater(streamId: number): boolean;
}

/** The error a stream's body and writers get when the stream was reset or the connection ended. */
export class StreamClosedError extends Error {
  constructor(
    readonly streamId: number,
    readonly errorCode: number,
    message?: string,
  ) {
    super(message ?? `stream ${streamId} closed with ${errorCodeName(errorCode)}`);
    this.name = 'StreamClosedError';
  }
}

/**
 * A body stream whose `'error'` reaches listeners only. A reset (by either side) or the end of the
 * connection is the peer's normal behaviour, not a bug: it must never crash a process that did
 * not ask to hear about it. Node's http2 takes the same line (a CANCEL'd stream closes without
 * 'error'); here every code is handled alike and the decision is made once, when the event fires.
 * Unheard, the error still sets `errored`, so `stream.finished()`, `pipeline()` and `for await`
 * attached later see it; `'aborted'` and `'close'` are emitted either way.
 */
function quietErrors<T extends Readable | Writable>(s: T): T {
  const emit = s.emit;
  s.emit = function (this: T, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) return false;
    return emit.call(this, event, ...args);
  } as T['emit'];
  return s;
}

/**
 * The header list of a stream that has none yet (frozen, shared: two empty arrays fewer per
 * request; they are replaced, never added to).
 */
const NO_FIELDS = Object.freeze([]) as unknown as HeaderField[];

/** The empty receive queue every stream starts with (never pushed to: replaced on first DATA). */
const NO_DATA: Buffer[] = [];

/**
 * A direct reader of a stream's body (see {@link Http2Stream.relayBody}): a relay that passes DATA
 * on without a Readable. Bytes it is given keep their flow-control window until it calls
 * {@link Http2Stream.release}, so a slow receiver on the far side still stops the peer.
 */
export interface BodySink {
  /** A DATA payload (its window is held until `release`). */
  data(chunk: Buffer): void;
  /** The peer ended the body (its trailers, if any, are in `trailers`). */
  end(): void;
  /** The stream closed before the body ended (a reset by either side, the connection's end). */
  abort(errorCode: number): void;
}

/** What a stream is, seen from our side. */
export type StreamKind = 'request' | 'pushed';

/**
 * One object that hears a stream's events as calls, set as {@link Http2Stream.observer}: no
 * listener table and no closure per stream (a proxy's per-request object implements it). Each
 * method runs just before the event of the same meaning is emitted to listeners.
 */
export interface StreamObserver {
  /** 'response': the final response header list arrived (client side). */
  responded?(stream: Http2Stream, headers: HeaderField[]): void;
  /** 'push': the peer promised `pushed` on this stream (client side). */
  promised?(stream: Http2Stream, pushed: Http2Stream): void;
  /** 'close': the stream is fully closed (`errorCode` 0 for a clean close). */
  closed?(stream: Http2Stream, errorCode: number): void;
}

/** An Http2Stream has every EventEmitter method (see the class). */
export interface Http2Stream extends EventEmitter {}
/**
 * Events: 'response' (headers: final response received; client), 'informational' (headers: 1xx),
 * 'trailers' (headers), 'push' (stream: a promised stream, client), 'end' (peer sent END_STREAM),
 * 'aborted' (errorCode: the stream closed before both sides ended: reset by either side, or the
 * connection ended), 'close' (errorCode: the stream is fully closed, any cause; 0 for a clean
 * close). No event here is 'error': a stream's end, clean or not, is told by 'aborted'/'close'.
 *
 * The body Readable and Writable emit 'error' only to listeners: a body cut short by a reset
 * emits 'aborted' (errorCode) and 'close', and 'error' (a {@link StreamClosedError}) when someone
 * listens, as `pipeline()`, `stream.finished()` and `for await` do. Commands that send
 * (`respond`, `sendData`, `end`, `writableBody` writes) on a stream that is already closed do
 * nothing: the peer may reset at any moment, and 'close' has said so.
 */
export class Http2Stream {
  // An Http2Stream is an EventEmitter (its prototype is EventEmitter.prototype's child, so
  // `instanceof EventEmitter` holds and every method is there), but one made without running
  // EventEmitter's constructor: most streams of a busy server get no listener at all, and
  // Node's emitter methods make the listener table on the first `on()`. These fields keep one
  // hidden class for every stream, listened to or not.
  /** @internal EventEmitter's listener table, made by the first `on()`. */
  _events: Record<string | symbol, unknown> | undefined = undefined;
  /** @internal */
  _eventsCount = 0;
  /** @internal */
  _maxListeners: number | undefined = undefined;
  /** Request headers: received (server), sent (client), or promised (pushed streams). */
  requestHeaders: HeaderField[] = NO_FIELDS;
  /** Final response headers: received (client) or sent (server); empty until then. */
  responseHeaders: HeaderField[] = NO_FIELDS;
  private informationalList: HeaderField[][] | undefined;
  /** 1xx header lists received, in order. */
  get informational(): HeaderField[][] {
    // Created on first use: most streams never see a 1xx, and this is one allocation per request.
    if (this.informationalList === undefined) this.informationalList = [];
    return this.informationalList;
  }
  /** Trailers received from the peer, if any. */
  trailers: HeaderField[] | undefined;
  /** The peer sent END_STREAM. */
  remoteEnded = false;
  /** We sent END_STREAM (or reset the stream). */
  localEnded = false;
  /** Fully closed; `errorCode` says how (0 = NO_ERROR). */
  closed = false;
  errorCode: number | undefined;
  /** Whether the stream was reset, and by whom. */
  resetBy: 'local' | 'remote' | undefined;
  /** Why we reset it, when the session did on its own (e.g. a response without `:status`). */
  resetReason: string | undefined;
  /** Hears 'response', 'push' and 'close' as calls (see {@link StreamObserver}); set it once. */
  observer: StreamObserver | undefined = undefined;

  /** Received DATA not yet moved into the body Readable (shared empty array until the first chunk). */
  private queue: Buffer[] = NO_DATA;
  /** Bytes at the head of `queue` that were never flow-controlled. */
  private uncounted = 0;
  private queuedLen = 0;
  private readable: Readable | undefined;
  /** The body Readable asked for data (its _read ran) and has not said "enough" since. */
  private readWanted = false;
  private writable: Writable | undefined;
  /** The direct reader, when {@link relayBody} took the body (no Readable then). */
  private sink: BodySink | undefined;
  private readonly highWaterMark: number;

  constructor(
    private readonly owner: StreamOwner,
    /** The stream identifier. */
    readonly id: number,
    /** 'request' for streams a request opened, 'pushed' for promised streams. */
    readonly kind: StreamKind,
    /** True on the client side (we receive the response), false on the server side. */
    readonly receivesResponse: boolean,
    highWaterMark: number,
  ) {
    this.highWaterMark = highWaterMark;
  }

  /** The header list received from the peer: the request on a server, the response on a client. */
  get headers(): HeaderField[] {
    return this.receivesResponse ? this.responseHeaders : this.requestHeaders;
  }

  /**
   * The peer's body as a Readable. Bytes release flow-control window only as they move into the
   * Readable's buffer (bounded by its highWaterMark), so a reader that stops reading stops the
   * peer once the window is spent. Created on first access; data before that waits unreleased.
   */
  get body(): Readable {
    if (!this.readable) {
      if (this.sink) throw new Error(`stream ${this.id}: the body is relayed (relayBody), not readable`);
      this.readable = quietErrors(
        new Readable({
          highWaterMark: this.highWaterMark,
          read: () => {
            this.readWanted = true;
            this.pump();
          },
          destroy: (err, cb) => {
            // The reader gave up: drop what is queued (its window goes back) and stop the peer.
            this.discardQueue();
            if (!this.remoteEnded && !this.closed) this.reset(ErrorCode.CANCEL);
            cb(err);
          },
        }),
      );
      if (this.closed && !this.remoteEnded) this.readable.destroy(new StreamClosedError(this.id, this.errorCode ?? ErrorCode.CANCEL));
    }
    return this.readable;
  }

  /** Body octets received so far (for read timeouts: progress is this number moving). */
  receivedBytes = 0;
  /** Body octets handed to the session so far (less what it still queues: what has left). */
  writtenBytes = 0;

  /**
   * Take the peer's body without a Readable: `sink` gets what is queued now and each DATA payload
   * as it arrives, then `end()` or `abort(code)`. The window of the bytes it got comes back only
   * as it calls {@link release}. Either this or {@link body}, once.
   */
  relayBody(sink: BodySink): void {
    if (this.readable || this.sink) throw new Error(`stream ${this.id}: the body is already being read`);
    this.sink = sink;
    if (this.queue.length) {
      const q = this.queue;
      this.queue = NO_DATA;
      this.queuedLen = 0;
      for (let i = 0; i < q.length; i++) sink.data(q[i]);
    }
    if (this.remoteEnded) sink.end();
    else if (this.closed) sink.abort(this.errorCode ?? ErrorCode.CANCEL);
  }

  /** Give back the window of `n` bytes a {@link relayBody} sink got (also after the stream closed: the connection's share). */
  release(n: number): void {
    if (this.uncounted > 0) {
      const free = Math.min(this.uncounted, n);
      this.uncounted -= free;
      n -= free;
    }
    if (n > 0) this.owner.consume(this.id, n);
  }

  /** Call `cb` once our queued DATA is at or below the low-water mark (at once if it is), or with an error once the stream closed. */
  whenWritable(cb: (err?: Error | null) => void): void {
    this.owner.whenWritable(this.id, cb);
  }

  /**
   * Whether more may be written now without waiting: the stream is open and its queued outbound
   * bytes are at or below the low-water mark (what {@link whenWritable} would answer at once).
   */
  get writableNow(): boolean {
    return !this.closed && this.owner.belowLowWater(this.id);
  }

  /** Whether anyone has taken the body Readable. */
  get hasBody(): boolean {
    return this.readable !== undefined;
  }

  /**
   * Connection side: DATA arrived (padding already released by the session). `counted` false for
   * bytes outside flow control (an upgraded request's HTTP/1.1 body): reading them releases nothing.
   */
  deliver(data: Buffer, counted = true): void {
    if (data.length === 0) return;
    this.receivedBytes += data.length;
    if (!counted) this.uncounted += data.length;
    if (this.sink) {
      this.sink.data(data);
      return;
    }
    if (this.queue === NO_DATA) this.queue = [];
    this.queue.push(data);
    this.queuedLen += data.length;
    if (this.readWanted) this.pump();
  }

  /** Connection side: the peer sent END_STREAM. */
  endRemote(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    if (this.readable) this.pump();
    else if (this.sink) this.sink.end();
    // emit() allocates its arguments array even with nobody listening: one per request saved.
    if (this.listenerCount('end') > 0) this.emit('end');
  }

  /** Connection side: the stream is fully closed. */
  closeWith(errorCode: number, err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.errorCode = errorCode;
    const aborted = !this.remoteEnded || !this.localEnded || errorCode !== ErrorCode.NO_ERROR;
    if (!this.remoteEnded) {
      // A body cut short: the reader is told ('aborted', and 'error' if it listens), never
      // handed a silent truncation.
      this.discardQueue();
      const r = this.readable;
      if (r && !r.destroyed) {
        if (r.listenerCount('aborted') > 0) r.emit('aborted', errorCode);
        r.destroy(err ?? new StreamClosedError(this.id, errorCode));
      }
      this.sink?.abort(errorCode);
    } else {
      // A complete body nobody has read yet stays readable, but the connection window it holds
      // is released now: a stream that is never read must not stall the whole connection.
      this.releaseQueued();
    }
    if (this.writable && !this.writable.writableFinished && !this.writable.destroyed) {
      this.writable.destroy(err ?? new StreamClosedError(this.id, errorCode));
    }
    if (aborted && this.listenerCount('aborted') > 0) this.emit('aborted', errorCode);
    this.observer?.closed?.(this, errorCode);
    if (this.listenerCount('close') > 0) this.emit('close', errorCode);
  }

  /**
   * Move queued DATA into the body Readable, releasing its window, only while the Readable wants
   * more: once its buffer is at the highWaterMark the bytes stay here unreleased, so a reader that
   * stopped reading stops the peer when the window is spent (memory bounded by the window).
   */
  private pump(): void {
    const r = this.readable!;
    while (this.readWanted && this.queue.length) {
      const chunk = this.queue.shift()!;
      this.queuedLen -= chunk.length;
      if (this.uncounted > 0) {
        const free = Math.min(this.uncounted, chunk.length);
        this.uncounted -= free;
        if (chunk.length > free) this.owner.consume(this.id, chunk.length - free);
      } else {
        this.owner.consume(this.id, chunk.length);
      }
      if (!r.push(chunk)) this.readWanted = false;
    }
    if (this.remoteEnded && this.queue.length === 0 && !r.readableEnded) r.push(null);
  }

  /** Give back the window of every queued byte still counted, keeping the bytes. */
  private releaseQueued(): void {
    const counted = this.queuedLen - this.uncounted;
    if (counted > 0) this.owner.consume(this.id, counted);
    this.uncounted = this.queuedLen;
  }

  /** Drop the queued bytes, giving back their window. */
  private discardQueue(): void {
    this.releaseQueued();
    this.queue = NO_DATA;
    this.queuedLen = 0;
    this.uncounted = 0;
  }

  /** Bytes received and not yet moved into the body Readable. */
  get bufferedBytes(): number {
    return this.queuedLen;
  }

  // ---- sending ----

  /** Send response headers (server). `endStream` when there is no body. */
  respond(headers: HeaderField[], opts?: { endStream?: boolean }): void {
    if (this.closed) return;
    let informational = false;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i];
      if (h[0] === ':status') {
        informational = h[1].length === 3 && h[1][0] === '1';
        break;
      }
    }
    if (!informational) this.responseHeaders = headers;
    const end = opts !== undefined && !!opts.endStream;
    this.owner.respond(this.id, headers, end);
    if (end) this.localEnded = true;
  }

  /** Queue DATA now, ignoring backpressure (prefer `write`/`writableBody` for large bodies). */
  sendData(data: Buffer, endStream = false): void {
    if (this.closed) return;
    this.writtenBytes += data.length;
    this.owner.sendData(this.id, data, endStream);
    if (endStream) this.localEnded = true;
  }

  /** End our side: trailers if given, else END_STREAM on an empty DATA frame. */
  end(trailers?: HeaderField[]): void {
    if (this.localEnded || this.closed) return;
    this.localEnded = true;
    if (trailers && trailers.length) this.owner.sendTrailers(this.id, trailers);
    else this.owner.endStream(this.id);
  }

  /** Reset the stream (RST_STREAM) with `errorCode` (default CANCEL). */
  reset(errorCode: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.localEnded = true;
    this.owner.reset(this.id, errorCode);
  }

  /** Server push: promise `requestHeaders` on this stream; respond on the returned stream. */
  push(requestHeaders: HeaderField[]): Http2Stream {
    return this.owner.push(this.id, requestHeaders);
  }

  /** Resolve once the stream can take more DATA (queued bytes at or below the low-water mark). */
  drained(): Promise<void> {
    return new Promise((resolve, reject) => this.owner.whenWritable(this.id, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Our body as a Writable: each write queues DATA and completes once the stream's queue is back
   * under the low-water mark (window granted and bytes handed to the socket), so piping a large
   * Readable into it keeps memory bounded. Ending it sends END_STREAM, or `trailers()` if given.
   */
  writableBody(opts: { trailers?: () => HeaderField[] | undefined } = {}): Writable {
    if (this.writable) return this.writable;
    this.writable = quietErrors(
      new Writable({
        highWaterMark: this.highWaterMark,
        write: (chunk: Buffer, _enc, cb) => {
          if (this.closed) {
            cb(new StreamClosedError(this.id, this.errorCode ?? ErrorCode.CANCEL));
            return;
          }
          try {
            this.writtenBytes += chunk.length;
            this.owner.sendData(this.id, chunk, false);
          } catch (err) {
            cb(err as Error);
            return;
          }
          this.owner.whenWritable(this.id, cb);
        },
        final: (cb) => {
          try {
            this.end(opts.trailers?.());
            cb();
          } catch (err) {
            cb(err as Error);
          }
        },
        destroy: (err, cb) => {
          if (err && !this.closed && !this.localEnded) this.reset(ErrorCode.CANCEL);
          cb(err);
        },
      }),
    );
    if (this.closed) this.writable.destroy(new StreamClosedError(this.id, this.errorCode ?? ErrorCode.CANCEL));
    return this.writable;
  }

  /**
   * Send a whole body (Buffer, string or Readable) with backpressure, then end the stream
   * (with trailers if given: a list, or a function asked once the body has ended, for trailers
   * that are known only then, as a proxy relaying a request's). Resolves when the last byte is queued in the session, or as soon as
   * the stream closes (a reset by either side, the connection's end: `errorCode` says which;
   * a Readable body is then destroyed). Rejects only when the body itself fails.
   */
  async sendBody(
    body: Buffer | string | Readable | undefined,
    trailersOrGetter?: HeaderField[] | (() => HeaderField[] | undefined),
  ): Promise<void> {
    const later = typeof trailersOrGetter === 'function' ? trailersOrGetter : undefined;
    if (body === undefined) {
      this.end(later ? later() : (trailersOrGetter as HeaderField[] | undefined));
      return;
    }
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      const trailers = later ? later() : (trailersOrGetter as HeaderField[] | undefined);
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      if (buf.length && (trailers === undefined || trailers.length === 0)) {
        this.sendData(buf, true);
        return;
      }
      if (buf.length) this.sendData(buf, false);
      this.end(trailers);
      return;
    }
    if (this.closed) {
      if (!body.destroyed) body.destroy();
      return;
    }
    const w = this.writableBody({ trailers: later ?? (() => trailersOrGetter as HeaderField[] | undefined) });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        body.unpipe(w);
        if (!body.destroyed) body.destroy();
        reject(err);
      };
      body.once('error', (err) => {
        w.destroy(err);
        fail(err);
      });
      w.once('error', (err) => {
        if (this.closed) {
          // The stream ended under us: the peer's business, told by 'close'; stop reading the body.
          body.unpipe(w);
          if (!body.destroyed) body.destroy();
          resolve();
        } else fail(err);
      });
      w.once('finish', resolve);
      body.pipe(w);
    });
  }
}

Object.setPrototypeOf(Http2Stream.prototype, EventEmitter.prototype);
