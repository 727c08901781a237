/**
 * Receiving field blocks: HEADERS (requests, responses, informational responses, trailers) and
 * PUSH_PROMISE, HPACK-decoded, checked against the stream state table and the HTTP rules of
 * RFC 9113 section 8, opening peer streams within our concurrency limit.
 */
import { ConnectionError, ErrorCode } from '../errors';
import { Flag, FrameType } from '../frame/constants';
import type { HeaderField, HeadersFrame, PrioritySpec, PushPromiseFrame } from '../frame/types';
import { HeaderListTooLargeError } from '../hpack/errors';
import {
  MessageInfo,
  newMessageInfo,
  newResponseVerdictCache,
  parsePriorityField,
  validateRequest,
  validateResponseCached,
  validateTrailers,
} from '../http/semantics';
import type { SessionCore } from './core';
import { violationError } from './error-scope';
import type { FrameReceiver } from './receive';
import { Stream } from './stream';
import { isViolation, StreamEvent, StreamState, transition } from './stream-state';
import type { HeadersCategory } from './types';

/** HEADERS and PUSH_PROMISE handling for FrameReceiver. */
export class HeaderReceiver {
  /** The last valid response list and its verdict (a repeated response is checked once). */
  private readonly verdicts = newResponseVerdictCache();
  /**
   * Scratch for a trailer section's check (validateTrailers resets what it reads back), made for
   * the first trailer section (most connections never see one: ~0.2 KB each).
   */
  private trailerInfo: MessageInfo | null = null;

  constructor(
    private readonly s: SessionCore,
    private readonly receiver: FrameReceiver,
  ) {}

  /**
   * Decode a header block; header-list-too-large becomes a stream error (returns null). `f` is the
   * frame it came in, for the frame event (absent on the plain-HEADERS path, taken only without
   * frame events).
   */
  private decodeBlock(
    buf: Buffer,
    start: number,
    end: number,
    type: FrameType.HEADERS | FrameType.PUSH_PROMISE,
    flags: number,
    resetId: number,
    f: HeadersFrame | PushPromiseFrame | undefined,
  ): HeaderField[] | null {
    const core = this.s;
    try {
      return core.decoder.decodeRange(buf, start, end);
    } catch (err) {
      if (err instanceof HeaderListTooLargeError) {
        if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f as HeadersFrame | PushPromiseFrame });
        this.headerListTooLarge(resetId, type === FrameType.HEADERS && (flags & Flag.END_STREAM) !== 0);
        return null;
      }
      throw err;
    }
  }

  private headerListTooLarge(id: number, endStream: boolean): void {
    const core = this.s;
    // RFC 9113 section 10.5.1: "A server that receives a larger field block than it is willing to
    // handle can send an HTTP 431 (Request Header Fields Too Large) status code [RFC6585]. A client
    // can discard responses that it cannot process."
    const s = core.streams.get(id);
    if (
      core.role === 'server' &&
      s === undefined &&
      core.isPeerId(id) &&
      id > core.lastPeerStreamId &&
      core.shutdown.goawaySentLastId < 0
    ) {
      const st = this.openPeerStream(id);
      if (st === null) return;
      st.state = endStream ? StreamState.HALF_CLOSED_REMOTE : StreamState.OPEN;
      st.headersDone = true;
      core.respond(id, [[':status', '431']], { endStream: true });
      // RFC 9113 section 8.1: "A server can send a complete response prior to the client sending
      // an entire request ... the server MAY request that the client abort transmission of a
      // request without error by sending a RST_STREAM with an error code of NO_ERROR".
      const left = core.streams.get(id);
      if (left !== undefined) core.resetStream(left, ErrorCode.NO_ERROR);
      return;
    }
    if (s !== undefined) {
      core.streamError(id, ErrorCode.PROTOCOL_ERROR, 'header list larger than our limit');
    } else if (core.isPeerId(id) && id > core.lastPeerStreamId) {
      core.lastPeerStreamId = id;
      core.queueRst(id, ErrorCode.REFUSED_STREAM);
      core.closedStreams.remember(id, 'localReset');
    }
  }

  /** Create a stream the peer opens; applies our concurrency limit. Null when refused. */
  private openPeerStream(id: number): Stream | null {
    const core = this.s;
    core.lastPeerStreamId = id;
    // RFC 9113 section 5.1.2: "An endpoint that receives a HEADERS frame that causes its
    // advertised concurrent stream limit to be exceeded MUST treat this as a stream error
    // (Section 5.4.2) of type PROTOCOL_ERROR or REFUSED_STREAM."
    if (core.remoteActive >= core.limits.maxConcurrentStreams) {
      core.queueRst(id, ErrorCode.REFUSED_STREAM);
      core.closedStreams.remember(id, 'localReset');
      core.countReset();
      return null;
    }
    const s = new Stream(id, false, core.settings.remote.initialWindowSize, core.flow.streamRecvWindowSize);
    core.streams.set(id, s);
    return s;
  }

  /** A HEADERS frame with its whole field block. */
  recvHeaders(f: HeadersFrame): void {
    const headers = this.decodeBlock(f.fragment, 0, f.fragment.length, FrameType.HEADERS, f.flags, f.streamId, f);
    if (headers === null) return;
    this.headersDecoded(f.streamId, f.flags, f.priority, f.fragment.length, headers, f);
  }

  /**
   * A plain HEADERS frame (END_HEADERS, no padding or priority) whose field block is
   * `buf[start..end)`, taken without a frame object: only while no frame event is wanted. A block
   * repeating the last one is answered from the decoder's memory without a view of it.
   */
  recvPlainHeaders(id: number, flags: number, buf: Buffer, start: number, end: number): void {
    const headers = this.decodeBlock(buf, start, end, FrameType.HEADERS, flags, id, undefined);
    if (headers === null) return;
    this.headersDecoded(id, flags, undefined, end - start, headers, undefined);
  }

  /**
   * A decoded HEADERS block of `blockLength` octets on stream `id`; `f` is its frame, present
   * whenever frame events are on.
   */
  private headersDecoded(
    id: number,
    flags: number,
    priority: PrioritySpec | undefined,
    blockLength: number,
    headers: HeaderField[],
    f: HeadersFrame | undefined,
  ): void {
    const core = this.s;
    let s = core.streams.get(id);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    let category: HeadersCategory = 'headers';
    if (s === undefined) {
      if (core.role === 'server' && core.isPeerId(id) && id > core.lastPeerStreamId) {
        if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f as HeadersFrame, headers, category: 'request' });
        // RFC 9113 section 6.8: "Once the GOAWAY is sent, the sender will ignore frames sent on
        // streams initiated by the receiver if the stream has an identifier higher than the
        // included last stream identifier."
        if (core.shutdown.goawayFinal) return;
        const ns = this.openPeerStream(id);
        if (ns === null) return;
        s = ns;
        s.state = transition(StreamState.IDLE, StreamEvent.RECV_HEADERS) as StreamState;
        s.counted = true;
        core.remoteActive++;
        if (priority) this.receiver.applyRfc7540Priority(s, priority);
        const info = core.info;
        const err = validateRequest(headers, core.settings.advertised().enableConnectProtocol, endStream, info);
        if (err !== null) return core.streamError(id, ErrorCode.PROTOCOL_ERROR, `malformed request: ${err}`);
        // RFC 9113 section 8.1.1: content-length must equal the DATA that follows (none here).
        if (endStream && info.contentLength > 0) {
          return core.streamError(id, ErrorCode.PROTOCOL_ERROR, `content-length ${info.contentLength} on a request without content`);
        }
        s.contentLength = info.contentLength;
        s.headersDone = true;
        if (info.priority !== null) {
          const p = parsePriorityField(info.priority);
          if (p !== null) core.scheduler.setUrgency(s, p.urgency, p.incremental);
        }
        core.streamEvents.requestReceived(id, headers, endStream);
        if (endStream) core.remoteEnded(s);
        return;
      }
      if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f as HeadersFrame, headers, category });
      // A client never accepts HEADERS opening a stream: servers open streams with PUSH_PROMISE.
      if (core.isIdle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
      this.receiver.frameOnUnknownStream(id, StreamEvent.RECV_HEADERS);
      return;
    }
    if (s.pendingHeaders !== null) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
    const t = transition(s.state, StreamEvent.RECV_HEADERS);
    if (!isViolation(t)) {
      if (core.role === 'client' && !s.headersDone) category = s.pushed ? 'push_response' : 'response';
    }
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f as HeadersFrame, headers, category });
    if (isViolation(t)) return core.raise(violationError(t, id, `HEADERS on stream ${id} in a state that forbids it`));
    if (s.state === StreamState.RESERVED_REMOTE) {
      // RFC 9113 section 5.1.2: a pushed stream counts once the server opens it with HEADERS;
      // "An endpoint that receives a HEADERS frame that causes its advertised concurrent stream
      // limit to be exceeded MUST treat this as a stream error (Section 5.4.2) of type
      // PROTOCOL_ERROR or REFUSED_STREAM."
      if (core.remoteActive >= core.limits.maxConcurrentStreams)
        return core.streamError(id, ErrorCode.REFUSED_STREAM, 'push beyond our concurrency limit');
      s.counted = true;
      core.remoteActive++;
    }
    s.state = t;
    if (priority) this.receiver.applyRfc7540Priority(s, priority);
    if (s.headersDone) {
      // RFC 9113 section 8.1: "An endpoint that receives a HEADERS frame without the END_STREAM
      // flag set after receiving the HEADERS frame that opens a request or after receiving a
      // final (non-informational) status code MUST treat the corresponding request or response
      // as malformed (Section 8.1.1)."
      const trailerInfo = this.trailerInfo ?? (this.trailerInfo = newMessageInfo());
      const err = endStream ? validateTrailers(headers, trailerInfo) : 'HEADERS without END_STREAM after the message header';
      if (err !== null) return core.streamError(id, ErrorCode.PROTOCOL_ERROR, `malformed trailers: ${err}`);
      // A content-length in trailers is read as libnghttp2 (the C tools' HTTP/2 layer) reads it:
      // a second one (the header section had one) makes the message malformed; a first one is the
      // length the DATA must have had (RFC 9113 section 8.1.1).
      if (trailerInfo.contentLength >= 0) {
        if (s.contentLength >= 0) return core.streamError(id, ErrorCode.PROTOCOL_ERROR, 'malformed trailers: a second content-length');
        s.contentLength = trailerInfo.contentLength;
      }
      if (s.contentLength >= 0 && s.dataReceived !== s.contentLength) {
        return core.streamError(
          id,
          ErrorCode.PROTOCOL_ERROR,
          `content-length ${s.contentLength} does not match ${s.dataReceived} octets of DATA`,
        );
      }
      core.streamEvents.trailersReceived(id, headers, blockLength);
      core.remoteEnded(s);
      return;
    }
    if (core.role === 'server') {
      // A server sees a second header block only as trailers (handled above).
      return core.streamError(id, ErrorCode.PROTOCOL_ERROR, 'unexpected HEADERS');
    }
    const info = core.info;
    const err = validateResponseCached(headers, endStream, info, this.verdicts);
    if (err !== null) return core.streamError(id, ErrorCode.PROTOCOL_ERROR, `malformed response: ${err}`);
    const informational = info.status < 200;
    if (!informational) {
      s.headersDone = true;
      // RFC 9110 section 6.4.1: responses to HEAD and 204/304 responses carry no content, whatever
      // content-length says (for HEAD and 304 it describes the representation): no DATA octets.
      s.contentLength = s.headRequest || info.status === 204 || info.status === 304 ? 0 : info.contentLength;
    }
    if (core.counter !== null) core.counter.response(id, info.status, blockLength, core.decoder.fieldOctets);
    else core.streamEvents.responseReceived(id, headers, endStream, informational, blockLength);
    if (endStream) {
      if (s.contentLength > 0) return core.streamError(id, ErrorCode.PROTOCOL_ERROR, `content-length ${s.contentLength} but no DATA`);
      core.remoteEnded(s);
    }
  }

  /** A PUSH_PROMISE frame with its whole field block. */
  recvPushPromise(f: PushPromiseFrame): void {
    const core = this.s;
    // RFC 9113 section 8.4: "A client cannot push. Thus, servers MUST treat the receipt of a
    // PUSH_PROMISE frame as a connection error (Section 5.4.1) of type PROTOCOL_ERROR."
    if (core.role === 'server') throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE received by a server');
    // RFC 9113 section 6.5.2, SETTINGS_ENABLE_PUSH: "An endpoint that has both set this parameter
    // to 0 and had it acknowledged MUST treat the receipt of a PUSH_PROMISE frame as a connection
    // error (Section 5.4.1) of type PROTOCOL_ERROR."
    if (!core.settings.local.enablePush) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE while push is disabled');
    const pid = f.promisedStreamId;
    // RFC 9113 section 5.1.1: "An endpoint that receives an unexpected stream identifier MUST
    // respond with a connection error (Section 5.4.1) of type PROTOCOL_ERROR." (promised ids are
    // even, new and increasing)
    if (pid === 0 || (pid & 1) === 1 || pid <= core.lastPeerStreamId) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `PUSH_PROMISE promises unexpected stream ${pid}`);
    }
    const headers = this.decodeBlock(f.fragment, 0, f.fragment.length, FrameType.PUSH_PROMISE, f.flags, pid, f);
    if (headers === null) return;
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f, headers, category: 'headers' });
    core.lastPeerStreamId = pid;
    const parent = core.streams.get(f.streamId);
    if (parent === undefined || parent.pendingHeaders !== null) {
      this.receiver.frameOnUnknownStream(f.streamId, StreamEvent.RECV_PUSH_PROMISE);
      // The associated stream is gone: refuse the promise (RFC 9113 section 8.4.2 allows a
      // client to cancel pushes with RST_STREAM).
      if (!core.closed) {
        core.queueRst(pid, ErrorCode.CANCEL);
        core.closedStreams.remember(pid, 'localReset');
      }
      return;
    }
    const t = transition(parent.state, StreamEvent.RECV_PUSH_PROMISE);
    if (isViolation(t)) return core.raise(violationError(t, f.streamId, `PUSH_PROMISE on stream ${f.streamId} in a state that forbids it`));
    const s = new Stream(pid, false, core.settings.remote.initialWindowSize, core.flow.streamRecvWindowSize);
    s.pushed = true;
    s.state = transition(StreamState.IDLE, StreamEvent.RECV_PROMISED) as StreamState;
    core.streams.set(pid, s);
    // RFC 9113 section 8.4: "Promised requests MUST be safe (see Section 9.2.1 of [HTTP]) and
    // cacheable" and "The server MUST include a value in the :authority pseudo-header field".
    const info = core.info;
    const err = validateRequest(headers, false, true, info);
    if (err !== null || (info.method !== 'GET' && info.method !== 'HEAD')) {
      return core.streamError(
        pid,
        ErrorCode.PROTOCOL_ERROR,
        `malformed promised request: ${err ?? `method ${info.method} is not safe and cacheable`}`,
      );
    }
    s.headRequest = info.method === 'HEAD';
    core.onEvent({ type: 'pushPromiseReceived', streamId: f.streamId, promisedStreamId: pid, headers });
  }
}
