/**
 * The sans-IO HTTP/2 session (RFC 9113): bytes in -> events out; commands -> bytes out. The
 * Session is the single owner of a connection's state; it keeps the streams and the commands and
 * hands each concern to one collaborator it owns:
 * - reading stages: Deframer -> HeaderBlockAssembler (lib/protocol/frame), then FrameReceiver
 *   (receive.ts, receive-headers.ts) dispatching by frame type over the stream state table;
 * - SettingsSync (settings-sync.ts), InboundFlow (inbound-flow.ts), DataWriter (outbound flow
 *   control and DATA framing, data-writer.ts), OutputQueue (bytes and frameSent events,
 *   output-queue.ts), Shutdown (GOAWAY and the end, shutdown.ts), FloodGuard (flood-guard.ts),
 *   ClosedStreams (closed-streams.ts), PendingOpenQueue (pending-open.ts);
 * - error scope, decided in one place from typed errors (error-scope.ts, `raise` / `fail`).
 */
import { bindDecoder, bindEncoder, ConnectionContext } from '../context';
import { ApiMisuseError, ConnectionError, ErrorCode, H2Error } from '../errors';
import type { PaddingPolicy } from '../frame/padding';
import { CONNECTION_PREFACE, FrameType } from '../frame/constants';
import type {
  Frame,
  HeaderField,
  PingFrame,
  PriorityFrame,
  PrioritySpec,
  PriorityUpdateFrame,
  RstStreamFrame,
  SettingEntry,
  WindowUpdateFrame,
} from '../frame/types';
import { HpackDecoder } from '../hpack/decoder';
import { HpackEncoder } from '../hpack/encoder';
import { MessageInfo, newMessageInfo } from '../http/semantics';
import { checkConnectSettingChange } from '../http/connect';
import { ClosedStreams } from './closed-streams';
import type { SessionCore } from './core';
import { DataWriter } from './data-writer';
import { isStreamScoped, toH2Error } from './error-scope';
import { FloodGuard } from './flood-guard';
import { IdMap } from './id-map';
import { InboundFlow } from './inbound-flow';
import { checkFields, checkTrailers, isInformational, newResponseCheckCache, ResponseCheckCache } from './outgoing';
import { OutputQueue, ZERO_COPY_MIN } from './output-queue';
import { PendingOpenQueue } from './pending-open';
import { FrameReceiver } from './receive';
import { FrameReader } from './frame-reader';
import { WriteScheduler } from './scheduler';
import { copyLimits, defaultLocalSettings, encodeSettingsPayload, settingsEntries } from './settings';
import { checkLocalSettings, SettingsSync } from './settings-sync';
import { MAX_STREAM_ID, Shutdown } from './shutdown';
import { HeaderSender } from './header-sender';
import { NO_OUT, Stream } from './stream';
import { closeStream, localEnded, newRequestStream, openPending, remoteEnded } from './stream-lifecycle';
import { upgradeStream } from './upgrade';
import { isViolation, StreamEvent, StreamState, transition } from './stream-state';
import {
  CloseCause,
  DEFAULT_LIMITS,
  LocalSettings,
  RequestOptions,
  RespondOptions,
  ResponseCounter,
  SessionEvent,
  SessionLimits,
  SessionOptions,
  StreamHandler,
} from './types';
import { eventsToHandler } from './stream-events';

export * from './types';
export { ZERO_COPY_MIN };

/** The payload of an END_STREAM-only DATA frame: one empty Buffer, not one per stream (never written to). */
const NO_BYTES = Buffer.alloc(0);

/**
 * `Buffer.isBuffer`, read once: `Buffer` is a property of the global object that optimised code
 * still looks up through an IC call per use (two per sendData, ~300 instructions per request
 * under callgrind).
 */
const isBuffer = Buffer.isBuffer;

/**
 * An HTTP/2 connection endpoint without I/O.
 *
 * The adapter's loop: call `receive(bytes)` with what the transport read; whenever `onWantWrite`
 * fires (every command that queues bytes signals it), write `dataToSend()` (or, without copying
 * bodies, `dataToSendParts()`) to the transport; call `tick(Date.now())`
 * from a timer (about once a second) for the SETTINGS timeout; close the transport after
 * `connectionTerminated` once `dataToSend()` returns null.
 *
 * Peer errors never throw out of `receive`: a stream error becomes events plus a queued
 * RST_STREAM; a connection error queues GOAWAY (with the last processed stream id) and emits
 * `connectionTerminated`. Commands used wrongly throw ApiMisuseError.
 */
export class Session implements SessionCore {
  /** Which end of the connection this session is. */
  readonly role: 'client' | 'server';
  /** What the peer advertised (RFC initial values until its SETTINGS arrives). */
  readonly remoteSettings: LocalSettings;
  /** What we advertised and the peer ACKed (RFC initial values until the first ACK). */
  readonly localSettings: LocalSettings;
  /**
   * This connection's context, shared with the stages the session is built from: the deframer,
   * the HPACK decoder and encoder follow the SETTINGS in force through it, and it holds the
   * connection-level windows. Layers added around the session (a tap, a rewriter) can share it.
   */
  readonly context = new ConnectionContext();
  /** How long a SETTINGS frame may stay unacknowledged (and phase one of a graceful shutdown may last), in ms. */
  readonly settingsTimeoutMs: number;

  /** @internal */ readonly limits: SessionLimits;
  /** @internal */ readonly frameEvents: boolean;
  /** @internal SessionOptions.responseCounter (client), or null. */
  readonly counter: ResponseCounter | null;
  /** @internal */ readonly onEvent: (ev: SessionEvent) => void;
  /** @internal SessionOptions.streamHandler, or one building event objects for `onEvent`. */
  readonly streamEvents: StreamHandler;
  /** @internal */ readonly now: () => number;
  private readonly padding: PaddingPolicy | undefined;

  // The stages and collaborators this session owns.
  private readonly reader: FrameReader;
  /** @internal */ readonly sender: HeaderSender;
  /** @internal */ readonly decoder: HpackDecoder;
  /** @internal */ readonly scheduler = new WriteScheduler();
  /** @internal */ readonly output: OutputQueue;
  /** @internal */ readonly writer: DataWriter;
  /** @internal */ readonly flow: InboundFlow;
  /** @internal */ readonly settings: SettingsSync;
  /** @internal */ readonly shutdown: Shutdown;
  /** @internal */ readonly flood: FloodGuard;
  /** @internal */ readonly closedStreams: ClosedStreams;
  private readonly receiver: FrameReceiver;

  // Streams.
  /** @internal */ readonly streams = new IdMap<Stream>();
  /** @internal Highest stream id the peer opened (or promised, for a client). */
  lastPeerStreamId = 0;
  /** @internal Next id for a stream we initiate. */
  nextStreamId: number;
  /** @internal Streams we initiated that count against the peer's MAX_CONCURRENT_STREAMS. */
  localActive = 0;
  /** @internal Streams the peer initiated that count against ours. */
  remoteActive = 0;
  /** @internal Server: promised streams not yet answered (they count once their HEADERS go out). */
  reservedLocal = 0;
  /** @internal Client: streams whose HEADERS wait for a concurrency slot, in id order. */
  readonly pendingOpen = new PendingOpenQueue();

  /** @internal Scratch for HTTP validation (reused: no allocation per message). */
  readonly info: MessageInfo = newMessageInfo();
  /** What checkFields remembers of the response and request lists that passed. */
  private readonly responseCheck: ResponseCheckCache = newResponseCheckCache();

  constructor(opts: SessionOptions) {
    if (opts.role !== 'client' && opts.role !== 'server') throw new ApiMisuseError(`role must be 'client' or 'server'`);
    this.role = opts.role;
    this.onEvent = opts.onEvent;
    this.streamEvents = opts.streamHandler ?? eventsToHandler(opts.onEvent);
    this.padding = opts.padding;
    this.frameEvents = opts.frameEvents !== false;
    this.counter = opts.role === 'client' ? (opts.responseCounter ?? null) : null;
    this.now = opts.now ?? Date.now;
    this.settingsTimeoutMs = opts.settingsTimeoutMs ?? 10000;
    this.limits = copyLimits({ ...DEFAULT_LIMITS, ...opts.limits });
    const L = this.limits;
    if (opts.settings?.maxConcurrentStreams !== undefined && opts.limits?.maxConcurrentStreams === undefined) {
      L.maxConcurrentStreams = opts.settings.maxConcurrentStreams;
    }
    this.closedStreams = new ClosedStreams(L.maxClosedStreamsRemembered);
    this.nextStreamId = this.role === 'client' ? 1 : 2;
    this.flood = new FloodGuard(L);

    const context = this.context;
    const encoder = new HpackEncoder({ maxTableSize: opts.encoderMaxTableSize ?? 4096 });
    // No separate cap on one string: the whole block is already in memory (bounded by the frame
    // size and maxContinuations), and a field too long for our header-list limit must end as
    // HeaderListTooLargeError (decoded whole, HPACK table in step: a stream-level 431 or
    // RST_STREAM) rather than a connection-ending COMPRESSION_ERROR.
    this.decoder = new HpackDecoder({
      maxHeaderListSize: Math.min(L.maxHeaderListSize, opts.settings?.maxHeaderListSize ?? Infinity),
      maxStringLength: Infinity,
    });
    this.output = new OutputQueue({
      onEvent: this.onEvent,
      onWantWrite: opts.onWantWrite,
      frameEvents: this.frameEvents,
      maxQueuedControlFrames: L.maxQueuedControlFrames,
    });
    bindEncoder(context, encoder);
    bindDecoder(context, this.decoder);
    this.writer = new DataWriter(context, this, this.output, this.scheduler, this.padding, this.frameEvents);
    this.flow = new InboundFlow(context, this);
    this.settings = new SettingsSync(this, { context, decoder: this.decoder, flow: this.flow, writer: this.writer, flood: this.flood });
    this.remoteSettings = this.settings.remote;
    this.localSettings = this.settings.local;
    this.remoteSettings.maxConcurrentStreams = opts.peerMaxConcurrentStreams ?? 100;
    this.sender = new HeaderSender(encoder, this.output, this.remoteSettings, this.padding, this);
    this.shutdown = new Shutdown(this, this.writer, this.settingsTimeoutMs);
    this.receiver = new FrameReceiver(this);
    this.reader = new FrameReader(this.receiver, {
      server: this.role === 'server',
      context,
      maxContinuations: L.maxContinuations,
      frameEvents: this.frameEvents,
      transientInput: opts.transientInput === true,
    });

    // Our connection preface (RFC 9113 section 3.4): client magic, then SETTINGS from both.
    let local: LocalSettings;
    let entries: SettingEntry[];
    if (opts.settingsList !== undefined) {
      if (opts.settings !== undefined) throw new ApiMisuseError('give settings or settingsList, not both');
      local = this.settings.fromList(opts.settingsList);
      entries = opts.settingsList.map((e) => ({ id: e.id, value: e.value }));
    } else {
      const given = opts.settings ?? {};
      local = { ...defaultLocalSettings(this.role, L), ...given };
      if (this.role === 'server') local.enablePush = false;
      checkLocalSettings(local);
      entries = settingsEntries(local, given, this.role);
    }
    if (this.role === 'client') this.output.raw(CONNECTION_PREFACE);
    if (opts.extraSettings) for (const e of opts.extraSettings) entries.push({ id: e.id, value: e.value });
    this.settings.firstPayload = encodeSettingsPayload(entries).toString('latin1');
    this.settings.send(entries, local);
    if (opts.connectionWindowSize !== undefined) this.setConnectionWindowSize(opts.connectionWindowSize);
  }

  /** The connection is over: no more frames are processed or accepted. */
  get closed(): boolean {
    return this.shutdown.ended;
  }

  /** A GOAWAY was sent or received: `request()` opens no new stream. */
  get goingAway(): boolean {
    return this.shutdown.goingAway;
  }

  /**
   * Set our connection-level receive window to `n` octets (0..2^31-1). The connection window has
   * no SETTINGS entry (RFC 9113 section 6.9.2: "The connection flow-control window can only be
   * changed using WINDOW_UPDATE frames"), so growing it queues a WINDOW_UPDATE on stream 0 for the
   * difference, now, behind whatever was queued before; shrinking it sends nothing: the octets
   * the peer may still send beyond `n` are consumed without being returned, then consumed octets
   * go back in WINDOW_UPDATEs of at least half of `n`, as nghttp2 does. Callers that want
   * other frames ahead of that WINDOW_UPDATE leave `connectionWindowSize` unset and call this after
   * queuing them.
   */
  setConnectionWindowSize(n: number): void {
    this.checkOpen();
    const inc = this.flow.setConnectionWindowSize(n);
    if (inc > 0) {
      this.queueControl({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: inc } as WindowUpdateFrame);
      this.wantWrite();
    }
  }

  // ---------------------------------------------------------------- inbound

  /**
   * Feed bytes read from the transport (server: starting with the client preface). Never throws
   * on peer errors: they become events plus RST_STREAM/GOAWAY. Bytes after the connection ended
   * are ignored.
   */
  receive(bytes: Buffer): void {
    if (this.closed) return;
    try {
      this.reader.push(bytes);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * The transport reached end of input. A frame cut short is a connection error; otherwise the
   * connection ends (`connectionTerminated`, remote, NO_ERROR; streams still open close with CANCEL).
   */
  receiveEnd(): void {
    if (this.closed) return;
    try {
      this.reader.end();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.shutdown.inputEnded();
  }

  /**
   * Timer hook for the sans-IO core: call about once a second with the current time. Ends phase
   * one of a graceful shutdown whose PING went unanswered for `settingsTimeoutMs`, and fails the
   * connection with SETTINGS_TIMEOUT when a SETTINGS frame we sent stays unacknowledged longer
   * than `settingsTimeoutMs` (RFC 9113 section 6.5.3: "If the sender of a SETTINGS frame does not
   * receive an acknowledgment within a reasonable amount of time, it MAY issue a connection error
   * (Section 5.4.1) of type SETTINGS_TIMEOUT.").
   */
  tick(nowMs: number = this.now()): void {
    if (this.closed) return;
    this.shutdown.tick(nowMs);
    const sentAt = this.settings.oldestUnackedAt();
    if (sentAt !== undefined && nowMs - sentAt > this.settingsTimeoutMs) {
      this.connectionError(
        new ConnectionError(ErrorCode.SETTINGS_TIMEOUT, `SETTINGS not acknowledged within ${this.settingsTimeoutMs} ms`),
      );
    }
  }

  // ---------------------------------------------------------------- errors and closing

  /** @internal Handle an error now by its scope: RST_STREAM for a stream error, else GOAWAY. */
  fail(err: unknown): void {
    const e = toH2Error(err);
    if (isStreamScoped(e)) this.streamError(e.streamId, e.code, e.message);
    else this.connectionError(e, e === err ? undefined : (err as Error));
  }

  /** @internal Handle an error met while processing a frame: a stream error in place; a connection error thrown, to end the receive path. */
  raise(err: H2Error): void {
    if (!isStreamScoped(err)) throw err;
    this.streamError(err.streamId, err.code, err.message);
  }

  /** @internal A stream error: RST_STREAM queued, events emitted, the stream closed. Nothing else touched. */
  streamError(id: number, code: number, message: string): void {
    if (this.closed) return;
    const s = this.streams.get(id);
    if (s !== undefined) {
      this.resetStream(s, code, message);
    } else {
      this.queueRst(id, code);
      this.closedStreams.remember(id, 'localReset');
      this.streamEvents.streamReset(id, code, false, message);
    }
    // Streams we must reset cost a token too: a peer provoking endless stream errors is a reset
    // flood (CVE-2019-9514).
    this.countReset();
  }

  /** @internal */
  countReset(): void {
    if (!this.flood.take('reset', this.now())) {
      this.connectionError(new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many stream errors (reset flood)'));
    }
  }

  /** @internal Reset a live stream from our side. */
  resetStream(s: Stream, code: number, reason?: string): void {
    if (s.pendingHeaders === null && s.state !== StreamState.IDLE) this.queueRst(s.id, code);
    this.streamEvents.streamReset(s.id, code, false, reason);
    this.closeStream(s, 'localReset', code);
  }

  /** @internal */
  closeStream(s: Stream, cause: CloseCause, code: number): void {
    closeStream(this, s, cause, code);
  }

  /** @internal Fail the connection: GOAWAY with the code and last processed stream id, then terminated. */
  connectionError(err: H2Error, cause?: Error): void {
    this.shutdown.connectionError(err, cause);
  }

  /** @internal The peer's END_STREAM was processed on `s`. */
  remoteEnded(s: Stream): void {
    remoteEnded(this, s);
  }

  /** @internal Our side of `s` ended (END_STREAM sent). */
  localEnded(s: Stream): void {
    localEnded(this, s);
  }

  /** @internal */
  isPeerId(id: number): boolean {
    return (id & 1) === (this.role === 'server' ? 1 : 0);
  }

  /** @internal */
  isIdle(id: number): boolean {
    return this.isPeerId(id) ? id > this.lastPeerStreamId : id >= this.nextStreamId;
  }

  /** @internal Every stream known, as a copy (safe to close them while iterating). */
  streamList(): Stream[] {
    return [...this.streams.values()];
  }

  /** @internal */
  pendingOpenList(): Stream[] {
    return this.pendingOpen.snapshot();
  }

  /** @internal */
  get pendingOpenCount(): number {
    return this.pendingOpen.length;
  }

  /** @internal The peer's SETTINGS were applied: queued requests may go now. */
  peerSettingsApplied(): void {
    openPending(this);
    this.wantWrite();
  }

  /** @internal */
  get peerMaxFrameSize(): number {
    return this.remoteSettings.maxFrameSize;
  }

  // ---------------------------------------------------------------- flow control (inbound)

  /**
   * The application consumed `n` octets of `streamId`'s DATA: release that much window. WINDOW_UPDATE
   * frames are batched: one is sent when half a window has been consumed.
   */
  consume(streamId: number, n: number): void {
    if (!(n > 0) || this.closed) return;
    this.flow.consume(this.streams.get(streamId), n);
  }

  /**
   * DATA octets (padding included) received on `streamId` (0: the connection) and not yet given
   * back to the peer by a queued WINDOW_UPDATE, as nghttp2's
   * `nghttp2_session_get_stream_effective_recv_data_length` (0 for a stream that is not open).
   */
  unacknowledgedData(streamId: number): number {
    if (streamId === 0) return this.flow.unacknowledged(undefined);
    const s = this.streams.get(streamId);
    return s === undefined ? 0 : this.flow.unacknowledged(s);
  }

  // ---------------------------------------------------------------- commands

  private checkOpen(): void {
    if (this.closed) throw new ApiMisuseError('the session is closed');
  }

  private liveStream(id: number, what: string): Stream {
    const s = this.streams.get(id);
    if (s === undefined) throw new ApiMisuseError(`${what}: stream ${id} is not open`);
    return s;
  }

  /**
   * Client: open a request stream and return its id. While the peer's MAX_CONCURRENT_STREAMS is
   * reached the HEADERS wait in a queue (the id is already assigned; data and trailers may be
   * queued on it). Throws after a GOAWAY or on a server.
   */
  request(headers: HeaderField[], opts: RequestOptions = {}): number {
    this.checkOpen();
    if (this.role !== 'client') throw new ApiMisuseError('request() is for clients');
    // RFC 9113 section 6.8: "Receivers of a GOAWAY frame MUST NOT open additional streams on the connection".
    if (this.shutdown.goingAway) throw new ApiMisuseError('the connection is going away: no new streams');
    if (this.nextStreamId > MAX_STREAM_ID) throw new ApiMisuseError('stream ids exhausted: open a new connection');
    if (this.pendingOpen.length >= this.limits.maxPendingRequests) throw new ApiMisuseError('too many requests queued');
    checkFields(headers, true, 'request', this.responseCheck);
    const id = this.nextStreamId;
    const s = newRequestStream(this, id, headers, opts);
    this.nextStreamId += 2;
    this.streams.set(id, s);
    this.pendingOpen.push(s);
    openPending(this);
    // The HEADERS are queued unless the stream waits for a concurrency slot.
    if (this.output.bytes > 0) this.wantWrite();
    return id;
  }

  /**
   * Server: send response HEADERS on `streamId` (1xx informational ones first if wanted; the
   * final one when `:status` >= 200). With `endStream` the response has no body.
   */
  respond(streamId: number, headers: HeaderField[], opts: RespondOptions = {}): void {
    this.checkOpen();
    if (this.role !== 'server') throw new ApiMisuseError('respond() is for servers');
    const s = this.liveStream(streamId, 'respond');
    if (s.responded) throw new ApiMisuseError(`respond: stream ${streamId} already has a final response (use sendTrailers)`);
    const t = transition(s.state, StreamEvent.SEND_HEADERS);
    if (isViolation(t)) throw new ApiMisuseError(`respond: stream ${streamId} cannot send HEADERS now`);
    const repeated = checkFields(headers, false, 'respond', this.responseCheck);
    const informational = isInformational(headers);
    const end = opts.endStream === true && !informational;
    if (!informational) s.responded = true;
    const wasReserved = s.state === StreamState.RESERVED_LOCAL;
    s.state = t;
    if (wasReserved) {
      this.reservedLocal--;
      s.counted = true;
      this.localActive++;
    }
    this.sender.headers(streamId, headers, end, undefined, s.pushed ? 'push_response' : 'response', repeated);
    if (end) this.localEnded(s);
    this.wantWrite();
  }

  /**
   * Server: promise a push on `parentStreamId` with the request it answers; returns the promised
   * (even) stream id, on which to `respond` next. Throws when the client disabled push.
   */
  push(parentStreamId: number, requestHeaders: HeaderField[]): number {
    this.checkOpen();
    if (this.role !== 'server') throw new ApiMisuseError('push() is for servers');
    // RFC 9113 section 6.5.2: "An endpoint MUST NOT send a PUSH_PROMISE frame if it receives this
    // parameter set to a value of 0" (its value is 1 until the client's SETTINGS says otherwise).
    if (!this.remoteSettings.enablePush) throw new ApiMisuseError('push: the client disabled server push');
    if (this.shutdown.goingAway) throw new ApiMisuseError('push: the connection is going away');
    const parent = this.liveStream(parentStreamId, 'push');
    if (parent.local) throw new ApiMisuseError('push: the associated stream must be client-initiated');
    const t = transition(parent.state, StreamEvent.SEND_PUSH_PROMISE);
    if (isViolation(t)) throw new ApiMisuseError(`push: stream ${parentStreamId} is not open or half-closed (remote)`);
    if (this.nextStreamId > MAX_STREAM_ID) throw new ApiMisuseError('push: stream ids exhausted');
    // RFC 9113 section 5.1.2: the client's SETTINGS_MAX_CONCURRENT_STREAMS also limits the pushed
    // streams the server may open; promises beyond it could never be answered.
    if (this.localActive + this.reservedLocal >= this.remoteSettings.maxConcurrentStreams) {
      throw new ApiMisuseError(`push: the client allows ${this.remoteSettings.maxConcurrentStreams} concurrent pushed streams`);
    }
    checkFields(requestHeaders, true, 'push', this.responseCheck);
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const s = new Stream(id, true, this.remoteSettings.initialWindowSize, this.flow.streamRecvWindowSize);
    s.pushed = true;
    s.state = transition(StreamState.IDLE, StreamEvent.SEND_PROMISED) as StreamState;
    this.reservedLocal++;
    this.streams.set(id, s);
    this.sender.pushPromise(parentStreamId, id, requestHeaders);
    this.wantWrite();
    return id;
  }

  /**
   * Queue DATA on a stream (flow-controlled; framed by dataToSend in scheduler order, split to the
   * peer's frame size). The Buffer is kept, not copied, until it is framed: do not modify it after
   * the call. `endStream` ends our side after it.
   */
  sendData(streamId: number, data: Buffer, endStream = false): void {
    this.checkOpen();
    if (!isBuffer(data)) throw new ApiMisuseError('sendData: data must be a Buffer');
    const s = this.liveStream(streamId, 'sendData');
    if (s.endQueued || s.trailers !== null || (s.pendingHeaders !== null && s.pendingEndStream))
      throw new ApiMisuseError(`sendData: stream ${streamId} already ended`);
    if (s.pendingHeaders === null) {
      const t = transition(s.state, StreamEvent.SEND_DATA);
      if (isViolation(t)) throw new ApiMisuseError(`sendData: stream ${streamId} cannot send DATA now`);
      if (this.role === 'server' && !s.responded) throw new ApiMisuseError(`sendData: respond() on stream ${streamId} first`);
    }
    if (data.length > 0) {
      if (s.out === NO_OUT) s.out = [data];
      else s.out.push(data);
      s.queued += data.length;
    }
    if (endStream) {
      if (s.pendingHeaders !== null) s.pendingEndStream = true;
      else s.endQueued = true;
    }
    if (s.pendingHeaders === null && (data.length > 0 || endStream)) {
      if (s.sendWindow > 0 || s.queued === 0) this.scheduler.add(s);
      this.wantWrite();
    }
  }

  /** End our side of the stream: END_STREAM on an empty DATA frame after whatever is queued. */
  endStream(streamId: number): void {
    this.sendData(streamId, NO_BYTES, true);
  }

  /** Send trailers (HEADERS with END_STREAM) after the queued DATA. */
  sendTrailers(streamId: number, headers: HeaderField[]): void {
    this.checkOpen();
    const s = this.liveStream(streamId, 'sendTrailers');
    if (s.endQueued || s.trailers !== null) throw new ApiMisuseError(`sendTrailers: stream ${streamId} already ended`);
    if (this.role === 'server' && !s.responded) throw new ApiMisuseError(`sendTrailers: respond() on stream ${streamId} first`);
    checkFields(headers, false, 'sendTrailers', this.responseCheck);
    // The response list checked last is now this one, encoded later (if at all): no longer the encoder's last.
    this.sender.checkedIsLast = false;
    checkTrailers(headers);
    if (s.pendingHeaders !== null) {
      s.trailers = headers;
      return;
    }
    const t = transition(s.state, StreamEvent.SEND_END_STREAM);
    if (isViolation(t)) throw new ApiMisuseError(`sendTrailers: stream ${streamId} cannot send now`);
    s.trailers = headers;
    this.scheduler.add(s);
    this.wantWrite();
  }

  /** Reset a stream (RST_STREAM, default CANCEL). Unknown or closed streams are ignored. */
  reset(streamId: number, errorCode: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    this.resetStream(s, errorCode);
    this.wantWrite();
  }

  /** Send a PING (8 octets of opaque data; default: the current time). */
  ping(opaqueData?: Buffer): void {
    this.checkOpen();
    let d = opaqueData;
    if (d === undefined) {
      d = Buffer.alloc(8);
      d.writeDoubleBE(this.now(), 0);
    }
    if (d.length !== 8) throw new ApiMisuseError(`ping: opaque data must be 8 octets, got ${d.length}`);
    this.queueControl({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: d } as PingFrame, true);
    this.wantWrite();
  }

  /** Send a new SETTINGS frame with these changes; they take effect (for what we accept) on ACK. */
  updateSettings(settings: Partial<LocalSettings>): void {
    this.checkOpen();
    // RFC 8441 section 3: "A sender MUST NOT send a SETTINGS_ENABLE_CONNECT_PROTOCOL parameter
    // with the value of 0 after previously sending a value of 1."
    const connectErr = checkConnectSettingChange(this.settings.advertised().enableConnectProtocol, settings.enableConnectProtocol);
    if (connectErr !== null) throw new ApiMisuseError(`updateSettings: ${connectErr}`);
    this.settings.update(settings);
    this.wantWrite();
  }

  /**
   * RFC 7540 PRIORITY frame (nghttp's anchor streams: PRIORITY on idle streams). Also applied to
   * our own record of the stream, if open.
   */
  sendPriority(streamId: number, priority: PrioritySpec): void {
    this.checkOpen();
    if (!(streamId > 0 && streamId <= MAX_STREAM_ID)) throw new ApiMisuseError(`sendPriority: bad stream id ${streamId}`);
    if (priority.dependsOn === streamId) throw new ApiMisuseError('sendPriority: a stream cannot depend on itself');
    this.queueControl({ type: FrameType.PRIORITY, flags: 0, streamId, priority } as PriorityFrame, true);
    const s = this.streams.get(streamId);
    if (s !== undefined) s.priority = priority;
    this.scheduler.setPriority(streamId, priority, s ?? null);
    // An idle id of ours used as an anchor: future requests must use higher ids.
    if ((streamId & 1) === (this.role === 'client' ? 1 : 0) && streamId >= this.nextStreamId) this.nextStreamId = streamId + 2;
    this.wantWrite();
  }

  /** RFC 9218 PRIORITY_UPDATE (client): reprioritise a request stream with a Priority field value. */
  sendPriorityUpdate(streamId: number, priorityFieldValue: string): void {
    this.checkOpen();
    if (this.role !== 'client') throw new ApiMisuseError('sendPriorityUpdate: servers must not send PRIORITY_UPDATE');
    this.queueControl(
      { type: FrameType.PRIORITY_UPDATE, flags: 0, streamId: 0, prioritizedStreamId: streamId, priorityFieldValue } as PriorityUpdateFrame,
      true,
    );
    this.wantWrite();
  }

  /**
   * Start shutting down. With NO_ERROR (the default) a server runs the graceful two-phase
   * shutdown of RFC 9113 section 6.8: GOAWAY with 2^31-1 plus a PING, then, once the PING is
   * acknowledged, GOAWAY with the last stream id it processed; streams up to it finish, then
   * `connectionTerminated`. A client sends one GOAWAY. Any other code ends the connection now.
   */
  goaway(errorCode: number = ErrorCode.NO_ERROR, debugData?: Buffer): void {
    if (this.closed) return;
    this.shutdown.goaway(errorCode, debugData);
  }

  /** Outbound octets queued on a stream (for backpressure). 0 for unknown streams. */
  queuedBytes(streamId: number): number {
    const s = this.streams.get(streamId);
    return s === undefined ? 0 : s.queued;
  }

  /** Whether a stream is open in any form (not idle-unknown and not closed). */
  isStreamOpen(streamId: number): boolean {
    return this.streams.has(streamId);
  }

  /** Streams currently known (open, half-closed, reserved, or queued requests). */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Whether dataToSend() has anything (control frames or sendable DATA). */
  get wantsWrite(): boolean {
    return this.output.bytes > 0 || (this.scheduler.size > 0 && !this.closed);
  }

  /** Our SETTINGS payload (as sent first), base64url-encode it for an h2c `HTTP2-Settings` header. */
  settingsPayload(): Buffer {
    // The payload of our first SETTINGS frame: the HTTP2-Settings header carries the same
    // settings as that frame, in its order.
    return Buffer.from(this.settings.firstPayload, 'latin1');
  }

  /**
   * h2c Upgrade (RFC 7540 section 3.2). Server: the HTTP/1.1 request becomes stream 1
   * (half-closed remote unless `endStream` is false), the client's HTTP2-Settings payload applies
   * as its SETTINGS, and `requestReceived` is emitted for stream 1. Client: stream 1 is
   * half-closed (local), its response arrives as usual; call right after construction.
   */
  upgrade(http2SettingsPayload: Buffer, requestHeaders: HeaderField[] = [], endStream = true): void {
    this.checkOpen();
    if (this.streams.size > 0 || this.lastPeerStreamId > 0 || this.nextStreamId > 2)
      throw new ApiMisuseError('upgrade: must be the first thing on the session');
    const s = upgradeStream(this, http2SettingsPayload, requestHeaders, endStream);
    this.streams.set(1, s);
    if (this.role === 'server') {
      this.lastPeerStreamId = 1;
      this.remoteActive++;
      this.streamEvents.requestReceived(1, requestHeaders, endStream);
      if (endStream) this.streamEvents.streamEnded(1);
    } else {
      this.localActive++;
      this.nextStreamId = 3;
    }
  }

  // ---------------------------------------------------------------- output

  /** @internal Signal the transport that there is something to write. */
  wantWrite(): void {
    this.output.wantWrite();
  }

  /**
   * @internal Queue a control frame. Frames the peer provokes (ACKs, RST_STREAM, WINDOW_UPDATE)
   * count against `maxQueuedControlFrames` unless `ours` says the application asked for it.
   */
  queueControl(f: Frame, ours = false): void {
    // Control frame flood: the peer makes us queue replies faster than the transport takes
    // them (CVE-2019-9512/9514/9515). nghttp2 calls this "too many outbound control frames".
    if (!this.output.control(f, ours) && !this.closed) {
      this.connectionError(new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many queued control frames (peer is not reading)'));
    }
  }

  /** @internal Queue a WINDOW_UPDATE for consumed octets (InboundFlow's sender). */
  queueWindowUpdate(streamId: number, inc: number): void {
    this.output.windowUpdate(streamId, inc);
    this.wantWrite();
  }

  /** @internal Whether `id` is a stream not closed yet (for the output queue's stale WINDOW_UPDATEs). */
  isLiveStream(id: number): boolean {
    const s = this.streams.get(id);
    return s !== undefined && s.state !== StreamState.CLOSED;
  }

  /** @internal */
  queueRst(id: number, code: number): void {
    this.queueControl({ type: FrameType.RST_STREAM, flags: 0, streamId: id, errorCode: code } as RstStreamFrame);
    this.wantWrite();
  }

  /** @internal Frame `s`'s trailers now (after its DATA). */
  flushTrailers(s: Stream): void {
    const t = s.trailers!;
    s.trailers = null;
    s.endQueued = false;
    this.sender.headers(s.id, t, true, undefined, 'headers');
    this.localEnded(s);
  }

  /**
   * Fill the output: report the frames already queued, then frame DATA chosen by the write
   * scheduler within the flow-control windows (and trailers after their stream's DATA). Returns
   * false when nothing is ready.
   */
  private collect(maxBytes: number): boolean {
    const out = this.output;
    out.dropStaleWindowUpdates(this.shutdown.terminating, this);
    const outer = out.beginHandOut();
    try {
      if (!this.closed) this.writer.pull(maxBytes);
    } finally {
      out.endHandOut(outer);
    }
    return out.hasOutput;
  }

  /**
   * Bytes to write now: queued control frames first, then DATA chosen by the write scheduler
   * within the flow-control windows (and trailers after their stream's DATA), coalesced into one
   * Buffer. `maxBytes` bounds the DATA pulled (transport backpressure). Null when nothing is ready.
   * `frameSent` fires here, for each frame whose bytes are handed out.
   */
  dataToSend(maxBytes = Infinity): Buffer | null {
    if (!this.collect(maxBytes)) return null;
    return this.output.take();
  }

  /**
   * Like {@link dataToSend}, without copying bodies: the same bytes as a list of Buffers to write
   * in order (e.g. corked, so the socket does one writev). Runs of small pieces (frame headers,
   * control frames, HEADERS, small DATA) are coalesced into one Buffer; DATA payloads of at least
   * `zeroCopyMin` octets are the application's own Buffers (views), passed through uncopied.
   * Null when nothing is ready.
   */
  dataToSendParts(maxBytes = Infinity, zeroCopyMin = ZERO_COPY_MIN): Buffer[] | null {
    if (!this.collect(maxBytes)) return null;
    return this.output.takeParts(zeroCopyMin);
  }
}
