/**
 * The sans-IO HTTP/2 session (RFC 9113): bytes in -> events out; commands -> bytes out. It owns all
 * connection state: stream states, flow-control windows, SETTINGS, the HPACK contexts, shutdown.
 */
import { ApiMisuseError, ConnectionError, ErrorCode, H2Error, StreamError } from '../errors';
import { encodeFrame, validateSetting, withPadding, writeFrameHeader } from '../frame/codec';
import { choosePadding, PaddingPolicy } from '../frame/padding';
import {
  CONNECTION_PREFACE, DEFAULT_INITIAL_WINDOW_SIZE, Flag, FRAME_HEADER_LENGTH, FrameType,
  MAX_WINDOW_SIZE, Setting,
} from '../frame/constants';
import { Deframer } from '../frame/deframer';
import { HeaderBlockAssembler } from '../frame/header-block';
import type {
  DataFrame, Frame, GoawayFrame, HeaderField, HeadersFrame, PingFrame, PriorityFrame, PrioritySpec,
  PriorityUpdateFrame, PushPromiseFrame, RstStreamFrame, SettingEntry, SettingsFrame, WindowUpdateFrame,
} from '../frame/types';
import { HpackDecoder } from '../hpack/decoder';
import { HpackEncoder } from '../hpack/encoder';
import { HeaderListTooLargeError } from '../hpack/errors';
import {
  checkOutgoing, MessageInfo, newMessageInfo, parsePriorityField, validateRequest, validateResponse, validateTrailers,
} from '../http/semantics';
import { WriteScheduler } from './scheduler';
import { defaultLocalSettings, encodeSettingsPayload, SETTING_KEYS, settingsEntries } from './settings';
import { Stream } from './stream';
import { IdMap } from './id-map';
import { isViolation, lateFrameVerdict, StreamEvent, StreamState, transition, Violation } from './stream-state';
import { TokenBucket } from './token-bucket';
import {
  CloseCause, DEFAULT_LIMITS, HeadersCategory, LocalSettings, RequestOptions, RespondOptions, RFC_INITIAL_SETTINGS,
  SessionEvent, SessionLimits, SessionOptions,
} from './types';

export * from './types';

const MAX_STREAM_ID = 0x7fffffff;
/** CloseCause by small integer, for the closed-stream table. */
const CAUSE_CODES: readonly CloseCause[] = ['endStream', 'localReset', 'remoteReset', 'connection'];
/** Opaque data of the PING that ends phase one of a graceful shutdown. */
const SHUTDOWN_PING = Buffer.from('nghttp2s', 'latin1');
/** dataToSendParts: DATA payloads at least this long are handed out as they are (no copy). */
export const ZERO_COPY_MIN = 4096;

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
export class Session {
  /** Which end of the connection this session is. */
  readonly role: 'client' | 'server';
  /** What the peer advertised (RFC initial values until its SETTINGS arrives). */
  readonly remoteSettings: LocalSettings = { ...RFC_INITIAL_SETTINGS };
  /** What we advertised and the peer ACKed (RFC initial values until the first ACK). */
  readonly localSettings: LocalSettings = { ...RFC_INITIAL_SETTINGS };
  /** The connection is over: no more frames are processed or accepted. */
  get closed(): boolean {
    return this.ended;
  }
  private ended = false;

  private readonly limits: SessionLimits;
  private readonly onEvent: (ev: SessionEvent) => void;
  private readonly onWantWrite: (() => void) | undefined;
  private readonly padding: PaddingPolicy | undefined;
  private readonly frameEvents: boolean;
  private readonly now: () => number;
  /** How long a SETTINGS frame may stay unacknowledged (and phase one of a graceful shutdown may last), in ms. */
  readonly settingsTimeoutMs: number;
  private readonly encoderMaxTableSize: number;

  private readonly deframer: Deframer;
  private readonly assembler: HeaderBlockAssembler;
  private readonly encoder: HpackEncoder;
  private readonly decoder: HpackDecoder;
  private readonly scheduler = new WriteScheduler();
  /** Bound once: the deframer's and the assembler's emit callbacks (no per-chunk closures). */
  private readonly onRawFrame: (f: Frame) => void;
  private readonly onFrame: (f: Frame) => void;

  private readonly streams = new IdMap<Stream>();
  /** Recently closed streams and how they closed (bounded FIFO). */
  private readonly closedIds: Int32Array;
  private readonly closedCauses: Uint8Array;
  /** Highest stream id the peer opened (or promised, for a client). */
  private lastPeerStreamId = 0;
  /** Next id for a stream we initiate. */
  private nextStreamId: number;
  /** Streams we initiated that count against the peer's MAX_CONCURRENT_STREAMS. */
  private localActive = 0;
  /** Streams the peer initiated that count against ours. */
  private remoteActive = 0;
  /** Server: promised streams not yet answered (they will count once their HEADERS go out). */
  private reservedLocal = 0;
  /** Client: streams whose HEADERS wait for a concurrency slot, in id order. */
  private readonly pendingOpen: Stream[] = [];

  // Flow control (RFC 9113 section 6.9).
  private connSendWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  private connRecvWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  /** Size of our connection receive window, to decide when to send WINDOW_UPDATE. */
  private connRecvWindowSize = DEFAULT_INITIAL_WINDOW_SIZE;
  private connUnackedConsumed = 0;
  /** The largest connection window granted so far (65535 plus every `setConnectionWindowSize` growth). */
  private connAdvertisedWindow = DEFAULT_INITIAL_WINDOW_SIZE;
  /** DATA octets delivered to the application and not yet consumed (caps `consume`). */
  private connUnconsumed = 0;
  /** The stream receive window size new streams get (our INITIAL_WINDOW_SIZE, raised at send). */
  private streamRecvWindowSize = DEFAULT_INITIAL_WINDOW_SIZE;

  // SETTINGS in flight: each sent frame's full local settings, ACKed in order.
  private readonly pendingSettings: { settings: LocalSettings; sentAt: number; minHeaderTableSize?: number }[] = [];
  private gotPeerSettings = false;
  /** The entries of our first SETTINGS frame (also the h2c HTTP2-Settings payload). */
  private firstSettings: SettingEntry[] = [];

  // Output.
  private readonly out: Buffer[] = [];
  private outBytes = 0;
  /** Control frames queued and not yet taken by dataToSend (flood limit). */
  private queuedControl = 0;
  private wantWriteSignalled = false;
  /** frameSent events of frames queued but not yet handed out (only with `frameEvents`). */
  private pendingSent: SessionEvent[] = [];
  /** Inside dataToSend: frames framed now are reported at once. */
  private handingOut = false;
  /**
   * WINDOW_UPDATEs in `out` not yet handed out: their slot in `out`, their stream and their
   * frameSent event, so collect() can still drop them (as nghttp2 does at send time).
   */
  private pendingWindowUpdates: { slot: number; streamId: number; ev: SessionEvent | undefined }[] = [];
  /** We queued a GOAWAY that ends the connection (a client's goaway(), a connection error). */
  private terminating = false;

  // Shutdown.
  /** Last stream id in the GOAWAY we sent (MAX_STREAM_ID in phase one), or -1. */
  private goawaySentLastId = -1;
  private goawayFinal = false;
  private goawayStartedAt = 0;
  private goawayReceivedLastId = -1;
  private terminatedEmitted = false;
  /** Whether the peer's first SETTINGS frame (or the h2c HTTP2-Settings) has been applied. */
  private remoteSettingsSeen = false;

  // Rate limits.
  private readonly resetBucket: TokenBucket;
  private readonly pingBucket: TokenBucket;
  private readonly settingsBucket: TokenBucket;
  private readonly emptyDataBucket: TokenBucket;
  private readonly priorityBucket: TokenBucket;

  /** Scratch for HTTP validation (reused: no allocation per message). */
  private readonly info: MessageInfo = newMessageInfo();
  /** The names and values of the last response header list that passed checkFields. */
  private lastCheckedResponse: string[] | null = null;

  constructor(opts: SessionOptions) {
    if (opts.role !== 'client' && opts.role !== 'server') throw new ApiMisuseError(`role must be 'client' or 'server'`);
    this.role = opts.role;
    this.onEvent = opts.onEvent;
    this.onWantWrite = opts.onWantWrite;
    this.padding = opts.padding;
    this.frameEvents = opts.frameEvents !== false;
    this.now = opts.now ?? Date.now;
    this.settingsTimeoutMs = opts.settingsTimeoutMs ?? 10000;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    if (opts.settings?.maxConcurrentStreams !== undefined && opts.limits?.maxConcurrentStreams === undefined) {
      this.limits.maxConcurrentStreams = opts.settings.maxConcurrentStreams;
    }
    this.encoderMaxTableSize = opts.encoderMaxTableSize ?? 4096;
    this.remoteSettings.maxConcurrentStreams = opts.peerMaxConcurrentStreams ?? 100;
    this.closedIds = new Int32Array(Math.max(0, this.limits.maxClosedStreamsRemembered));
    this.closedCauses = new Uint8Array(this.closedIds.length);
    this.nextStreamId = this.role === 'client' ? 1 : 2;

    const t = this.now();
    const L = this.limits;
    this.resetBucket = new TokenBucket(L.resetBurst, L.resetPerSecond, t);
    this.pingBucket = new TokenBucket(L.pingBurst, L.pingPerSecond, t);
    this.settingsBucket = new TokenBucket(L.settingsBurst, L.settingsPerSecond, t);
    this.emptyDataBucket = new TokenBucket(L.emptyDataBurst, L.emptyDataPerSecond, t);
    this.priorityBucket = new TokenBucket(L.priorityBurst, L.priorityPerSecond, t);

    this.deframer = new Deframer({ expectPreface: this.role === 'server', onStreamError: (e) => this.parseStreamError(e) });
    this.assembler = new HeaderBlockAssembler({ maxContinuations: L.maxContinuations });
    this.encoder = new HpackEncoder({ maxTableSize: this.encoderMaxTableSize });
    // No separate cap on one string: the whole block is already in memory (bounded by the frame
    // size and maxContinuations), and a field too long for our header-list limit must end as
    // HeaderListTooLargeError (decoded whole, HPACK table in step: a stream-level 431 or
    // RST_STREAM) rather than a connection-ending COMPRESSION_ERROR.
    this.decoder = new HpackDecoder({
      maxHeaderListSize: Math.min(L.maxHeaderListSize, opts.settings?.maxHeaderListSize ?? Infinity),
      maxStringLength: Infinity,
    });
    this.onRawFrame = (f) => this.assembler.push(f, this.onFrame);
    this.onFrame = (f) => this.handleFrame(f);

    // Our connection preface (RFC 9113 section 3.4): client magic, then SETTINGS from both.
    let local: LocalSettings;
    let entries: SettingEntry[];
    let minHeaderTableSize: number | undefined;
    if (opts.settingsList !== undefined) {
      if (opts.settings !== undefined) throw new ApiMisuseError('give settings or settingsList, not both');
      ({ local, minHeaderTableSize } = this.settingsFromList(opts.settingsList));
      entries = opts.settingsList.map((e) => ({ id: e.id, value: e.value }));
    } else {
      const given = opts.settings ?? {};
      local = { ...defaultLocalSettings(this.role, this.limits), ...given };
      if (this.role === 'server') local.enablePush = false;
      this.checkLocalSettings(local);
      entries = settingsEntries(local, given, this.role);
    }
    if (this.role === 'client') this.queueRaw(CONNECTION_PREFACE);
    if (opts.extraSettings) for (const e of opts.extraSettings) entries.push({ id: e.id, value: e.value });
    this.firstSettings = entries;
    this.sendSettingsFrame(entries, local, minHeaderTableSize);
    if (opts.connectionWindowSize !== undefined) this.setConnectionWindowSize(opts.connectionWindowSize);
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
    if (!Number.isInteger(n) || n < 0 || n > MAX_WINDOW_SIZE) throw new ApiMisuseError(`connectionWindowSize ${n} outside 0..2^31-1`);
    if (n > this.connAdvertisedWindow) {
      this.queueControl({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: n - this.connAdvertisedWindow } as WindowUpdateFrame);
      this.connRecvWindow += n - this.connAdvertisedWindow;
      this.connAdvertisedWindow = n;
      this.wantWrite();
    } else if (n < this.connRecvWindowSize) {
      // The peer still holds the window it was granted: the octets it may send beyond `n` are
      // taken back as they arrive (consumed but never returned) before WINDOW_UPDATEs resume,
      // as nghttp2_session_set_local_window_size does with its "recv_reduction".
      this.connUnackedConsumed -= this.connRecvWindowSize - n;
    }
    this.connRecvWindowSize = Math.max(n, 1);
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
      this.deframer.push(bytes, this.onRawFrame);
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
      this.deframer.end(this.onRawFrame);
      this.assembler.end(this.onFrame);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.terminate(ErrorCode.NO_ERROR, this.goawayReceivedLastId >= 0 ? this.goawayReceivedLastId : this.lastPeerStreamId, true, undefined);
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
    // Graceful shutdown, phase one: a peer that never answers the PING does not hold it open.
    if (this.goawaySentLastId === MAX_STREAM_ID && !this.goawayFinal && nowMs - this.goawayStartedAt > this.settingsTimeoutMs) {
      this.sendFinalGoaway();
      this.wantWrite();
    }
    const p = this.pendingSettings[0];
    if (p !== undefined && nowMs - p.sentAt > this.settingsTimeoutMs) {
      this.connectionError(new ConnectionError(ErrorCode.SETTINGS_TIMEOUT, `SETTINGS not acknowledged within ${this.settingsTimeoutMs} ms`));
    }
  }

  /**
   * A frame the codec rejected for one stream only (RFC 9113 section 6.3: "A PRIORITY frame with a
   * length other than 5 octets MUST be treated as a stream error (Section 5.4.2) of type
   * FRAME_SIZE_ERROR."; section 6.9: a WINDOW_UPDATE increment of 0 on a stream "MUST be treated
   * as a stream error"): the frame is dropped, the stream reset, reading goes on.
   */
  private parseStreamError(err: StreamError): void {
    if (this.closed) return;
    const id = err.streamId;
    const s = this.streams.get(id);
    // The codec cannot know the stream's state; the state table decides. RFC 9113 section 5.1,
    // idle: "Receiving any frame other than HEADERS or PRIORITY on a stream in this state MUST be
    // treated as a connection error (Section 5.4.1) of type PROTOCOL_ERROR." (a WINDOW_UPDATE of 0
    // on an idle stream). A bad PRIORITY on an idle stream stays the stream error section 6.3 names.
    if (s === undefined ? this.isIdle(id) : s.pendingHeaders !== null) {
      const event = err.message.startsWith('WINDOW_UPDATE') ? StreamEvent.RECV_WINDOW_UPDATE : StreamEvent.RECV_PRIORITY;
      const t = transition(StreamState.IDLE, event);
      if (isViolation(t) && t.scope === 'connection') {
        this.connectionError(new ConnectionError(t.code, `${err.message} (stream ${id} is idle)`));
        return;
      }
    }
    this.streamError(id, err.code, err.message);
  }

  /** Turn a thrown error into a stream or connection error. */
  private fail(err: unknown): void {
    if (err instanceof StreamError && err.streamId !== 0) {
      // Only reached if a stream error escapes the deframer's onStreamError path.
      this.streamError(err.streamId, err.code, err.message);
    } else if (err instanceof H2Error) {
      this.connectionError(err);
    } else {
      this.connectionError(new ConnectionError(ErrorCode.INTERNAL_ERROR, `internal error: ${(err as Error)?.message ?? err}`), err as Error);
    }
  }

  private handleFrame(f: Frame): void {
    if (this.closed) return;
    // RFC 9113 section 3.4: "The server connection preface consists of a potentially empty
    // SETTINGS frame (Section 6.5) that MUST be the first frame the server sends in the HTTP/2
    // connection." / "... the client connection preface ... MUST be followed by a SETTINGS frame".
    // "Clients and servers MUST treat an invalid connection preface as a connection error
    // (Section 5.4.1) of type PROTOCOL_ERROR."
    if (!this.gotPeerSettings) {
      if (f.type !== FrameType.SETTINGS || (f.flags & Flag.ACK) !== 0) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'connection preface: the first frame is not SETTINGS');
      }
      this.gotPeerSettings = true;
    }
    if ('payload' in f) {
      // RFC 9113 section 4.1: "Implementations MUST ignore and discard frames of unknown types."
      if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
      return;
    }
    switch (f.type) {
      case FrameType.DATA: return this.recvData(f);
      case FrameType.HEADERS: return this.recvHeaders(f);
      case FrameType.PRIORITY: return this.recvPriority(f);
      case FrameType.RST_STREAM: return this.recvRstStream(f);
      case FrameType.SETTINGS: return this.recvSettings(f);
      case FrameType.PUSH_PROMISE: return this.recvPushPromise(f);
      case FrameType.PING: return this.recvPing(f);
      case FrameType.GOAWAY: return this.recvGoaway(f);
      case FrameType.WINDOW_UPDATE: return this.recvWindowUpdate(f);
      case FrameType.PRIORITY_UPDATE: return this.recvPriorityUpdate(f);
      default:
        // ALTSVC, ORIGIN: informational only, nothing to enforce here.
        if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    }
  }

  /** Whether `id` would be initiated by the peer. */
  private isPeerId(id: number): boolean {
    return (id & 1) === (this.role === 'server' ? 1 : 0);
  }

  /** Whether `id` names a stream still idle (never opened by whoever owns its parity). */
  private isIdle(id: number): boolean {
    return this.isPeerId(id) ? id > this.lastPeerStreamId : id >= this.nextStreamId;
  }

  /**
   * Frame on a stream we have no record of: idle (connection PROTOCOL_ERROR unless allowed) or
   * closed (decided by how it closed). Returns true when the frame must be ignored.
   */
  private frameOnUnknownStream(id: number, event: StreamEvent): true {
    if (this.isIdle(id)) {
      const t = transition(StreamState.IDLE, event);
      if (isViolation(t)) this.violation(t, id, `frame not allowed on idle stream ${id}`);
      return true;
    }
    const v = lateFrameVerdict(this.closedCause(id), event);
    if (v !== 'ignore') this.violation(v, id, `frame on closed stream ${id}`);
    return true;
  }

  /** Raise a table violation as the right error. Stream errors are handled in place (no throw). */
  private violation(v: Violation, id: number, msg: string): void {
    if (v.scope === 'connection') throw new ConnectionError(v.code, msg);
    this.streamError(id, v.code, msg);
  }

  private recvData(f: DataFrame): void {
    const id = f.streamId;
    const len = f.length ?? f.data.length + (f.padLength === undefined ? 0 : f.padLength + 1);
    // RFC 9113 section 6.9.1: "A receiver MAY respond with a stream error (Section 5.4.2) or
    // connection error (Section 5.4.1) of type FLOW_CONTROL_ERROR if it is unable to accept a
    // frame." — a sender exceeding the connection window.
    if (len > this.connRecvWindow) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `DATA of ${len} octets exceeds the connection window ${this.connRecvWindow}`);
    }
    this.connRecvWindow -= len;
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    const endStream = (f.flags & Flag.END_STREAM) !== 0;
    if (len === 0 && !endStream && !this.emptyDataBucket.take(this.now())) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'flood of empty DATA frames');
    }
    const s = this.streams.get(id);
    if (s === undefined || s.pendingHeaders !== null) {
      // Octets of a frame that no one will consume go straight back to the connection window.
      this.releaseConnection(len);
      this.frameOnUnknownStream(id, StreamEvent.RECV_DATA);
      return;
    }
    const t = transition(s.state, StreamEvent.RECV_DATA);
    if (isViolation(t)) {
      this.releaseConnection(len);
      return this.violation(t, id, `DATA on stream ${id} in a state that forbids it`);
    }
    // RFC 9113 section 8.1 (paraphrased): a message is a header section in HEADERS, then zero or
    // more DATA frames, then optionally a trailer section; DATA before the final response header
    // is a malformed response.
    if (!s.headersDone) {
      this.releaseConnection(len);
      return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `DATA on stream ${id} before the response header`);
    }
    if (len > s.recvWindow) {
      this.releaseConnection(len);
      return this.streamError(id, ErrorCode.FLOW_CONTROL_ERROR, `DATA of ${len} octets exceeds the stream window ${s.recvWindow}`);
    }
    s.recvWindow -= len;
    // Padding is released at once: the application never sees it.
    const pad = len - f.data.length;
    if (pad > 0) {
      this.releaseConnection(pad);
      this.releaseStream(s, pad);
    }
    s.dataReceived += f.data.length;
    // RFC 9113 section 8.1.1: "A request or response is also malformed if the value of a
    // content-length header field does not equal the sum of the DATA frame payload lengths that
    // form the content".
    if (s.contentLength >= 0 && (s.dataReceived > s.contentLength || (endStream && s.dataReceived !== s.contentLength))) {
      this.releaseConnection(f.data.length);
      return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `content-length ${s.contentLength} does not match ${s.dataReceived} octets of DATA`);
    }
    s.unconsumed += f.data.length;
    this.connUnconsumed += f.data.length;
    if (f.data.length > 0 || endStream) {
      this.onEvent({ type: 'dataReceived', streamId: id, data: f.data, flowControlledLength: len, endStream });
    }
    if (endStream) this.remoteEnded(s);
  }

  /** The peer's END_STREAM was processed on `s`. */
  private remoteEnded(s: Stream): void {
    if (s.state === StreamState.CLOSED) return;
    const t = transition(s.state, StreamEvent.RECV_END_STREAM) as StreamState;
    s.state = t;
    this.onEvent({ type: 'streamEnded', streamId: s.id });
    if (t === StreamState.CLOSED) this.closeStream(s, 'endStream', ErrorCode.NO_ERROR);
  }

  /** Decode a header block; header-list-too-large becomes a stream error (returns null). */
  private decodeBlock(f: HeadersFrame | PushPromiseFrame, resetId: number): HeaderField[] | null {
    try {
      return this.decoder.decode(f.fragment);
    } catch (err) {
      if (err instanceof HeaderListTooLargeError) {
        if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
        this.headerListTooLarge(resetId, f.type === FrameType.HEADERS && (f.flags & Flag.END_STREAM) !== 0);
        return null;
      }
      throw err;
    }
  }

  private headerListTooLarge(id: number, endStream: boolean): void {
    // RFC 9113 section 10.5.1: "A server that receives a larger field block than it is willing to
    // handle can send an HTTP 431 (Request Header Fields Too Large) status code [RFC6585]. A client
    // can discard responses that it cannot process."
    const s = this.streams.get(id);
    if (this.role === 'server' && s === undefined && this.isPeerId(id) && id > this.lastPeerStreamId && this.goawaySentLastId < 0) {
      const st = this.openPeerStream(id);
      if (st === null) return;
      st.state = endStream ? StreamState.HALF_CLOSED_REMOTE : StreamState.OPEN;
      st.headersDone = true;
      this.respond(id, [[':status', '431']], { endStream: true });
      // RFC 9113 section 8.1: "A server can send a complete response prior to the client sending
      // an entire request ... the server MAY request that the client abort transmission of a
      // request without error by sending a RST_STREAM with an error code of NO_ERROR".
      const left = this.streams.get(id);
      if (left !== undefined) this.resetStream(left, ErrorCode.NO_ERROR);
      return;
    }
    if (s !== undefined) {
      this.streamError(id, ErrorCode.PROTOCOL_ERROR, 'header list larger than our limit');
    } else if (this.isPeerId(id) && id > this.lastPeerStreamId) {
      this.lastPeerStreamId = id;
      this.queueRst(id, ErrorCode.REFUSED_STREAM);
      this.rememberClosed(id, 'localReset');
    }
  }

  /** Create a stream the peer opens; applies our concurrency limit. Null when refused. */
  private openPeerStream(id: number): Stream | null {
    this.lastPeerStreamId = id;
    // RFC 9113 section 5.1.2: "An endpoint that receives a HEADERS frame that causes its
    // advertised concurrent stream limit to be exceeded MUST treat this as a stream error
    // (Section 5.4.2) of type PROTOCOL_ERROR or REFUSED_STREAM."
    if (this.remoteActive >= this.limits.maxConcurrentStreams) {
      this.queueRst(id, ErrorCode.REFUSED_STREAM);
      this.rememberClosed(id, 'localReset');
      this.countReset();
      return null;
    }
    const s = new Stream(id, false, this.remoteSettings.initialWindowSize, this.streamRecvWindowSize);
    this.streams.set(id, s);
    return s;
  }

  private recvHeaders(f: HeadersFrame): void {
    const id = f.streamId;
    let s = this.streams.get(id);
    const headers = this.decodeBlock(f, id);
    if (headers === null) return;
    const endStream = (f.flags & Flag.END_STREAM) !== 0;
    let category: HeadersCategory = 'headers';
    if (s === undefined) {
      if (this.role === 'server' && this.isPeerId(id) && id > this.lastPeerStreamId) {
        if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f, headers, category: 'request' });
        // RFC 9113 section 6.8: "Once the GOAWAY is sent, the sender will ignore frames sent on
        // streams initiated by the receiver if the stream has an identifier higher than the
        // included last stream identifier."
        if (this.goawayFinal) return;
        const ns = this.openPeerStream(id);
        if (ns === null) return;
        s = ns;
        s.state = transition(StreamState.IDLE, StreamEvent.RECV_HEADERS) as StreamState;
        s.counted = true;
        this.remoteActive++;
        if (f.priority) this.applyRfc7540Priority(s, f.priority);
        const info = this.info;
        const err = validateRequest(headers, this.advertised().enableConnectProtocol, endStream, info);
        if (err !== null) return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `malformed request: ${err}`);
        // RFC 9113 section 8.1.1: content-length must equal the DATA that follows (none here).
        if (endStream && info.contentLength > 0) {
          return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `content-length ${info.contentLength} on a request without content`);
        }
        s.contentLength = info.contentLength;
        s.headersDone = true;
        if (info.priority !== null) {
          const p = parsePriorityField(info.priority);
          if (p !== null) this.scheduler.setUrgency(s, p.urgency, p.incremental);
        }
        this.onEvent({ type: 'requestReceived', streamId: id, headers, endStream });
        if (endStream) this.remoteEnded(s);
        return;
      }
      if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f, headers, category });
      // A client never accepts HEADERS opening a stream: servers open streams with PUSH_PROMISE.
      if (this.isIdle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
      this.frameOnUnknownStream(id, StreamEvent.RECV_HEADERS);
      return;
    }
    if (s.pendingHeaders !== null) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
    const t = transition(s.state, StreamEvent.RECV_HEADERS);
    if (!isViolation(t)) {
      if (this.role === 'client' && !s.headersDone) category = s.pushed ? 'push_response' : 'response';
    }
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f, headers, category });
    if (isViolation(t)) return this.violation(t, id, `HEADERS on stream ${id} in a state that forbids it`);
    if (s.state === StreamState.RESERVED_REMOTE) {
      // RFC 9113 section 5.1.2: a pushed stream counts once the server opens it with HEADERS;
      // "An endpoint that receives a HEADERS frame that causes its advertised concurrent stream
      // limit to be exceeded MUST treat this as a stream error (Section 5.4.2) of type
      // PROTOCOL_ERROR or REFUSED_STREAM."
      if (this.remoteActive >= this.limits.maxConcurrentStreams) return this.streamError(id, ErrorCode.REFUSED_STREAM, 'push beyond our concurrency limit');
      s.counted = true;
      this.remoteActive++;
    }
    s.state = t;
    if (f.priority) this.applyRfc7540Priority(s, f.priority);
    if (s.headersDone) {
      // RFC 9113 section 8.1: "An endpoint that receives a HEADERS frame without the END_STREAM
      // flag set after receiving the HEADERS frame that opens a request or after receiving a
      // final (non-informational) status code MUST treat the corresponding request or response
      // as malformed (Section 8.1.1)."
      const err = endStream ? validateTrailers(headers) : 'HEADERS without END_STREAM after the message header';
      if (err !== null) return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `malformed trailers: ${err}`);
      if (s.contentLength >= 0 && s.dataReceived !== s.contentLength) {
        return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `content-length ${s.contentLength} does not match ${s.dataReceived} octets of DATA`);
      }
      this.onEvent({ type: 'trailersReceived', streamId: id, headers });
      this.remoteEnded(s);
      return;
    }
    if (this.role === 'server') {
      // A server sees a second header block only as trailers (handled above).
      return this.streamError(id, ErrorCode.PROTOCOL_ERROR, 'unexpected HEADERS');
    }
    const info = this.info;
    const err = validateResponse(headers, endStream, info);
    if (err !== null) return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `malformed response: ${err}`);
    const informational = info.status < 200;
    if (!informational) {
      s.headersDone = true;
      // RFC 9110 section 6.4.1: responses to HEAD and 204/304 responses carry no content, whatever
      // content-length says (for HEAD and 304 it describes the representation): no DATA octets.
      s.contentLength = s.headRequest || info.status === 204 || info.status === 304 ? 0 : info.contentLength;
    }
    this.onEvent({ type: 'responseReceived', streamId: id, headers, endStream, informational });
    if (endStream) {
      if (s.contentLength > 0) return this.streamError(id, ErrorCode.PROTOCOL_ERROR, `content-length ${s.contentLength} but no DATA`);
      this.remoteEnded(s);
    }
  }

  private recvPushPromise(f: PushPromiseFrame): void {
    // RFC 9113 section 8.4: "A client cannot push. Thus, servers MUST treat the receipt of a
    // PUSH_PROMISE frame as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
    if (this.role === 'server') throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE received by a server');
    // RFC 9113 section 6.5.2, SETTINGS_ENABLE_PUSH: "An endpoint that has both set this parameter
    // to 0 and had it acknowledged MUST treat the receipt of a PUSH_PROMISE frame as a connection
    // error (Section 5.4.1) of type PROTOCOL_ERROR."
    if (!this.localSettings.enablePush) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE while push is disabled');
    const pid = f.promisedStreamId;
    // RFC 9113 section 5.1.1: "An endpoint that receives an unexpected stream identifier MUST
    // respond with a connection error (Section 5.4.1) of type PROTOCOL_ERROR." (promised ids are
    // even, new and increasing)
    if (pid === 0 || (pid & 1) === 1 || pid <= this.lastPeerStreamId) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `PUSH_PROMISE promises unexpected stream ${pid}`);
    }
    const headers = this.decodeBlock(f, pid);
    if (headers === null) return;
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f, headers, category: 'headers' });
    this.lastPeerStreamId = pid;
    const parent = this.streams.get(f.streamId);
    if (parent === undefined || parent.pendingHeaders !== null) {
      this.frameOnUnknownStream(f.streamId, StreamEvent.RECV_PUSH_PROMISE);
      // The associated stream is gone: refuse the promise (RFC 9113 section 8.4.2 allows a
      // client to cancel pushes with RST_STREAM).
      if (!this.closed) {
        this.queueRst(pid, ErrorCode.CANCEL);
        this.rememberClosed(pid, 'localReset');
      }
      return;
    }
    const t = transition(parent.state, StreamEvent.RECV_PUSH_PROMISE);
    if (isViolation(t)) return this.violation(t, f.streamId, `PUSH_PROMISE on stream ${f.streamId} in a state that forbids it`);
    const s = new Stream(pid, false, this.remoteSettings.initialWindowSize, this.streamRecvWindowSize);
    s.pushed = true;
    s.state = transition(StreamState.IDLE, StreamEvent.RECV_PROMISED) as StreamState;
    this.streams.set(pid, s);
    // RFC 9113 section 8.4: "Promised requests MUST be safe (see Section 9.2.1 of [HTTP]) and
    // cacheable" and "The server MUST include a value in the :authority pseudo-header field".
    const info = this.info;
    const err = validateRequest(headers, false, true, info);
    if (err !== null || (info.method !== 'GET' && info.method !== 'HEAD')) {
      return this.streamError(pid, ErrorCode.PROTOCOL_ERROR, `malformed promised request: ${err ?? `method ${info.method} is not safe and cacheable`}`);
    }
    s.headRequest = info.method === 'HEAD';
    this.onEvent({ type: 'pushPromiseReceived', streamId: f.streamId, promisedStreamId: pid, headers });
  }

  private recvPriority(f: PriorityFrame): void {
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    if (!this.priorityBucket.take(this.now())) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'PRIORITY flood');
    const s = this.streams.get(f.streamId);
    if (s !== undefined) this.applyRfc7540Priority(s, f.priority);
    // PRIORITY on an idle stream shapes the tree for streams that will depend on it (nghttp's
    // anchor streams); on a closed stream it is ignored (RFC 9113 section 5.1).
    else if (this.isIdle(f.streamId) && !this.localSettings.noRfc7540Priorities) this.scheduler.setPriority(f.streamId, f.priority, null);
  }

  private applyRfc7540Priority(s: Stream, p: PrioritySpec): void {
    // RFC 9218 section 2.1: an endpoint that sent SETTINGS_NO_RFC7540_PRIORITIES = 1 ignores them.
    if (this.localSettings.noRfc7540Priorities) return;
    s.priority = p;
    this.scheduler.setPriority(s.id, p, s);
  }

  private recvPriorityUpdate(f: PriorityUpdateFrame): void {
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    // RFC 9218 section 7.1 (paraphrased): PRIORITY_UPDATE frames are sent by clients only; a
    // client that receives one responds with a connection error of type PROTOCOL_ERROR.
    if (this.role === 'client') throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY_UPDATE received by a client');
    const id = f.prioritizedStreamId;
    const s = this.streams.get(id);
    const p = parsePriorityField(f.priorityFieldValue);
    if (s !== undefined && p !== null) this.scheduler.setUrgency(s, p.urgency, p.incremental);
    this.onEvent({ type: 'priorityUpdateReceived', streamId: id, priority: f.priorityFieldValue });
  }

  private recvRstStream(f: RstStreamFrame): void {
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    const id = f.streamId;
    // Rapid reset (CVE-2023-44487): every RST_STREAM the peer sends costs a token.
    if (!this.resetBucket.take(this.now())) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'RST_STREAM flood (rapid reset)');
    const s = this.streams.get(id);
    if (s === undefined || s.pendingHeaders !== null) {
      this.frameOnUnknownStream(id, StreamEvent.RECV_RST_STREAM);
      return;
    }
    this.onEvent({ type: 'streamReset', streamId: id, errorCode: f.errorCode, remote: true });
    this.closeStream(s, 'remoteReset', f.errorCode);
  }

  /** `implicit`: settings from an h2c HTTP2-Settings header, acknowledged by the 101 itself. */
  private recvSettings(f: SettingsFrame, implicit = false): void {
    if (this.frameEvents && !implicit) this.onEvent({ type: 'frameReceived', frame: f });
    if (f.flags & Flag.ACK) {
      const p = this.pendingSettings.shift();
      // An ACK for nothing we sent: ignored (nghttp2 does the same).
      if (p === undefined) return;
      // RFC 7541 section 4.2: a table size that went down and back up within one frame must
      // still be signalled by its minimum first: the decoder expects that update, then the final.
      if (p.minHeaderTableSize !== undefined) {
        this.decoder.setMaxTableSize(p.minHeaderTableSize);
        this.decoder.setMaxTableSize(p.settings.headerTableSize);
      }
      this.applyAckedSettings(p.settings);
      this.onEvent({ type: 'settingsAcknowledged' });
      return;
    }
    if (!this.settingsBucket.take(this.now())) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'SETTINGS flood');
    const r = this.remoteSettings;
    if (!this.remoteSettingsSeen) {
      // The assumed limit (peerMaxConcurrentStreams) gives way to the RFC initial value
      // ("initially, there is no limit to this value") unless this frame names one.
      this.remoteSettingsSeen = true;
      r.maxConcurrentStreams = RFC_INITIAL_SETTINGS.maxConcurrentStreams;
    }
    for (const e of f.settings) {
      const v = e.value;
      switch (e.id) {
        case Setting.HEADER_TABLE_SIZE:
          r.headerTableSize = v;
          this.encoder.setPeerMaxTableSize(v);
          break;
        case Setting.ENABLE_PUSH:
          // RFC 9113 section 6.5.2: "A client MUST treat receipt of a SETTINGS frame with
          // SETTINGS_ENABLE_PUSH set to 1 as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
          if (this.role === 'client' && v === 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'server sent SETTINGS_ENABLE_PUSH = 1');
          r.enablePush = v === 1;
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          r.maxConcurrentStreams = v;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          // RFC 9113 section 6.9.2: "When the value of SETTINGS_INITIAL_WINDOW_SIZE changes, a
          // receiver MUST adjust the size of all stream flow-control windows that it maintains by
          // the difference between the new value and the old value." ... "An endpoint MUST treat a
          // change to SETTINGS_INITIAL_WINDOW_SIZE that causes any flow-control window to exceed
          // the maximum size as a connection error (Section 5.4.1) of type FLOW_CONTROL_ERROR."
          const delta = v - r.initialWindowSize;
          r.initialWindowSize = v;
          if (delta !== 0) {
            for (const s of this.streams.values()) {
              s.sendWindow += delta;
              if (s.sendWindow > MAX_WINDOW_SIZE) {
                throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE change overflows the window of stream ${s.id}`);
              }
              if (delta > 0 && s.queued + (s.endQueued || s.trailers ? 1 : 0) > 0 && s.sendWindow > 0) this.scheduler.add(s);
            }
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          r.maxFrameSize = v;
          break;
        case Setting.MAX_HEADER_LIST_SIZE:
          r.maxHeaderListSize = v;
          break;
        case Setting.ENABLE_CONNECT_PROTOCOL:
          // RFC 8441 section 3: "A sender MUST NOT send a SETTINGS_ENABLE_CONNECT_PROTOCOL
          // parameter with the value of 0 after previously sending a value of 1."
          if (v === 0 && r.enableConnectProtocol) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS_ENABLE_CONNECT_PROTOCOL went from 1 to 0');
          r.enableConnectProtocol = v === 1;
          break;
        case Setting.NO_RFC7540_PRIORITIES:
          r.noRfc7540Priorities = v === 1;
          break;
        default:
          // RFC 9113 section 6.5.2: "An endpoint that receives a SETTINGS frame with any unknown
          // or unsupported identifier MUST ignore that setting."
          break;
      }
    }
    // RFC 9113 section 6.5.3: "Once all values have been processed, the recipient MUST
    // immediately emit a SETTINGS frame with the ACK flag set."
    if (!implicit) this.queueControl({ type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as SettingsFrame);
    this.onEvent({ type: 'settingsReceived', settings: f.settings });
    this.openPending();
    this.wantWrite();
  }

  /** The settings we advertised most recently (ACKed or not). */
  private advertised(): LocalSettings {
    const p = this.pendingSettings;
    return p.length > 0 ? p[p.length - 1].settings : this.localSettings;
  }

  private applyAckedSettings(s: LocalSettings): void {
    const l = this.localSettings;
    if (s.headerTableSize !== l.headerTableSize) this.decoder.setMaxTableSize(s.headerTableSize);
    if (s.maxFrameSize !== l.maxFrameSize) this.deframer.setMaxFrameSize(s.maxFrameSize);
    // RFC 9113 section 6.5.3: the values apply once acknowledged; a larger limit is only enforced
    // after the peer knows it, a smaller one too (a peer may have sent under the old one).
    if (s.maxHeaderListSize !== l.maxHeaderListSize) this.decoder.setMaxHeaderListSize(Math.min(this.limits.maxHeaderListSize, s.maxHeaderListSize));
    if (s.initialWindowSize < l.initialWindowSize) {
      // A smaller window takes effect once the peer knows it: shrink open streams now.
      const delta = s.initialWindowSize - Math.max(l.initialWindowSize, this.streamRecvWindowSize);
      for (const st of this.streams.values()) st.recvWindow += delta;
      this.streamRecvWindowSize = s.initialWindowSize;
    }
    Object.assign(l, s);
  }

  private recvPing(f: PingFrame): void {
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    if (f.flags & Flag.ACK) {
      this.onEvent({ type: 'pingAcknowledged', opaqueData: f.opaqueData });
      if (this.goawaySentLastId === MAX_STREAM_ID && !this.goawayFinal && f.opaqueData.equals(SHUTDOWN_PING)) this.sendFinalGoaway();
      return;
    }
    // Ping flood (CVE-2019-9512).
    if (!this.pingBucket.take(this.now())) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'PING flood');
    // RFC 9113 section 6.7: "Receivers of a PING frame that does not include an ACK flag MUST send
    // a PING frame with the ACK flag set in response, with an identical frame payload."
    this.queueControl({ type: FrameType.PING, flags: Flag.ACK, streamId: 0, opaqueData: Buffer.from(f.opaqueData) } as PingFrame);
    this.onEvent({ type: 'pingReceived', opaqueData: f.opaqueData });
    this.wantWrite();
  }

  private recvGoaway(f: GoawayFrame): void {
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    const last = f.lastStreamId;
    // RFC 9113 section 6.8: "Endpoints MUST NOT increase the value they send in the last stream
    // identifier, since the peers might already have retried unprocessed requests on another
    // connection." A larger value than before is kept at the smaller one.
    const effective = this.goawayReceivedLastId >= 0 ? Math.min(this.goawayReceivedLastId, last) : last;
    this.goawayReceivedLastId = effective;
    this.onEvent({ type: 'goawayReceived', lastStreamId: last, errorCode: f.errorCode, debugData: f.debugData });
    // "... streams initiated by the sender of the GOAWAY ... with identifiers higher than the
    // identified last stream ... were not processed; the receiver can retry them."
    for (const s of [...this.streams.values()]) {
      if (s.local && s.id > effective) this.closeStream(s, 'connection', ErrorCode.REFUSED_STREAM);
    }
    if (f.errorCode !== ErrorCode.NO_ERROR) {
      this.terminate(f.errorCode, this.lastPeerStreamId, true, undefined);
      return;
    }
    this.maybeFinish();
  }

  private recvWindowUpdate(f: WindowUpdateFrame): void {
    if (this.frameEvents) this.onEvent({ type: 'frameReceived', frame: f });
    const inc = f.windowSizeIncrement;
    if (f.streamId === 0) {
      // RFC 9113 section 6.9.1: "If a sender receives a WINDOW_UPDATE that causes a flow-control
      // window to exceed this maximum, it MUST terminate either the stream or the connection, as
      // appropriate. For streams, the sender sends a RST_STREAM with an error code of
      // FLOW_CONTROL_ERROR; for the connection, a GOAWAY frame with an error code of
      // FLOW_CONTROL_ERROR is sent."
      if (this.connSendWindow + inc > MAX_WINDOW_SIZE) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
      const wasBlocked = this.connSendWindow <= 0;
      this.connSendWindow += inc;
      if (wasBlocked && this.connSendWindow > 0 && this.scheduler.size > 0) this.wantWrite();
      return;
    }
    const s = this.streams.get(f.streamId);
    if (s === undefined || s.pendingHeaders !== null) {
      this.frameOnUnknownStream(f.streamId, StreamEvent.RECV_WINDOW_UPDATE);
      return;
    }
    const t = transition(s.state, StreamEvent.RECV_WINDOW_UPDATE);
    if (isViolation(t)) return this.violation(t, s.id, `WINDOW_UPDATE on stream ${s.id} in a state that forbids it`);
    if (s.sendWindow + inc > MAX_WINDOW_SIZE) return this.streamError(s.id, ErrorCode.FLOW_CONTROL_ERROR, `stream ${s.id} window above 2^31-1`);
    s.sendWindow += inc;
    if (s.sendWindow > 0 && (s.queued > 0 || s.endQueued || s.trailers !== null) && !s.scheduled && s.pendingHeaders === null) {
      this.scheduler.add(s);
      this.wantWrite();
    }
  }

  // ---------------------------------------------------------------- errors and closing

  /** A stream error: RST_STREAM queued, events emitted, the stream closed. Nothing else touched. */
  private streamError(id: number, code: number, message: string): void {
    if (this.closed) return;
    const s = this.streams.get(id);
    if (s !== undefined) {
      this.resetStream(s, code, message);
    } else {
      this.queueRst(id, code);
      this.rememberClosed(id, 'localReset');
      this.onEvent({ type: 'streamReset', streamId: id, errorCode: code, remote: false, reason: message });
    }
    // Streams we must reset cost a token too: a peer provoking endless stream errors is a reset
    // flood (CVE-2019-9514).
    this.countReset();
  }

  private countReset(): void {
    if (!this.resetBucket.take(this.now())) {
      this.connectionError(new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many stream errors (reset flood)'));
    }
  }

  /** Reset a live stream from our side. */
  private resetStream(s: Stream, code: number, reason?: string): void {
    if (s.pendingHeaders === null && s.state !== StreamState.IDLE) this.queueRst(s.id, code);
    this.onEvent({ type: 'streamReset', streamId: s.id, errorCode: code, remote: false, reason });
    this.closeStream(s, 'localReset', code);
  }

  private closeStream(s: Stream, cause: CloseCause, code: number): void {
    if (!this.streams.delete(s.id)) return;
    if (s.state === StreamState.RESERVED_LOCAL) this.reservedLocal--;
    s.state = StreamState.CLOSED;
    if (s.counted) {
      s.counted = false;
      if (s.local) this.localActive--;
      else this.remoteActive--;
    }
    this.scheduler.closed(s);
    if (s.pendingHeaders !== null) {
      s.pendingHeaders = null;
      const i = this.pendingOpen.indexOf(s);
      if (i >= 0) this.pendingOpen.splice(i, 1);
    }
    // Window the application will never consume goes back to the connection.
    if (s.unackedConsumed > 0) s.unackedConsumed = 0;
    s.out.length = 0;
    s.queued = 0;
    this.rememberClosed(s.id, cause);
    this.onEvent({ type: 'streamClosed', streamId: s.id, errorCode: code });
    if (this.pendingOpen.length > 0) this.openPending();
    this.maybeFinish();
  }

  /**
   * Record how a stream closed in a direct-mapped table (slot = id mod size): O(1), no allocation,
   * bounded; a newer stream overwrites an old one in its slot, which then counts as forgotten.
   */
  private rememberClosed(id: number, cause: CloseCause): void {
    const n = this.closedIds.length;
    if (n === 0) return;
    const slot = id % n;
    this.closedIds[slot] = id;
    this.closedCauses[slot] = CAUSE_CODES.indexOf(cause);
  }

  private closedCause(id: number): CloseCause | undefined {
    const n = this.closedIds.length;
    if (n === 0) return undefined;
    const slot = id % n;
    return this.closedIds[slot] === id ? CAUSE_CODES[this.closedCauses[slot]] : undefined;
  }

  /** Fail the connection: GOAWAY with the code and last processed stream id, then terminated. */
  private connectionError(err: H2Error, cause?: Error): void {
    if (this.closed) return;
    this.flushFinished();
    this.terminating = true;
    this.queueControl({
      type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: this.lastPeerStreamId, errorCode: err.code,
      debugData: Buffer.from(err.message.slice(0, 256), 'latin1'),
    } as GoawayFrame, true);
    this.goawaySentLastId = this.lastPeerStreamId;
    this.goawayFinal = true;
    this.terminate(err.code, this.lastPeerStreamId, false, cause ?? err);
  }

  /**
   * Finished work stands: responses (or requests) the application completed before a connection
   * error are framed now, within the windows, ahead of the GOAWAY.
   */
  private flushFinished(): void {
    const sched = this.scheduler;
    // Bounded: each pass frames at most one DATA frame; unfinished or blocked streams drop out.
    for (let guard = 0; guard < 100000 && sched.size > 0; guard++) {
      const s = sched.pop()!;
      if (!s.endQueued && s.trailers === null) continue;
      const sent = this.writeStreamData(s, Infinity);
      if (sent < 0) break;
      if (s.state !== StreamState.CLOSED && (s.queued > 0 || s.endQueued || s.trailers !== null) && s.sendWindow > 0 && sent > 0) {
        sched.requeue(s, sent);
      }
    }
  }

  /** End the connection: close every stream, emit connectionTerminated once. */
  private terminate(code: number, lastStreamId: number, remote: boolean, error: Error | undefined): void {
    if (this.closed) return;
    this.ended = true;
    for (const s of [...this.streams.values()]) this.closeStream(s, 'connection', code === ErrorCode.NO_ERROR ? ErrorCode.CANCEL : code);
    if (!this.terminatedEmitted) {
      this.terminatedEmitted = true;
      this.onEvent({ type: 'connectionTerminated', errorCode: code, lastStreamId, remote, error });
    }
    this.wantWrite();
  }

  /** After a graceful GOAWAY (sent or received): terminate once no stream remains. */
  private maybeFinish(): void {
    if (this.closed) return;
    const draining = this.goawayFinal || this.goawayReceivedLastId >= 0;
    if (!draining || this.streams.size > 0 || this.pendingOpen.length > 0) return;
    if (this.goawayReceivedLastId >= 0 && !this.goawayFinal) {
      this.terminate(ErrorCode.NO_ERROR, this.goawayReceivedLastId, true, undefined);
    } else {
      this.terminate(ErrorCode.NO_ERROR, this.goawaySentLastId, false, undefined);
    }
  }

  private sendFinalGoaway(): void {
    this.goawayFinal = true;
    this.goawaySentLastId = this.lastPeerStreamId;
    this.queueControl({ type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: this.lastPeerStreamId, errorCode: 0, debugData: Buffer.alloc(0) } as GoawayFrame, true);
    this.wantWrite();
    // Streams above the last id were never opened by us (we ignored them), nothing to close.
    this.maybeFinish();
  }

  // ---------------------------------------------------------------- flow control (inbound)

  /**
   * The application consumed `n` octets of `streamId`'s DATA: release that much window. WINDOW_UPDATE
   * frames are batched: one is sent when half a window has been consumed.
   */
  consume(streamId: number, n: number): void {
    if (!(n > 0) || this.closed) return;
    // Never release more than was delivered and not yet released: an over-eager caller must not
    // push the peer's window past what we granted (or past 2^31-1).
    if (n > this.connUnconsumed) n = this.connUnconsumed;
    if (n === 0) return;
    this.connUnconsumed -= n;
    this.releaseConnection(n);
    const s = this.streams.get(streamId);
    if (s === undefined) return;
    const m = n < s.unconsumed ? n : s.unconsumed;
    s.unconsumed -= m;
    this.releaseStream(s, m);
  }

  private releaseStream(s: Stream, n: number): void {
    // No WINDOW_UPDATE once the peer has ended its side: it will not send more.
    if (n <= 0 || s.state === StreamState.HALF_CLOSED_REMOTE || s.state === StreamState.CLOSED) return;
    s.unackedConsumed += n;
    if (s.unackedConsumed >= this.streamRecvWindowSize >>> 1 || s.unackedConsumed >= 65536) {
      const inc = s.unackedConsumed;
      s.unackedConsumed = 0;
      s.recvWindow += inc;
      this.queueWindowUpdate(s.id, inc);
      this.wantWrite();
    }
  }

  private releaseConnection(n: number): void {
    this.connUnackedConsumed += n;
    if (this.connUnackedConsumed >= this.connRecvWindowSize >>> 1) {
      const inc = this.connUnackedConsumed;
      this.connUnackedConsumed = 0;
      this.connRecvWindow += inc;
      this.queueWindowUpdate(0, inc);
      this.wantWrite();
    }
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
    if (this.goawayReceivedLastId >= 0 || this.goawaySentLastId >= 0) throw new ApiMisuseError('the connection is going away: no new streams');
    if (this.nextStreamId > MAX_STREAM_ID) throw new ApiMisuseError('stream ids exhausted: open a new connection');
    if (this.pendingOpen.length >= this.limits.maxPendingRequests) throw new ApiMisuseError('too many requests queued');
    this.checkFields(headers, true, 'request');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const s = new Stream(id, true, this.remoteSettings.initialWindowSize, this.streamRecvWindowSize);
    s.pendingHeaders = headers;
    s.pendingEndStream = opts.endStream === true;
    s.pendingPriority = opts.priority ?? (opts.weight !== undefined ? { exclusive: false, dependsOn: 0, weight: opts.weight } : undefined);
    for (let i = 0; i < headers.length; i++) {
      const name = headers[i][0];
      if (name.charCodeAt(0) !== 0x3a) break;
      if (name === ':method') s.headRequest = headers[i][1] === 'HEAD';
      // RFC 8441 section 4: a client uses :protocol only once the server sent
      // SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
      else if (name === ':protocol' && !this.remoteSettings.enableConnectProtocol) {
        this.nextStreamId -= 2;
        throw new ApiMisuseError('request: :protocol (extended CONNECT) needs SETTINGS_ENABLE_CONNECT_PROTOCOL from the server');
      }
    }
    this.streams.set(id, s);
    this.pendingOpen.push(s);
    this.openPending();
    // The HEADERS are queued unless the stream waits for a concurrency slot.
    if (this.outBytes > 0) this.wantWrite();
    return id;
  }

  /** Send the HEADERS of queued requests while concurrency slots are free. */
  private openPending(): void {
    const q = this.pendingOpen;
    const before = q.length;
    while (q.length > 0 && this.localActive < this.remoteSettings.maxConcurrentStreams && !this.closed) {
      const s = q.shift()!;
      const headers = s.pendingHeaders!;
      s.pendingHeaders = null;
      const end = s.pendingEndStream && s.queued === 0 && s.trailers === null;
      s.state = transition(StreamState.IDLE, StreamEvent.SEND_HEADERS) as StreamState;
      s.counted = true;
      this.localActive++;
      if (s.pendingPriority !== undefined) this.scheduler.setPriority(s.id, s.pendingPriority, s);
      this.queueHeaders(s.id, headers, end, s.pendingPriority, 'request');
      if (end) {
        s.endQueued = false;
        this.localEnded(s);
      } else if (s.pendingEndStream) {
        s.endQueued = true;
      }
      if (s.state !== StreamState.CLOSED && (s.queued > 0 || s.endQueued || s.trailers !== null)) this.scheduler.add(s);
    }
    // A slot freed by a closing stream (or the server's SETTINGS) sent queued HEADERS: say so.
    if (q.length < before) this.wantWrite();
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
    this.checkFields(headers, false, 'respond');
    let informational = false;
    for (let i = 0; i < headers.length; i++) {
      if (headers[i][0] === ':status') {
        const c = headers[i][1].charCodeAt(0);
        informational = c === 0x31; // '1xx'
        break;
      }
    }
    const end = opts.endStream === true && !informational;
    if (!informational) s.responded = true;
    const wasReserved = s.state === StreamState.RESERVED_LOCAL;
    s.state = t;
    if (wasReserved) {
      this.reservedLocal--;
      s.counted = true;
      this.localActive++;
    }
    this.queueHeaders(streamId, headers, end, undefined, s.pushed ? 'push_response' : 'response');
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
    if (this.goawaySentLastId >= 0 || this.goawayReceivedLastId >= 0) throw new ApiMisuseError('push: the connection is going away');
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
    this.checkFields(requestHeaders, true, 'push');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const s = new Stream(id, true, this.remoteSettings.initialWindowSize, this.streamRecvWindowSize);
    s.pushed = true;
    s.state = transition(StreamState.IDLE, StreamEvent.SEND_PROMISED) as StreamState;
    this.reservedLocal++;
    this.streams.set(id, s);
    const block = this.encode(requestHeaders);
    const frame: PushPromiseFrame = { type: FrameType.PUSH_PROMISE, flags: Flag.END_HEADERS, streamId: parentStreamId, promisedStreamId: id, fragment: block };
    this.queueBlock(frame, block, 4, requestHeaders, 'headers');
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
    if (!Buffer.isBuffer(data)) throw new ApiMisuseError('sendData: data must be a Buffer');
    const s = this.liveStream(streamId, 'sendData');
    if (s.endQueued || s.trailers !== null || (s.pendingHeaders !== null && s.pendingEndStream)) throw new ApiMisuseError(`sendData: stream ${streamId} already ended`);
    if (s.pendingHeaders === null) {
      const t = transition(s.state, StreamEvent.SEND_DATA);
      if (isViolation(t)) throw new ApiMisuseError(`sendData: stream ${streamId} cannot send DATA now`);
      if (this.role === 'server' && !s.responded) throw new ApiMisuseError(`sendData: respond() on stream ${streamId} first`);
    }
    if (data.length > 0) {
      s.out.push(data);
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
    this.sendData(streamId, Buffer.alloc(0), true);
  }

  /** Send trailers (HEADERS with END_STREAM) after the queued DATA. */
  sendTrailers(streamId: number, headers: HeaderField[]): void {
    this.checkOpen();
    const s = this.liveStream(streamId, 'sendTrailers');
    if (s.endQueued || s.trailers !== null) throw new ApiMisuseError(`sendTrailers: stream ${streamId} already ended`);
    if (this.role === 'server' && !s.responded) throw new ApiMisuseError(`sendTrailers: respond() on stream ${streamId} first`);
    this.checkFields(headers, false, 'sendTrailers');
    // RFC 9113 section 8.3: "Pseudo-header fields MUST NOT appear in a trailer section."
    for (let i = 0; i < headers.length; i++) if (headers[i][0].charCodeAt(0) === 0x3a) throw new ApiMisuseError(`sendTrailers: pseudo-header ${headers[i][0]} in trailers`);
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
    const base = this.pendingSettings.length > 0 ? this.pendingSettings[this.pendingSettings.length - 1].settings : this.localSettings;
    const next: LocalSettings = { ...base, ...settings };
    this.checkLocalSettings(next);
    const entries: SettingEntry[] = [];
    for (const [k, id] of SETTING_KEYS) {
      const v = settings[k];
      if (v === undefined) continue;
      const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      if (Number.isFinite(n)) entries.push({ id, value: n });
    }
    if (settings.maxConcurrentStreams !== undefined) this.limits.maxConcurrentStreams = settings.maxConcurrentStreams;
    // What we advertise is what we accept: the header-list limit follows the setting (on ACK).
    if (settings.maxHeaderListSize !== undefined) this.limits.maxHeaderListSize = settings.maxHeaderListSize;
    this.sendSettingsFrame(entries, next);
    this.wantWrite();
  }

  /** Refuse to send a malformed field section (RFC 9113 section 8.2). */
  private checkFields(headers: HeaderField[], isRequest: boolean, what: string): void {
    if (!Array.isArray(headers)) throw new ApiMisuseError(`${what}: headers must be an array of [name, value] pairs`);
    // A server answering with the same fields again (nghttpd's cached 200 list) checks them once.
    const last = isRequest ? null : this.lastCheckedResponse;
    if (last !== null && last.length === headers.length * 2) {
      let same = true;
      for (let i = 0, j = 0; i < headers.length; i++, j += 2) {
        const h = headers[i];
        if (h[0] !== last[j] || h[1] !== last[j + 1]) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
    const err = checkOutgoing(headers, isRequest);
    if (err !== null) throw new ApiMisuseError(`${what}: ${err}`);
    if (!isRequest) {
      const copy: string[] = this.lastCheckedResponse ?? (this.lastCheckedResponse = []);
      copy.length = 0;
      for (let i = 0; i < headers.length; i++) copy.push(headers[i][0], headers[i][1]);
    }
  }

  /**
   * Our first SETTINGS given as entries, in wire order, an id possibly repeated. RFC 9113 section
   * 6.5.3: "The values in the SETTINGS frame MUST be processed in the order they appear, with no
   * other frame processing between values", so the last value of an id wins; every value must
   * be valid on its own. Several HEADER_TABLE_SIZE values also leave their minimum: RFC 7541
   * section 4.2 has the peer's encoder signal "the smallest maximum table size that occurs in
   * that interval" before the final one.
   */
  private settingsFromList(list: readonly SettingEntry[]): { local: LocalSettings; minHeaderTableSize?: number } {
    const local: LocalSettings = defaultLocalSettings(this.role, this.limits);
    if (this.role === 'server') local.enablePush = false;
    let min: number | undefined;
    for (const e of list) {
      if (!Number.isInteger(e.id) || e.id < 0 || e.id > 0xffff || !Number.isInteger(e.value) || e.value < 0 || e.value > 0xffffffff) {
        throw new ApiMisuseError(`SETTINGS entry ${e.id}=${e.value} out of range`);
      }
      const key = SETTING_KEYS.find(([, id]) => id === e.id)?.[0];
      if (key === undefined) continue;
      const isFlag = typeof local[key] === 'boolean';
      if (isFlag && e.value > 1) throw new ApiMisuseError(`SETTINGS entry ${e.id} must be 0 or 1, not ${e.value}`);
      if (key === 'enablePush' && this.role === 'server' && e.value !== 0) throw new ApiMisuseError('a server must not set ENABLE_PUSH to 1');
      (local as unknown as Record<string, number | boolean>)[key] = isFlag ? e.value === 1 : e.value;
      this.checkLocalSettings(local);
      if (key === 'headerTableSize') min = min === undefined ? e.value : Math.min(min, e.value);
    }
    return { local, minHeaderTableSize: min !== undefined && min < local.headerTableSize ? min : undefined };
  }

  private checkLocalSettings(s: LocalSettings): void {
    if (!(s.maxFrameSize >= 16384 && s.maxFrameSize <= 16777215)) throw new ApiMisuseError(`maxFrameSize ${s.maxFrameSize} outside 16384..16777215`);
    if (!(s.initialWindowSize >= 0 && s.initialWindowSize <= MAX_WINDOW_SIZE)) throw new ApiMisuseError(`initialWindowSize ${s.initialWindowSize} outside 0..2^31-1`);
    if (!(s.headerTableSize >= 0 && s.headerTableSize <= 0xffffffff)) throw new ApiMisuseError(`headerTableSize ${s.headerTableSize} out of range`);
  }

  private sendSettingsFrame(entries: SettingEntry[], next: LocalSettings, minHeaderTableSize?: number): void {
    // A larger receive window may be used by the peer as soon as it reads the frame: grow now.
    if (next.initialWindowSize > this.streamRecvWindowSize) {
      const delta = next.initialWindowSize - this.streamRecvWindowSize;
      for (const st of this.streams.values()) st.recvWindow += delta;
      this.streamRecvWindowSize = next.initialWindowSize;
    }
    this.pendingSettings.push({ settings: next, sentAt: this.now(), minHeaderTableSize });
    this.queueControl({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: entries } as SettingsFrame, true);
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
    this.queueControl({ type: FrameType.PRIORITY_UPDATE, flags: 0, streamId: 0, prioritizedStreamId: streamId, priorityFieldValue } as PriorityUpdateFrame, true);
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
    if (errorCode !== ErrorCode.NO_ERROR) {
      const err = new ConnectionError(errorCode, debugData ? debugData.toString('latin1') : 'connection closed by the application');
      this.connectionError(err);
      return;
    }
    if (this.goawaySentLastId >= 0) {
      // Called again during phase one: do not wait for the PING any longer.
      if (!this.goawayFinal) this.sendFinalGoaway();
      this.wantWrite();
      return;
    }
    if (this.role === 'server') {
      this.goawayStartedAt = this.now();
      // RFC 9113 section 6.8: "A server that is attempting to gracefully shut down a connection
      // SHOULD send an initial GOAWAY frame with the last stream identifier set to 2^31-1 and a
      // NO_ERROR code. ... After allowing time for any in-flight stream creation (at least one
      // round-trip time), the server MAY send another GOAWAY frame with an updated last stream identifier."
      this.goawaySentLastId = MAX_STREAM_ID;
      this.queueControl({ type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: MAX_STREAM_ID, errorCode: 0, debugData: debugData ?? Buffer.alloc(0) } as GoawayFrame, true);
      this.queueControl({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: SHUTDOWN_PING } as PingFrame, true);
    } else {
      this.goawaySentLastId = this.lastPeerStreamId;
      this.goawayFinal = true;
      this.terminating = true;
      this.queueControl({ type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: this.lastPeerStreamId, errorCode: 0, debugData: debugData ?? Buffer.alloc(0) } as GoawayFrame, true);
      // Requests not yet sent will never be: refuse them now.
      for (const s of [...this.pendingOpen]) this.closeStream(s, 'connection', ErrorCode.REFUSED_STREAM);
      this.maybeFinish();
    }
    this.wantWrite();
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
    return this.outBytes > 0 || (this.scheduler.size > 0 && !this.closed);
  }

  /** Our SETTINGS payload (as sent first), base64url-encode it for an h2c `HTTP2-Settings` header. */
  settingsPayload(): Buffer {
    // The entries of our first SETTINGS frame, in its order: the HTTP2-Settings header carries
    // the same settings as that frame.
    return encodeSettingsPayload(this.firstSettings);
  }

  /**
   * h2c Upgrade (RFC 7540 section 3.2). Server: the HTTP/1.1 request becomes stream 1
   * (half-closed remote unless `endStream` is false), the client's HTTP2-Settings payload applies
   * as its SETTINGS, and `requestReceived` is emitted for stream 1. Client: stream 1 is
   * half-closed (local), its response arrives as usual; call right after construction.
   */
  upgrade(http2SettingsPayload: Buffer, requestHeaders: HeaderField[] = [], endStream = true): void {
    this.checkOpen();
    if (this.streams.size > 0 || this.lastPeerStreamId > 0 || this.nextStreamId > 2) throw new ApiMisuseError('upgrade: must be the first thing on the session');
    if (this.role === 'server') {
      if (http2SettingsPayload.length % 6 !== 0) throw new ApiMisuseError('upgrade: HTTP2-Settings payload is not a multiple of 6 octets');
      const settings: SettingEntry[] = [];
      for (let i = 0; i < http2SettingsPayload.length; i += 6) settings.push({ id: http2SettingsPayload.readUInt16BE(i), value: http2SettingsPayload.readUInt32BE(i + 2) });
      const frame: SettingsFrame = { type: FrameType.SETTINGS, flags: 0, streamId: 0, settings };
      try {
        // RFC 7540 section 3.2.1: the HTTP2-Settings payload is applied as the client's first
        // SETTINGS; the 101 response acknowledges it (no SETTINGS ACK frame is sent for it).
        for (const e of settings) validateSetting(e.id, e.value);
        this.recvSettings(frame, true);
      } catch (err) {
        throw new ApiMisuseError(`upgrade: bad HTTP2-Settings: ${(err as Error).message}`);
      }
      const s = new Stream(1, false, this.remoteSettings.initialWindowSize, this.streamRecvWindowSize);
      this.lastPeerStreamId = 1;
      s.state = endStream ? StreamState.HALF_CLOSED_REMOTE : StreamState.OPEN;
      s.counted = true;
      s.headersDone = true;
      this.remoteActive++;
      this.streams.set(1, s);
      this.onEvent({ type: 'requestReceived', streamId: 1, headers: requestHeaders, endStream });
      if (endStream) this.onEvent({ type: 'streamEnded', streamId: 1 });
    } else {
      const s = new Stream(1, true, this.remoteSettings.initialWindowSize, this.streamRecvWindowSize);
      s.state = StreamState.HALF_CLOSED_LOCAL;
      s.counted = true;
      this.localActive++;
      for (const [n, v] of requestHeaders) if (n === ':method' && v === 'HEAD') s.headRequest = true;
      this.streams.set(1, s);
      this.nextStreamId = 3;
    }
  }

  // ---------------------------------------------------------------- output

  private wantWrite(): void {
    if (this.wantWriteSignalled || this.onWantWrite === undefined) return;
    this.wantWriteSignalled = true;
    this.onWantWrite();
  }

  private queueRaw(b: Buffer): void {
    this.out.push(b);
    this.outBytes += b.length;
  }

  /**
   * Queue a control frame. Frames the peer provokes (ACKs, RST_STREAM, WINDOW_UPDATE) count against
   * `maxQueuedControlFrames` unless `ours` says the application asked for it.
   */
  private queueControl(f: Frame, ours = false): void {
    const b = encodeFrame(f);
    this.out.push(b);
    this.outBytes += b.length;
    if (!ours) {
      // Control frame flood: the peer makes us queue replies faster than the transport takes
      // them (CVE-2019-9512/9514/9515). nghttp2 calls this "too many outbound control frames".
      if (++this.queuedControl > this.limits.maxQueuedControlFrames && !this.closed) {
        if (this.frameEvents) this.sent({ type: 'frameSent', frame: f });
        this.connectionError(new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many queued control frames (peer is not reading)'));
        return;
      }
    }
    if (this.frameEvents) this.sent({ type: 'frameSent', frame: f });
  }

  /**
   * Queue a WINDOW_UPDATE for consumed octets, remembering its slot: nghttp2 checks such a frame
   * again when it is about to send it (session_predicate_window_update_send) and drops it once
   * the session is closing or its stream is closed; collect() does the same before hand-out.
   */
  private queueWindowUpdate(streamId: number, inc: number): void {
    const slot = this.out.length;
    const before = this.pendingSent.length;
    this.queueControl({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId, windowSizeIncrement: inc } as WindowUpdateFrame, true);
    // Framed while handing out: already reported, it goes out with this batch as it is.
    if (this.handingOut) return;
    this.pendingWindowUpdates.push({ slot, streamId, ev: this.pendingSent.length > before ? this.pendingSent[this.pendingSent.length - 1] : undefined });
  }

  /**
   * Drop the queued WINDOW_UPDATEs nghttp2 would no longer send: all of them once we queued a
   * GOAWAY that ends the connection (NGHTTP2_ERR_SESSION_CLOSING), a stream's once that stream is
   * closed (NGHTTP2_ERR_STREAM_CLOSED). Their bytes leave `out`, their frameSent events are never
   * reported.
   */
  private dropStaleWindowUpdates(): void {
    const wus = this.pendingWindowUpdates;
    if (wus.length === 0) return;
    this.pendingWindowUpdates = [];
    let dropped: Set<SessionEvent> | undefined;
    // From the last slot back, so the earlier slots stay where they are.
    for (let i = wus.length - 1; i >= 0; i--) {
      const w = wus[i];
      const stale = this.terminating || (w.streamId !== 0 && !this.isLiveStream(w.streamId));
      if (!stale) continue;
      const b = this.out[w.slot];
      this.out.splice(w.slot, 1);
      this.outBytes -= b.length;
      if (w.ev !== undefined) (dropped ??= new Set()).add(w.ev);
    }
    if (dropped !== undefined) this.pendingSent = this.pendingSent.filter((ev) => !dropped!.has(ev));
  }

  private isLiveStream(id: number): boolean {
    const s = this.streams.get(id);
    return s !== undefined && s.state !== StreamState.CLOSED;
  }

  private queueRst(id: number, code: number): void {
    this.queueControl({ type: FrameType.RST_STREAM, flags: 0, streamId: id, errorCode: code } as RstStreamFrame);
    this.wantWrite();
  }

  /**
   * HPACK-encode a header list. An encoder failure leaves its context out of step with the peer's
   * decoder, so the connection cannot go on: it ends with GOAWAY INTERNAL_ERROR, and the command
   * that asked throws.
   */
  private encode(headers: HeaderField[]): Buffer {
    try {
      return this.encoder.encode(headers);
    } catch (err) {
      this.connectionError(new ConnectionError(ErrorCode.INTERNAL_ERROR, `HPACK encoder failed: ${(err as Error).message}`), err as Error);
      throw new ApiMisuseError(`could not encode the header list: ${(err as Error).message}`);
    }
  }

  /** Encode (HPACK, now, in wire order) and queue a HEADERS frame plus CONTINUATIONs. */
  private queueHeaders(id: number, headers: HeaderField[], endStream: boolean, priority: PrioritySpec | undefined, category: HeadersCategory): void {
    const block = this.encode(headers);
    const frame: HeadersFrame = {
      type: FrameType.HEADERS, flags: Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId: id, fragment: block,
    };
    if (priority !== undefined) frame.priority = priority;
    this.queueBlock(frame, block, priority !== undefined ? 5 : 0, headers, category);
  }

  private queueBlock(frame: HeadersFrame | PushPromiseFrame, block: Buffer, fixed: number, headers: HeaderField[], category: HeadersCategory): void {
    const max = this.remoteSettings.maxFrameSize;
    // RFC 9113 section 4.3: "Each field block is processed as a discrete unit. Field blocks MUST
    // be transmitted as a contiguous sequence of frames, with no interleaved frames of any other
    // type or from any other stream."
    if (this.padding === undefined && fixed === 0 && block.length <= max) {
      // Hot path (every response): the frame header on its own and the HPACK block as it is,
      // no generic encode and no copy of the block (dataToSendParts coalesces the two).
      const h = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
      writeFrameHeader(h, 0, block.length, FrameType.HEADERS, frame.flags, frame.streamId);
      this.out.push(h, block);
      this.outBytes += FRAME_HEADER_LENGTH + block.length;
      if (this.frameEvents) this.sent({ type: 'frameSent', frame, headers, category });
      return;
    }
    if (block.length + fixed <= max) {
      // The padding policy is applied once, so the frame printed is the frame sent; it is cut to
      // what still fits in one frame (nghttp2 too caps a HEADERS frame's padding at the frame size).
      const f = this.padding !== undefined ? withPadding(frame, this.padding, { maxFrameSize: max }) : frame;
      const b = encodeFrame(f, undefined, { maxFrameSize: max });
      this.out.push(b);
      this.outBytes += b.length;
      if (this.frameEvents) this.sent({ type: 'frameSent', frame: f, headers, category });
      return;
    }
    // A block that needs CONTINUATION frames goes unpadded, as nghttp2 sends it (padding is only
    // chosen for a HEADERS frame whose payload is below the maximum frame size).
    const firstLen = max - fixed;
    const first = { ...frame, flags: frame.flags & ~Flag.END_HEADERS, fragment: block.subarray(0, firstLen) } as HeadersFrame | PushPromiseFrame;
    const b = encodeFrame(first, undefined, { maxFrameSize: max });
    this.out.push(b);
    this.outBytes += b.length;
    if (this.frameEvents) this.sent({ type: 'frameSent', frame: first, headers, category });
    for (let at = firstLen; at < block.length; at += max) {
      const end = Math.min(at + max, block.length);
      const cont: Frame = { type: FrameType.CONTINUATION, flags: end === block.length ? Flag.END_HEADERS : 0, streamId: frame.streamId, fragment: block.subarray(at, end) };
      const cb = encodeFrame(cont);
      this.out.push(cb);
      this.outBytes += cb.length;
      if (this.frameEvents) this.sent({ type: 'frameSent', frame: cont });
    }
  }

  /** Our side of `s` ended (END_STREAM sent). */
  private localEnded(s: Stream): void {
    const t = transition(s.state, StreamEvent.SEND_END_STREAM);
    if (isViolation(t)) return;
    s.state = t;
    if (t === StreamState.CLOSED) this.closeStream(s, 'endStream', ErrorCode.NO_ERROR);
  }

  /**
   * A frame's bytes were queued: report `frameSent` when they are handed to the transport (by
   * dataToSend/dataToSendParts), which is when nghttp2 prints `send`. Frames framed while handing
   * out (DATA, trailers) are reported at once, in wire order.
   */
  private sent(ev: SessionEvent): void {
    if (this.handingOut) this.onEvent(ev);
    else this.pendingSent.push(ev);
  }

  /**
   * Fill `out`: report the frames already queued, then frame DATA chosen by the write scheduler
   * within the flow-control windows (and trailers after their stream's DATA). Returns false when
   * nothing is ready.
   */
  private collect(maxBytes: number): boolean {
    this.wantWriteSignalled = false;
    this.queuedControl = 0;
    this.dropStaleWindowUpdates();
    const outer = this.handingOut;
    this.handingOut = true;
    try {
      if (this.pendingSent.length > 0) {
        const evs = this.pendingSent;
        this.pendingSent = [];
        for (let i = 0; i < evs.length; i++) this.onEvent(evs[i]);
      }
      let budget = maxBytes;
      const sched = this.scheduler;
      if (!this.closed) {
        while (budget > 0 && sched.size > 0) {
          const s = sched.pop();
          if (s === undefined) break;
          const sent = this.writeStreamData(s, budget);
          if (sent < 0) {
            // Blocked by the connection window: put it back and stop.
            sched.requeue(s, 0);
            break;
          }
          budget -= sent;
          if (s.state !== StreamState.CLOSED && (s.queued > 0 || s.endQueued || s.trailers !== null) && (s.sendWindow > 0 || s.queued === 0)) {
            sched.requeue(s, sent);
          }
        }
      }
    } finally {
      this.handingOut = outer;
    }
    return this.out.length > 0;
  }

  /**
   * Bytes to write now: queued control frames first, then DATA chosen by the write scheduler
   * within the flow-control windows (and trailers after their stream's DATA), coalesced into one
   * Buffer. `maxBytes` bounds the DATA pulled (transport backpressure). Null when nothing is ready.
   * `frameSent` fires here, for each frame whose bytes are handed out.
   */
  dataToSend(maxBytes = Infinity): Buffer | null {
    if (!this.collect(maxBytes)) return null;
    const out = this.out;
    const buf = out.length === 1 ? out[0] : Buffer.concat(out, this.outBytes);
    out.length = 0;
    this.outBytes = 0;
    return buf;
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
    const out = this.out;
    const n = out.length;
    const parts: Buffer[] = [];
    let runStart = 0;
    let runBytes = 0;
    for (let i = 0; i <= n; i++) {
      const b = i < n ? out[i] : null;
      if (b !== null && b.length < zeroCopyMin) {
        runBytes += b.length;
        continue;
      }
      // Close the run of small pieces [runStart, i).
      if (i - runStart === 1) parts.push(out[runStart]);
      else if (i - runStart > 1) {
        const joined = Buffer.allocUnsafe(runBytes);
        let at = 0;
        for (let j = runStart; j < i; j++) {
          out[j].copy(joined, at);
          at += out[j].length;
        }
        parts.push(joined);
      }
      if (b !== null) parts.push(b);
      runStart = i + 1;
      runBytes = 0;
    }
    out.length = 0;
    this.outBytes = 0;
    return parts;
  }

  /**
   * Emit one DATA frame (or the trailers / an empty END_STREAM) for `s`. Returns octets written,
   * or -1 when the connection window blocks it.
   */
  private writeStreamData(s: Stream, budget: number): number {
    if (s.queued > 0) {
      const maxFrame = this.remoteSettings.maxFrameSize;
      let n = Math.min(s.queued, s.sendWindow, this.connSendWindow, maxFrame, budget);
      if (this.connSendWindow <= 0) return -1;
      if (n <= 0) return 0;
      let pad = 0;
      let frameObj: DataFrame | null = null;
      if (this.padding !== undefined) {
        frameObj = { type: FrameType.DATA, flags: 0, streamId: s.id, data: Buffer.alloc(0) };
        pad = choosePadding(this.padding, frameObj, n, maxFrame);
        // Padding counts against flow control (RFC 9113 section 6.9.1).
        const room = Math.min(s.sendWindow, this.connSendWindow, maxFrame);
        if (n + pad > room) n = Math.max(0, room - pad);
        if (n <= 0) {
          pad = 0;
          n = Math.min(s.queued, s.sendWindow, this.connSendWindow, maxFrame);
        }
      }
      const last = n === s.queued;
      const endFlag = last && s.endQueued && s.trailers === null;
      const flags = (endFlag ? Flag.END_STREAM : 0) | (pad > 0 ? Flag.PADDED : 0);
      const header = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + (pad > 0 ? 1 : 0));
      writeFrameHeader(header, 0, n + pad, FrameType.DATA, flags, s.id);
      if (pad > 0) header[FRAME_HEADER_LENGTH] = pad - 1;
      this.out.push(header);
      this.outBytes += header.length;
      // Take n octets from the stream's chunks (views, no copy until the final concat).
      let need = n;
      const parts = this.frameEvents ? ([] as Buffer[]) : null;
      while (need > 0) {
        const chunk = s.out[s.outHead];
        const avail = chunk.length - s.outOffset;
        let piece: Buffer;
        if (avail <= need) {
          piece = s.outOffset === 0 ? chunk : chunk.subarray(s.outOffset);
          s.outHead++;
          s.outOffset = 0;
        } else {
          piece = chunk.subarray(s.outOffset, s.outOffset + need);
          s.outOffset += need;
        }
        this.out.push(piece);
        this.outBytes += piece.length;
        if (parts !== null) parts.push(piece);
        need -= piece.length;
      }
      if (s.outHead > 32 || s.outHead === s.out.length) {
        s.out.splice(0, s.outHead);
        s.outHead = 0;
      }
      if (pad > 1) {
        const z = Buffer.alloc(pad - 1);
        this.out.push(z);
        this.outBytes += z.length;
      }
      s.queued -= n;
      s.sendWindow -= n + pad;
      this.connSendWindow -= n + pad;
      if (parts !== null) {
        const f: DataFrame = { type: FrameType.DATA, flags, streamId: s.id, data: parts.length === 1 ? parts[0] : Buffer.concat(parts), length: n + pad };
        if (pad > 0) f.padLength = pad - 1;
        this.sent({ type: 'frameSent', frame: f });
      }
      if (s.queued === 0) {
        if (endFlag) {
          s.endQueued = false;
          this.localEnded(s);
        } else if (s.trailers !== null) {
          this.flushTrailers(s);
        } else {
          this.onEvent({ type: 'sendQueueDrained', streamId: s.id });
        }
      }
      return header.length + n + pad;
    }
    if (s.trailers !== null) {
      this.flushTrailers(s);
      return 0;
    }
    if (s.endQueued) {
      s.endQueued = false;
      const header = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
      writeFrameHeader(header, 0, 0, FrameType.DATA, Flag.END_STREAM, s.id);
      this.out.push(header);
      this.outBytes += FRAME_HEADER_LENGTH;
      if (this.frameEvents) this.sent({ type: 'frameSent', frame: { type: FrameType.DATA, flags: Flag.END_STREAM, streamId: s.id, data: Buffer.alloc(0), length: 0 } as DataFrame });
      this.localEnded(s);
      return FRAME_HEADER_LENGTH;
    }
    return 0;
  }

  private flushTrailers(s: Stream): void {
    const t = s.trailers!;
    s.trailers = null;
    s.endQueued = false;
    this.queueHeaders(s.id, t, true, undefined, 'headers');
    this.localEnded(s);
  }
}
