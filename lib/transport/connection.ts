/**
 * Http2Connection: binds one sans-IO Session to one Duplex (net.Socket, tls.TLSSocket, an
 * in-memory pair). It owns the socket's I/O only: bytes read go to `session.receive()`, bytes the
 * session has ready go out with backpressure, timers (SETTINGS timeout) run here. Streams are
 * exposed as byte streams (stream.ts); every session event is also on `events$` and `onEvent`.
 */
import { EventEmitter } from 'events';
import type { Duplex } from 'stream';
import type { Observable, Subject } from 'rxjs';
import { rxjs } from '../lazy';
import { Session } from '../protocol/session/session';
import type { SessionOptions, SessionEvent, StreamHandler } from '../protocol/session/session';
import type { HeaderField } from '../protocol/frame/types';
import { ErrorCode } from '../protocol/errors';
import { Http2Stream, StreamClosedError, StreamOwner } from './stream';
import { IdMap } from '../protocol/session/id-map';
import { streamEvent } from '../protocol/session/stream-events';
import type { SocketReads } from './socket-reads';
import { SocketWriter } from './socket-writes';
import type { CloseInfo, ConnectionEvents } from './connection-events';

export type { CloseInfo, ConnectionEvents } from './connection-events';
import type { Throttle } from './throttle';
import { unpinFields } from '../protocol/mutable-fields';

/** The session options a connection passes through (it supplies `onEvent`/`onWantWrite`/`streamHandler` itself). */
export type ConnectionSessionOptions = Omit<SessionOptions, 'onEvent' | 'onWantWrite' | 'streamHandler'>;

const kConnection = Symbol('Http2Connection'); // a socket's connection (set by start()), for the shared listeners
type OwnedSocket = Duplex & { [kConnection]: Http2Connection };
/** The maps of a connection before its first stream object or waiting writer (never written: replaced first). */
const NO_STREAMS = new IdMap<Http2Stream>();
const NO_WAITERS = new IdMap<((err?: Error | null) => void)[]>();
/** Options of {@link Http2Connection}. */
export interface ConnectionOptions {
  /** The session's options; `role` is required. */
  session: ConnectionSessionOptions;
  /**
   * How often the session's timers are checked (`session.tick()`: the SETTINGS timeout, whose
   * length is `session.settingsTimeoutMs`). Milliseconds; 0 disables. Default 1000.
   */
  tickInterval?: number;
  /**
   * Most bytes pulled from the session per socket write. Default 1 MiB: 'drain' comes only once
   * the socket's queue is empty, so a larger batch keeps the kernel buffer fed across the event
   * loop turn (h2load at 100 KiB: about +40% over 256 KiB; the batch is views of the bodies,
   * not copies).
   */
  maxWriteChunk?: number;
  /** Per-stream buffering: the body Readable's and Writable's highWaterMark. Default 64 KiB. */
  streamHighWaterMark?: number;
  /** A writer waits while more than this many bytes are queued on its stream. Default 64 KiB. */
  sendLowWaterMark?: number;
  /**
   * Every session event, synchronously, before the connection's own handling (the hot path);
   * with `streamHandler`, every event but the kinds that one takes.
   */
  onEvent?: (ev: SessionEvent) => void;
  /**
   * The session's stream events as calls (see StreamHandler: request/response/trailers/data
   * received, stream ended/reset/closed), each after the connection's own handling, with no event
   * object made for them (a load generator's per-request `streamClosed`). `onEvent` then no
   * longer gets these seven kinds; `events$` still does.
   */
  streamHandler?: Partial<StreamHandler>;
  /**
   * Every chunk read from the socket, before the session sees it (for `--hexdump`), starting with
   * `rawPrefix`. More listeners: the connection's 'rawData' event (same chunks, same order).
   */
  onRawData?: (chunk: Buffer) => void;
  /** Bytes already read from the socket (a sniffed preface, bytes after an HTTP/1.1 101). */
  initialData?: Buffer;
  /**
   * The socket reads into one reused buffer through this adapter (it was made with
   * `net.connect({ onread: reads.onread })`) instead of emitting 'data'. The connection then
   * copies what it keeps past a read (a stream's body, GOAWAY debug data, a PING payload), while
   * `onEvent`/`events$`/`onRawData`/'rawData' see views of the reused buffer that are valid only
   * during the call: a listener that keeps bytes must copy them.
   */
  reads?: SocketReads;
  /**
   * Every byte read from the socket before the connection took it over (what a listener read
   * while sniffing: the preface, or the whole HTTP/1.1 Upgrade request), delivered to raw-data
   * listeners first when the connection starts. Not given: nothing is delivered for them.
   */
  rawPrefix?: Buffer;
  /**
   * h2c Upgrade (RFC 7540 section 3.2): on a server, the HTTP/1.1 request becomes stream 1; on a
   * client, stream 1 is the upgrade request (its response arrives on stream 1).
   */
  upgrade?: {
    settingsPayload: Buffer;
    requestHeaders?: HeaderField[];
    /** Server: the upgraded request's body, read over HTTP/1.1 (outside flow control). */
    body?: Buffer;
  };
  /**
   * Read what the peer has already sent (its SETTINGS) before the first flight goes out, as the
   * reference nghttp does (its first write waits for the event loop, which reads first). With
   * `connect()`, the start also waits one more event-loop turn so that those bytes can arrive.
   * Default false: our preface leaves first, as nghttp2 servers send theirs on accept.
   */
  readBeforeFirstFlight?: boolean;
  /** Start on the next microtask (default true). With false, call `start()` yourself. */
  autoStart?: boolean;
  /** Graceful close: how long to wait for in-flight streams before destroying. Default 5000 ms. */
  closeTimeout?: number;
  /**
   * Rate limits (throttle.ts): reads are reported to it (the socket paused while it says so), each
   * flush writes at most what it allows (DATA waits in the session, within the windows). Not with `reads`.
   */
  throttle?: Throttle;
}

/**
 * An HTTP/2 connection over a Duplex. Events (typed in {@link ConnectionEvents}): 'stream'
 * (server: a request arrived), 'push' (client: a stream was promised), 'settings', 'goaway',
 * 'close'. The connection starts on the next microtask so that listeners attached right after
 * construction see every event; call `start()` to begin at once.
 */
export class Http2Connection extends EventEmitter implements StreamOwner, StreamHandler {
  /** The sans-IO session this connection drives. Commands may be given to it directly. */
  readonly session: Session;
  /** The transport. */
  readonly socket: Duplex;
  /** Its writes (straight to a net socket's handle while its Writable is idle: socket-writes.ts). */
  private readonly out: SocketWriter;
  /** Open streams by id (the shared empty map until the first: an h2load connection never makes one). */
  readonly streams: IdMap<Http2Stream> = NO_STREAMS;
  /** Set once the socket is gone. */
  closed = false;
  /** Set when the connection ended; see {@link CloseInfo}. */
  closeInfo: CloseInfo | undefined;
  /** Set once the peer's first SETTINGS frame arrived (its settings are known from then on). */
  remoteSettingsReceived = false;
  /**
   * Reads land in one reused buffer (the `reads` option): Buffers in session events and raw-data
   * chunks are views valid only during the call; copy what you keep.
   */
  readonly readBufferReused: boolean;

  private readonly opts: ConnectionOptions;
  private readonly hwm: number;
  /** A stream's writers wait while more than this many bytes are queued on it (option `sendLowWaterMark`). */
  private readonly sendLowWaterMark: number;
  private readonly maxWriteChunk: number;
  private started = false;
  private inReceive = false;
  private flushWanted = false;
  private flushScheduled = false;
  private blocked = false;
  private terminated: { errorCode: number; remote: boolean; error?: Error } | undefined;
  private closing = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private waiters: IdMap<((err?: Error | null) => void)[]> = NO_WAITERS;
  private subject: Subject<SessionEvent> | undefined;
  /** ConnectionOptions.onEvent. */
  private readonly hook: ((ev: SessionEvent) => void) | undefined;
  /** ConnectionOptions.streamHandler. */
  private readonly streamHook: Partial<StreamHandler> | undefined;
  /** `hook` takes the stream events as objects (no `streamHook` took them). */
  private readonly hookTakesStreams: boolean;
  private boundFlush: (() => void) | undefined; // flush() as a callback, made when first needed
  private readonly throttle: Throttle | undefined;

  constructor(socket: Duplex, opts: ConnectionOptions) {
    super();
    // Assigned when the connection ends: mutable from the first connection on (see mutable-fields).
    unpinFields(this, 'closed', 'terminated');
    this.socket = socket;
    this.out = new SocketWriter(socket);
    this.opts = opts;
    this.hwm = opts.streamHighWaterMark ?? 65536;
    this.sendLowWaterMark = opts.sendLowWaterMark ?? 65536;
    this.maxWriteChunk = opts.maxWriteChunk ?? 1048576;
    this.readBufferReused = opts.reads !== undefined;
    this.throttle = opts.throttle;
    const hook = opts.onEvent;
    this.hook = hook;
    this.streamHook = opts.streamHandler;
    this.hookTakesStreams = hook !== undefined && opts.streamHandler === undefined;
    this.session = new Session({
      ...opts.session,
      // Reads land in one reused buffer: frames split across reads may be gathered in one too.
      transientInput: opts.reads !== undefined || opts.session.transientInput,
      // The stream events come as calls on this connection (StreamHandler): no event object per
      // request unless an onEvent hook or events$ asks for them.
      streamHandler: this,
      onEvent: hook
        ? (ev) => {
            hook(ev);
            this.handle(ev);
          }
        : (ev) => this.handle(ev),
      onWantWrite: () => this.wantWrite(),
    });
    // Client h2c upgrade: stream 1 (the HTTP/1.1 request) exists before any other request can be made.
    if (opts.upgrade && opts.session.role === 'client') {
      this.adoptUpgradeStream(opts.upgrade.requestHeaders ?? []);
      this.session.upgrade(opts.upgrade.settingsPayload);
    }
    if (opts.autoStart ?? true) queueMicrotask(() => this.start());
  }

  /**
   * True while bytes read from the socket are being handed to the session: events raised now come
   * from the chunk `onRawData` saw last.
   */
  get receiving(): boolean {
    return this.inReceive;
  }

  /** The role of the underlying session. */
  get role(): 'client' | 'server' {
    return this.opts.session.role;
  }

  /** Every session event as an Observable (hot; completes when the connection closes). */
  get events$(): Observable<SessionEvent> {
    if (!this.subject) {
      this.subject = new (rxjs().Subject)<SessionEvent>();
      if (this.closed) this.subject.complete();
    }
    return this.subject.asObservable();
  }

  /**
   * Begin: apply an h2c upgrade, feed `initialData` (or the option of that name), start reading.
   * Idempotent.
   */
  start(initialData?: Buffer): void {
    if (this.started) return;
    this.started = true;
    if (initialData) this.opts.initialData = initialData;
    const s = this.socket;
    // Bytes the socket read before anyone listened (it reads from connect on): taken before the
    // 'data' listener switches it to flowing mode, so that they can be handled before our first flush.
    const firstRead = !!this.opts.readBeforeFirstFlight && !this.opts.upgrade;
    let early: Buffer | null = null;
    // What a reused-buffer socket read before now: handled first (readBeforeFirstFlight) or after the preface.
    let earlyLate: Buffer | null = null;
    const reads = this.opts.reads;
    if (reads !== undefined) {
      const before = reads.attach(this);
      if (firstRead) early = before;
      else earlyLate = before;
    } else {
      early = firstRead && s.readableLength > 0 ? (s.read() as Buffer | null) : null;
      s.on('data', (chunk: Buffer) => this.socketRead(chunk));
    }
    // Listeners shared by every connection, called with the socket as `this` (closures were ~0.3 KB).
    (s as OwnedSocket)[kConnection] = this;
    s.on('end', Http2Connection.onSocketEnd);
    s.on('error', Http2Connection.onSocketError);
    s.on('close', Http2Connection.onSocketClose);
    s.on('drain', Http2Connection.onSocketDrain);
    // Rate limits: what a listener read before handing the socket over counts too.
    const t = this.throttle;
    t?.attach(s, (this.opts.rawPrefix ?? this.opts.initialData)?.length ?? 0);
    const prefix = this.opts.rawPrefix;
    if (prefix && prefix.length) {
      this.opts.onRawData?.(prefix);
      this.emit('rawData', prefix);
    }
    // A sniffing listener may have paused the socket before handing it over.
    if (!t?.readHeld) s.resume();
    if ((s as { destroyed?: boolean }).destroyed) {
      queueMicrotask(() => this.finish({ errorCode: undefined, by: 'socket' }));
      return;
    }
    const every = this.opts.tickInterval ?? 1000;
    if (every > 0) {
      this.ticker = setInterval(() => this.session.tick(), every);
      this.ticker.unref?.();
    }
    this.inReceive = true;
    try {
      const up = this.opts.upgrade;
      // Server: the upgraded request becomes stream 1 now that listeners are attached.
      if (up && this.role === 'server') this.session.upgrade(up.settingsPayload, up.requestHeaders ?? [], true);
      if (up) this.emit('upgraded');
      if (early) {
        this.opts.onRawData?.(early);
        if (this.listenerCount('rawData') > 0) this.emit('rawData', early);
        this.receive(early);
      }
      // Frames a listener queues now follow our SETTINGS and the ACK of what was read above, as
      // nghttp2 orders its first flight (SETTINGS and ACKs are urgent, requests come after).
      this.emit('firstFlight');
      // Otherwise our connection preface (SETTINGS) leaves before anything already read is
      // processed, as nghttp2 sends it on accept/connect: frameSent for it comes first too.
      this.flush();
      if (this.opts.initialData && this.opts.initialData.length) this.receive(this.opts.initialData);
      if (earlyLate !== null) {
        this.opts.onRawData?.(earlyLate);
        if (this.listenerCount('rawData') > 0) this.emit('rawData', earlyLate);
        this.receive(earlyLate);
      }
    } catch (err) {
      // Bad upgrade data (or a listener that threw) costs this connection only.
      this.inReceive = false;
      this.destroy(err as Error, ErrorCode.PROTOCOL_ERROR);
      return;
    } finally {
      this.inReceive = false;
    }
    this.flush();
  }

  // ---------------------------------------------------------------- input

  /** @internal A read from the socket (also SocketReads' ReadSink). */
  socketRead(chunk: Buffer): void {
    if (this.throttle !== undefined && !this.throttle.read(chunk.length)) this.socket.pause();
    this.opts.onRawData?.(chunk);
    if (this.listenerCount('rawData') > 0) this.emit('rawData', chunk);
    this.inReceive = true;
    try {
      this.receive(chunk);
    } finally {
      this.inReceive = false;
    }
    if (this.flushWanted) this.flush();
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.session.receive(chunk);
    } catch (err) {
      // The session turns peer errors into events; a throw here is a bug. Fail loudly but contained.
      this.destroy(err as Error);
    }
  }

  private static readonly onSocketEnd = function (this: OwnedSocket): void {
    this[kConnection].onEnd();
  };
  private static readonly onSocketError = function (this: OwnedSocket, error: Error): void {
    this[kConnection].finish({ errorCode: this[kConnection].terminated?.errorCode, by: 'socket', error });
  };
  private static readonly onSocketClose = function (this: OwnedSocket): void {
    const t = this[kConnection].terminated;
    this[kConnection].finish({ errorCode: t?.errorCode, by: t ? (t.remote ? 'remote' : 'local') : 'socket' });
  };
  private static readonly onSocketDrain = function (this: OwnedSocket): void {
    this[kConnection].blocked = false;
    this[kConnection].flush();
  };

  private onEnd(): void {
    // The peer will send no more: a frame cut short is the session's to judge. Flush, then close our side too.
    this.inReceive = true;
    try {
      this.session.receiveEnd();
    } finally {
      this.inReceive = false;
    }
    this.flush();
    if (!this.closed) this.endSocket();
  }

  // ---------------------------------------------------------------- output

  private wantWrite(): void {
    this.flushWanted = true;
    if (this.inReceive || this.flushScheduled || this.blocked || !this.started) return;
    this.flushScheduled = true;
    setImmediate(this.boundFlush ?? (this.boundFlush = () => this.flush()));
  }

  /** Pull everything the session has ready into the socket, until it is full. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.blocked) return;
    this.flushWanted = false;
    const session = this.session;
    const t = this.throttle;
    // Zero-copy: control frames and small pieces come coalesced, large DATA payloads as the
    // application's own Buffers; several go out as one writev.
    for (;;) {
      let max = this.maxWriteChunk;
      if (t !== undefined) {
        max = Math.min(max, t.writeAllowance());
        // No tokens: control frames still go (their bytes are a debt), DATA after the refill.
        if (max === 0) t.whenWritable(this.boundFlush ?? (this.boundFlush = () => this.flush()));
      }
      const parts = session.dataToSendParts(max);
      if (parts === null) break;
      if (t !== undefined) t.wroteParts(parts);
      if (!(parts.length === 1 ? this.out.writeBuffer(parts[0]) : this.out.writev(parts))) {
        this.blocked = true;
        break;
      }
    }
    if (this.waiters.size) this.wakeWriters();
    // The session said the connection is over and everything it had is written: end the socket.
    if (!this.blocked && this.terminated) this.endSocket();
  }

  private endSocket(): void {
    const s = this.socket as Duplex & { writableEnded?: boolean };
    if (!s.writableEnded) s.end();
    // A peer that never closes its side must not keep us alive forever.
    if (!this.closeTimer) {
      this.closeTimer = setTimeout(() => this.socket.destroy(), this.opts.closeTimeout ?? 5000);
      this.closeTimer.unref?.();
    }
  }

  private wakeWriters(): void {
    for (const [id, list] of this.waiters) {
      if (!this.belowLowWater(id)) continue;
      this.waiters.delete(id);
      for (const cb of list) cb();
    }
  }

  /** @internal StreamOwner: wait until the stream's queue is at or below the low-water mark. */
  whenWritable(streamId: number, cb: (err?: Error | null) => void): void {
    const st = this.streams.get(streamId);
    if (this.closed || !st || st.closed) {
      cb(new StreamClosedError(streamId, st?.errorCode ?? ErrorCode.CANCEL));
      return;
    }
    if (this.belowLowWater(streamId)) {
      cb();
      return;
    }
    const list = this.waiters.get(streamId);
    if (list) list.push(cb);
    else (this.waiters === NO_WAITERS ? (this.waiters = new IdMap()) : this.waiters).set(streamId, [cb]);
  }

  /** @internal StreamOwner: the stream's queued outbound bytes are at or below the low-water mark. */
  belowLowWater(streamId: number): boolean {
    return this.session.queuedBytes(streamId) <= this.sendLowWaterMark;
  }

  private failWriters(streamId: number, errorCode: number, message?: string): void {
    const list = this.waiters.get(streamId);
    if (!list) return;
    this.waiters.delete(streamId);
    // Built only when someone waits: an Error (stack capture) per closed stream is costly.
    const err = new StreamClosedError(streamId, errorCode, message);
    for (const cb of list) cb(err);
  }

  // ---------------------------------------------------------------- events

  /** @internal Client h2c upgrade: the stream object for stream 1 (the upgrade request). */
  adoptUpgradeStream(requestHeaders: HeaderField[]): Http2Stream {
    const st = this.streams.get(1) ?? this.adopt(1, 'request');
    st.requestHeaders = requestHeaders;
    st.localEnded = true;
    return st;
  }

  private adopt(id: number, kind: 'request' | 'pushed'): Http2Stream {
    const st = new Http2Stream(this, id, kind, this.role === 'client', this.hwm);
    if (this.streams === NO_STREAMS) (this as { streams: IdMap<Http2Stream> }).streams = new IdMap();
    this.streams.set(id, st);
    return st;
  }

  private handle(ev: SessionEvent): void {
    switch (ev.type) {
      case 'pushPromiseReceived': {
        const parent = this.streams.get(ev.streamId);
        const st = this.adopt(ev.promisedStreamId, 'pushed');
        st.requestHeaders = ev.headers;
        parent?.observer?.promised?.(parent, st);
        parent?.emit('push', st);
        this.emit('push', st, parent);
        break;
      }
      case 'settingsAcknowledged':
        this.emit('settingsAcknowledged');
        break;
      case 'settingsReceived':
        this.remoteSettingsReceived = true;
        this.emit('settings', ev.settings);
        // A bigger window may let blocked writers go on.
        this.wantWrite();
        break;
      case 'pingAcknowledged':
        this.emit('ping', this.readBufferReused ? Buffer.from(ev.opaqueData) : ev.opaqueData);
        break;
      case 'goawayReceived':
        this.emit('goaway', ev.errorCode, ev.lastStreamId, this.readBufferReused ? Buffer.from(ev.debugData) : ev.debugData);
        break;
      case 'connectionTerminated':
        this.terminated = { errorCode: ev.errorCode, remote: ev.remote, error: ev.error };
        this.emit('terminated', ev.errorCode, ev.remote, ev.error);
        this.wantWrite();
        break;
      default:
        break;
    }
    if (this.subject) this.subject.next(ev);
  }

  // ---------------------------------------------------------------- stream events (StreamHandler)
  // The session calls these in place of building event objects; an onEvent hook (before the
  // handling, as for every event) and events$ (after it) still get each one as its object.

  /** The stream events are wanted as objects too: an onEvent hook takes them, or events$ is subscribed. */
  private get streamObjects(): boolean {
    return this.hookTakesStreams || this.subject !== undefined;
  }

  /** A stream event's object to the onEvent hook, before the connection's handling (as every event's). */
  private before(ev: SessionEvent | undefined): void {
    if (ev !== undefined && this.hookTakesStreams) this.hook!(ev);
  }

  /** A stream event's object to events$, after the connection's handling (as every event's). */
  private after(ev: SessionEvent | undefined): void {
    if (ev !== undefined && this.subject !== undefined) this.subject.next(ev);
  }

  /** @internal StreamHandler: a request arrived. */
  requestReceived(streamId: number, headers: HeaderField[], endStream: boolean): void {
    const ev = this.streamObjects ? streamEvent.requestReceived(streamId, headers, endStream) : undefined;
    this.before(ev);
    const st = this.streams.get(streamId) ?? this.adopt(streamId, 'request');
    st.requestHeaders = headers;
    const upBody = streamId === 1 ? this.opts.upgrade?.body : undefined;
    if (upBody && upBody.length) st.deliver(upBody, false);
    // Set before 'stream' so listeners know at once whether a body follows; 'end' after it.
    if (endStream) st.remoteEnded = true;
    this.emit('stream', st);
    if (endStream && st.listenerCount('end') > 0) st.emit('end');
    this.streamHook?.requestReceived?.(streamId, headers, endStream);
    this.after(ev);
  }

  /** @internal StreamHandler: a response (or a 1xx) arrived. */
  responseReceived(streamId: number, headers: HeaderField[], endStream: boolean, informational: boolean, blockLength: number): void {
    const ev = this.streamObjects ? streamEvent.responseReceived(streamId, headers, endStream, informational, blockLength) : undefined;
    this.before(ev);
    const st = this.streams.get(streamId);
    if (st !== undefined) {
      if (informational) {
        st.informational.push(headers);
        st.emit('informational', headers);
      } else {
        st.responseHeaders = headers;
        st.observer?.responded?.(st, headers);
        st.emit('response', headers);
      }
      if (endStream) st.endRemote();
    }
    this.streamHook?.responseReceived?.(streamId, headers, endStream, informational, blockLength);
    this.after(ev);
  }

  /** @internal StreamHandler: trailers arrived. */
  trailersReceived(streamId: number, headers: HeaderField[], blockLength: number): void {
    const ev = this.streamObjects ? streamEvent.trailersReceived(streamId, headers, blockLength) : undefined;
    this.before(ev);
    const st = this.streams.get(streamId);
    if (st !== undefined) {
      st.trailers = headers;
      st.emit('trailers', headers);
    }
    this.streamHook?.trailersReceived?.(streamId, headers, blockLength);
    this.after(ev);
  }

  /** @internal StreamHandler: DATA arrived. */
  dataReceived(streamId: number, data: Buffer, flowControlledLength: number, endStream: boolean): void {
    const ev = this.streamObjects ? streamEvent.dataReceived(streamId, data, flowControlledLength, endStream) : undefined;
    this.before(ev);
    const st = this.streams.get(streamId);
    // The session already released the padding; the data is released as it is read.
    if (st !== undefined) st.deliver(this.readBufferReused && data.length > 0 ? Buffer.from(data) : data);
    else if (data.length > 0) this.session.consume(streamId, data.length);
    if (endStream) st?.endRemote();
    this.streamHook?.dataReceived?.(streamId, data, flowControlledLength, endStream);
    this.after(ev);
  }

  /** @internal StreamHandler: the peer ended its side. */
  streamEnded(streamId: number): void {
    const ev = this.streamObjects ? streamEvent.streamEnded(streamId) : undefined;
    this.before(ev);
    this.streams.get(streamId)?.endRemote();
    this.streamHook?.streamEnded?.(streamId);
    this.after(ev);
  }

  /** @internal StreamHandler: a stream was reset. */
  streamReset(streamId: number, errorCode: number, remote: boolean, reason: string | undefined): void {
    const ev = this.streamObjects ? streamEvent.streamReset(streamId, errorCode, remote, reason) : undefined;
    this.before(ev);
    const st = this.streams.get(streamId);
    if (st !== undefined) {
      st.resetBy = remote ? 'remote' : 'local';
      st.resetReason = reason;
    }
    this.streamHook?.streamReset?.(streamId, errorCode, remote, reason);
    this.after(ev);
  }

  /** @internal StreamHandler: a stream is fully closed. */
  streamClosed(streamId: number, errorCode: number): void {
    const ev = this.streamObjects ? streamEvent.streamClosed(streamId, errorCode) : undefined;
    this.before(ev);
    const st = this.streams.get(streamId);
    this.streams.delete(streamId);
    if (this.waiters.size) this.failWriters(streamId, errorCode);
    st?.closeWith(errorCode);
    this.streamHook?.streamClosed?.(streamId, errorCode);
    this.after(ev);
  }

  private finish(info: CloseInfo, socketEnding = false): void {
    if (this.closed) return;
    this.closed = true;
    this.closeInfo = info;
    if (this.ticker) clearInterval(this.ticker);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.throttle?.close();
    if (socketEnding) {
      const t = setTimeout(() => this.socket.destroy(), this.opts.closeTimeout ?? 5000);
      t.unref?.();
      this.socket.once('close', () => clearTimeout(t));
    } else if (!(this.socket as { destroyed?: boolean }).destroyed) {
      this.socket.destroy();
    }
    const err = info.error;
    for (const [id, st] of this.streams) {
      this.failWriters(id, info.errorCode ?? ErrorCode.CANCEL, 'connection closed');
      st.closeWith(
        info.errorCode ?? ErrorCode.CANCEL,
        err ?? new StreamClosedError(id, info.errorCode ?? ErrorCode.CANCEL, `connection closed before stream ${id} ended`),
      );
    }
    this.streams.clear();
    this.subject?.complete();
    if (err && this.listenerCount('error') > 0) this.emit('error', err);
    this.emit('close', info);
  }

  // ---------------------------------------------------------------- commands

  /** Client: open a request stream. With `endStream` false, send the body through the returned stream. */
  request(headers: HeaderField[], opts: { endStream?: boolean } = {}): Http2Stream {
    // The session signals onWantWrite when the HEADERS are queued.
    const id = this.session.request(headers, { endStream: opts.endStream });
    const st = this.adopt(id, 'request');
    st.requestHeaders = headers;
    if (opts.endStream) st.localEnded = true;
    return st;
  }

  /**
   * Resolve once the peer's first SETTINGS frame has arrived (at once if it has), e.g. before
   * an extended CONNECT, which needs the server's SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441
   * section 3). Rejects if the connection closes first.
   */
  whenRemoteSettings(): Promise<void> {
    if (this.remoteSettingsReceived) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('the connection closed before the peer sent SETTINGS'));
    return new Promise((resolve, reject) => {
      const onSettings = () => {
        this.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.off('settings', onSettings);
        reject(new Error('the connection closed before the peer sent SETTINGS'));
      };
      this.once('settings', onSettings);
      this.once('close', onClose);
    });
  }

  /** Send a PING; resolves with the round-trip time in ms when the ACK arrives. */
  ping(opaqueData: Buffer = Buffer.alloc(8)): Promise<number> {
    const t0 = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const onAck = () => {
        this.off('close', onClose);
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      };
      const onClose = () => {
        this.off('ping', onAck);
        reject(new Error('connection closed before PING ACK'));
      };
      this.once('ping', onAck);
      this.once('close', onClose);
      this.session.ping(opaqueData);
    });
  }

  /** Send new SETTINGS (the session's SETTINGS timeout applies to their ACK). */
  updateSettings(settings: Parameters<Session['updateSettings']>[0]): void {
    this.session.updateSettings(settings);
  }

  /**
   * Graceful close: GOAWAY (NO_ERROR, two-phase in the session), let in-flight streams finish,
   * then end the socket. Resolves when the socket is closed; destroys it after `closeTimeout`.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.once('close', () => resolve()));
    if (!this.closing) {
      this.closing = true;
      this.session.goaway(ErrorCode.NO_ERROR);
      if (!this.closeTimer) {
        this.closeTimer = setTimeout(() => this.socket.destroy(), this.opts.closeTimeout ?? 5000);
        this.closeTimer.unref?.();
      }
      this.wantWrite();
      if (!this.started) this.start();
    }
    return done;
  }

  /**
   * Abort without waiting for streams: with `errorCode`, GOAWAY is written and the socket ended
   * (destroyed after `closeTimeout` at the latest); without, the socket is destroyed at once.
   */
  destroy(err?: Error, errorCode?: number): void {
    if (this.closed) return;
    let ended = false;
    if (errorCode !== undefined) {
      try {
        this.session.goaway(errorCode);
        const buf = this.session.dataToSend();
        // end() (not destroy()) so that the GOAWAY reaches the peer.
        this.out.end(buf && buf.length ? buf : undefined);
        ended = true;
      } catch {
        // The session may already be closed; nothing more to say to the peer.
      }
    }
    this.finish({ errorCode, by: 'local', error: err }, ended);
  }

  // ---------------------------------------------------------------- StreamOwner

  /** @internal */
  consume(streamId: number, n: number): void {
    if (n > 0 && !this.closed) this.session.consume(streamId, n);
  }
  /** @internal */
  sendData(streamId: number, data: Buffer, endStream: boolean): void {
    this.session.sendData(streamId, data, endStream);
    this.wantWrite();
  }
  /** @internal */
  endStream(streamId: number): void {
    this.session.endStream(streamId);
    this.wantWrite();
  }
  /** @internal */
  sendTrailers(streamId: number, headers: HeaderField[]): void {
    this.session.sendTrailers(streamId, headers);
    this.wantWrite();
  }
  /** @internal */
  respond(streamId: number, headers: HeaderField[], endStream: boolean): void {
    this.session.respond(streamId, headers, { endStream });
    this.wantWrite();
  }
  /** @internal */
  reset(streamId: number, errorCode: number): void {
    this.session.reset(streamId, errorCode);
    this.wantWrite();
  }
  /** @internal */
  push(parentStreamId: number, requestHeaders: HeaderField[]): Http2Stream {
    const id = this.session.push(parentStreamId, requestHeaders);
    this.wantWrite();
    const st = this.adopt(id, 'pushed');
    st.requestHeaders = requestHeaders;
    return st;
  }
}

// Typed overloads for on/once without a runtime cost.
export interface Http2Connection {
  /** Listens to a connection event (typed by {@link ConnectionEvents}). */
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): this;
  /** Listens to the next occurrence of a connection event. */
  once<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): this;
  /** Removes a listener added with on() or once(). */
  off<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): this;
}
