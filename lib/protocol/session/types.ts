/**
 * The session's public vocabulary: settings, DoS limits, options and the events a Session emits.
 * Everything here is plain data; the behaviour lives in session.ts.
 */
import type { Frame, HeaderField, PrioritySpec, SettingEntry } from '../frame/types';
import type { PaddingPolicy } from '../frame/padding';

export type { HeaderField, PrioritySpec, SettingEntry } from '../frame/types';

/**
 * The SETTINGS parameters of RFC 9113 section 6.5.2 (plus RFC 8441 and RFC 9218), by name.
 * `Infinity` means "no limit" (the RFC's initial value for MAX_CONCURRENT_STREAMS and
 * MAX_HEADER_LIST_SIZE) and is never put on the wire.
 */
export interface LocalSettings {
  headerTableSize: number;
  enablePush: boolean;
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxFrameSize: number;
  maxHeaderListSize: number;
  enableConnectProtocol: boolean;
  noRfc7540Priorities: boolean;
}

/** The RFC initial values of every setting (what a peer assumes before any SETTINGS arrive). */
export const RFC_INITIAL_SETTINGS: Readonly<LocalSettings> = Object.freeze({
  headerTableSize: 4096,
  enablePush: true,
  maxConcurrentStreams: Infinity,
  initialWindowSize: 65535,
  maxFrameSize: 16384,
  maxHeaderListSize: Infinity,
  enableConnectProtocol: false,
  noRfc7540Priorities: false,
});

/**
 * Named DoS limits. Each one blocks a known attack; a peer that trips one gets a connection error
 * ENHANCE_YOUR_CALM (or, for header lists, a stream error), and other connections are untouched.
 * Rates are token buckets: `*Burst` tokens, refilled at `*PerSecond`.
 */
export interface SessionLimits {
  /** Header list bigger than this (RFC 7541 size: name + value + 32 each) resets the stream.
   *  Blocks memory exhaustion by huge header lists ("HPACK bomb", CVE-2016-6581 style). */
  maxHeaderListSize: number;
  /** Most CONTINUATION frames in one header block. Blocks the CONTINUATION flood (CVE-2024-27316). */
  maxContinuations: number;
  /** Most streams the peer may open at once; beyond it new streams get REFUSED_STREAM.
   *  Blocks stream exhaustion. Advertised as SETTINGS_MAX_CONCURRENT_STREAMS unless set there. */
  maxConcurrentStreams: number;
  /** Most control frames (PING/SETTINGS ACKs, RST_STREAM, WINDOW_UPDATE) queued but not yet taken
   *  by dataToSend(). Blocks the "peer floods PINGs/SETTINGS while not reading" attack
   *  (CVE-2019-9512 ping flood, CVE-2019-9515 settings flood, CVE-2019-9514 reset flood). */
  maxQueuedControlFrames: number;
  /** RST_STREAM received (or streams we had to reset) per second / burst. Blocks rapid reset
   *  (CVE-2023-44487) and reset floods (CVE-2019-9514). */
  resetPerSecond: number;
  resetBurst: number;
  /** PING frames received per second / burst. Blocks ping floods (CVE-2019-9512). */
  pingPerSecond: number;
  pingBurst: number;
  /** SETTINGS frames received per second / burst. Blocks settings floods (CVE-2019-9515). */
  settingsPerSecond: number;
  settingsBurst: number;
  /** PRIORITY frames received per second / burst. Blocks priority-tree churn ("resource loop",
   *  CVE-2019-9513); the tree is also capped in size and depth. */
  priorityPerSecond: number;
  priorityBurst: number;
  /** DATA frames with no payload and no END_STREAM per second / burst. Blocks the empty frames
   *  flood (CVE-2019-9518). */
  emptyDataPerSecond: number;
  emptyDataBurst: number;
  /** Recently closed streams remembered to answer late frames precisely (RFC 9113 5.1 "closed").
   *  Bounds memory against a peer that opens and closes streams forever. */
  maxClosedStreamsRemembered: number;
  /** Client only: requests queued while MAX_CONCURRENT_STREAMS is reached. Bounds memory. */
  maxPendingRequests: number;
}

/** Defaults: generous enough for h2load/nghttp at full speed, tight enough to stop floods. */
export const DEFAULT_LIMITS: Readonly<SessionLimits> = Object.freeze({
  maxHeaderListSize: 65536,
  maxContinuations: 64,
  maxConcurrentStreams: 100,
  maxQueuedControlFrames: 1000,
  resetPerSecond: 33,
  resetBurst: 1000,
  pingPerSecond: 100,
  pingBurst: 1000,
  settingsPerSecond: 100,
  settingsBurst: 1000,
  priorityPerSecond: 1000,
  priorityBurst: 10000,
  emptyDataPerSecond: 100,
  emptyDataBurst: 1000,
  maxClosedStreamsRemembered: 1000,
  maxPendingRequests: 100000,
});

/** Outbound padding for DATA, HEADERS and PUSH_PROMISE: the frame codec's PaddingPolicy. */
export type SessionPaddingPolicy = PaddingPolicy;

/**
 * A client that counts its responses rather than reading them (h2load): given as
 * `SessionOptions.responseCounter`, it is called in place of the `responseReceived` and
 * `dataReceived` events, no `streamEnded` event is emitted, and DATA goes back to the flow-control
 * windows at once (as if consumed on arrival). Every check on a response still applies (a
 * malformed one resets its stream as without a counter); every other event is unchanged.
 */
export interface ResponseCounter {
  /**
   * A response header block passed the checks: its `:status` (below 200: informational), its
   * HPACK octets and the octets of its decoded names and values.
   */
  response(streamId: number, status: number, blockLength: number, fieldOctets: number): void;
  /** `length` (> 0) octets of response content (padding excluded) arrived on `streamId`. */
  data(streamId: number, length: number): void;
}

/**
 * Per-kind callbacks for the events of a stream's life, the per-request hot path: given as
 * `SessionOptions.streamHandler`, each method is called where the event object of its kind
 * would be built and handed to `onEvent` (same moment, same order, same meaning as that event;
 * see {@link SessionEvent}); `onEvent` still gets every other kind. One object per connection
 * whose methods take plain arguments: no object per event, and one call site per kind instead of
 * a switch on `type` over events of many shapes. Without one, the session builds the event
 * objects (stream-events.ts).
 */
export interface StreamHandler {
  /** Server: a valid request opened a stream (or h2c upgrade made stream 1). */
  requestReceived(streamId: number, headers: HeaderField[], endStream: boolean): void;
  /** Client: a response header section, interim (`informational`) or final. */
  responseReceived(streamId: number, headers: HeaderField[], endStream: boolean, informational: boolean, blockLength: number): void;
  /** A trailer section (`streamEnded` follows). */
  trailersReceived(streamId: number, headers: HeaderField[], blockLength: number): void;
  /** Body octets (padding removed); `consume(streamId, data.length)` once used. */
  dataReceived(streamId: number, data: Buffer, flowControlledLength: number, endStream: boolean): void;
  /** The peer sent END_STREAM on the stream. */
  streamEnded(streamId: number): void;
  /** A stream was reset, by the peer (`remote`) or by us (`reason` says why when the session did). */
  streamReset(streamId: number, errorCode: number, remote: boolean, reason: string | undefined): void;
  /** The stream is fully closed (the last event of a stream). */
  streamClosed(streamId: number, errorCode: number): void;
}

/** Options of a Session. Only `role` and `onEvent` are required. */
export interface SessionOptions {
  role: 'client' | 'server';
  /** What we advertise in our first SETTINGS frame (unset fields: defaults; see `Session`). */
  settings?: Partial<LocalSettings>;
  /**
   * Instead of `settings`: our first SETTINGS frame as entries in wire order, ids possibly repeated
   * (the last value of an id wins, RFC 9113 section 6.5.3; several HEADER_TABLE_SIZE values make
   * the HPACK decoder expect their minimum, then the last). Sent exactly as listed.
   */
  settingsList?: SettingEntry[];
  /** Extra SETTINGS entries sent verbatim after the named ones (unknown ids allowed). */
  extraSettings?: SettingEntry[];
  /** Our connection-level receive window; above 65535 it is sent as a WINDOW_UPDATE on stream 0. */
  connectionWindowSize?: number;
  /** Own cap on the HPACK encoder's dynamic table (default: whatever the peer allows, max 4096). */
  encoderMaxTableSize?: number;
  /** Outbound padding policy (default: no padding). */
  padding?: SessionPaddingPolicy;
  /**
   * The chunks given to `receive` are views of one buffer the caller reuses for every read (and
   * events' Buffers are valid only during the call): frames split across chunks are then gathered
   * into one reused buffer too (DeframerOptions.reuseGathered). Http2Connection sets it when it
   * reads into a reused buffer (ConnectionOptions.reads). Default false.
   */
  transientInput?: boolean;
  limits?: Partial<SessionLimits>;
  /**
   * The peer's SETTINGS_MAX_CONCURRENT_STREAMS assumed until its first SETTINGS frame arrives
   * (default 100, as nghttp2). RFC 9113 section 6.5.2 makes the initial value unlimited, but a
   * client that opens hundreds of streams before the server's SETTINGS gets them refused.
   */
  peerMaxConcurrentStreams?: number;
  /** A SETTINGS frame not ACKed within this many ms is SETTINGS_TIMEOUT (checked by `tick`). Default 10000. */
  settingsTimeoutMs?: number;
  /** Clock for rate limits and timeouts (default Date.now). Tests inject a fake one. */
  now?: () => number;
  /** Emit frameSent/frameReceived events (default true; servers under load turn them off). */
  frameEvents?: boolean;
  /**
   * Client: count responses instead of reading them (a load generator). See {@link ResponseCounter}:
   * it replaces the `responseReceived`, `dataReceived` and `streamEnded` events.
   */
  responseCounter?: ResponseCounter;
  /**
   * The events of a stream's life as calls, in place of their event objects: see
   * {@link StreamHandler}. `onEvent` then gets only the other kinds.
   */
  streamHandler?: StreamHandler;
  /** Every event, synchronously, in order (but the kinds a `streamHandler` takes). */
  onEvent: (ev: SessionEvent) => void;
  /** New bytes are ready: the I/O adapter should call dataToSend() soon (e.g. on setImmediate). */
  onWantWrite?: () => void;
}

/** How a HEADERS/PUSH_PROMISE block is classified for a frame printer (nghttp -v wording). */
export type HeadersCategory = 'request' | 'response' | 'push_response' | 'headers';

/** How a stream ended up closed: decides what late frames get (RFC 9113 section 5.1 "closed"). */
export type CloseCause = 'endStream' | 'localReset' | 'remoteReset' | 'connection';

/**
 * Events, past tense, discriminated by `type`. Emitted synchronously, in wire order, from
 * receive(), dataToSend() and the commands.
 */
export type SessionEvent =
  /** A frame's bytes were handed out by dataToSend/dataToSendParts (when nghttp2 prints `send`; HEADERS/PUSH_PROMISE carry the header list and, for HEADERS, the printer category). Only with `frameEvents`. */
  | { type: 'frameSent'; frame: Frame; headers?: HeaderField[]; category?: HeadersCategory }
  /** A frame arrived (a header block already joined with its CONTINUATIONs and decoded). Only with `frameEvents`. */
  | { type: 'frameReceived'; frame: Frame; headers?: HeaderField[]; category?: HeadersCategory }
  /** Server: a valid request opened a stream (or h2c upgrade made stream 1). */
  | { type: 'requestReceived'; streamId: number; headers: HeaderField[]; endStream: boolean }
  /** Client: a response header section, interim (1xx, `informational`) or final. */
  | {
      type: 'responseReceived';
      streamId: number;
      headers: HeaderField[];
      endStream: boolean;
      informational: boolean;
      /** Octets of the HPACK field block (HEADERS and CONTINUATION fragments, without padding or priority). */
      blockLength: number;
    }
  /** A trailer section (it always ends the peer's side; `streamEnded` follows). */
  | {
      type: 'trailersReceived';
      streamId: number;
      headers: HeaderField[];
      /** Octets of the HPACK field block (HEADERS and CONTINUATION fragments, without padding or priority). */
      blockLength: number;
    }
  /** Client: the server promised `promisedStreamId` with these request headers, on `streamId`. */
  | { type: 'pushPromiseReceived'; streamId: number; promisedStreamId: number; headers: HeaderField[] }
  /** Body octets (padding removed; its window is already released). Call `consume(streamId, data.length)` once the application has used them. */
  | { type: 'dataReceived'; streamId: number; data: Buffer; flowControlledLength: number; endStream: boolean }
  /** The peer sent END_STREAM on the stream. */
  | { type: 'streamEnded'; streamId: number }
  /** A stream was reset: by the peer's RST_STREAM (`remote`), or by us (`reason` says why when we detected a stream error). */
  | { type: 'streamReset'; streamId: number; errorCode: number; remote: boolean; reason?: string }
  /** The stream is fully closed, for any cause (NO_ERROR after both END_STREAMs). The last event of a stream. */
  | { type: 'streamClosed'; streamId: number; errorCode: number }
  /** Every octet queued on the stream was framed (it did not end the stream): a backpressure hook. */
  | { type: 'sendQueueDrained'; streamId: number }
  /** The peer's SETTINGS were applied (and our ACK queued). */
  | { type: 'settingsReceived'; settings: SettingEntry[] }
  /** The peer ACKed our oldest unacknowledged SETTINGS; `localSettings` now includes it. */
  | { type: 'settingsAcknowledged' }
  /** The peer pinged (our ACK is queued). */
  | { type: 'pingReceived'; opaqueData: Buffer }
  /** The peer answered one of our PINGs. */
  | { type: 'pingAcknowledged'; opaqueData: Buffer }
  /** The peer sent GOAWAY; our streams above `lastStreamId` were closed with REFUSED_STREAM (retryable). */
  | { type: 'goawayReceived'; lastStreamId: number; errorCode: number; debugData: Buffer }
  /** Server: an RFC 9218 PRIORITY_UPDATE for `streamId` (already applied to the scheduler). */
  | { type: 'priorityUpdateReceived'; streamId: number; priority: string }
  /**
   * The connection is over (emitted once). After our GOAWAY is queued (error, or graceful shutdown
   * once the last stream closed), or the peer's GOAWAY/end of input. Flush `dataToSend()` until
   * null, then close the transport.
   */
  | { type: 'connectionTerminated'; errorCode: number; lastStreamId: number; remote: boolean; error?: Error };

/** Options of `Session.request`. */
export interface RequestOptions {
  /** No body follows: END_STREAM on the HEADERS frame. */
  endStream?: boolean;
  /** RFC 7540 dependency sent in the HEADERS frame (PRIORITY flag). */
  priority?: PrioritySpec;
  /** Shorthand for a default-dependency priority with this weight (1..256). */
  weight?: number;
}

/** Options of `Session.respond`. */
export interface RespondOptions {
  /** No body follows: END_STREAM on the HEADERS frame. */
  endStream?: boolean;
}
