/**
 * Receive dispatch: each frame the reading stages deliver (deframed, field blocks assembled) is
 * checked against the connection preface rule and the stream state table, then handled by type.
 * Field blocks go to HeaderReceiver; SETTINGS to SettingsSync; GOAWAY to Shutdown.
 */
import { ConnectionError, ErrorCode, StreamError } from '../errors';
import { Flag, FrameType } from '../frame/constants';
import type {
  DataFrame,
  Frame,
  PingFrame,
  PriorityFrame,
  PrioritySpec,
  PriorityUpdateFrame,
  RstStreamFrame,
  WindowUpdateFrame,
} from '../frame/types';
import { parsePriorityField } from '../http/semantics';
import type { SessionCore } from './core';
import { receiveEventOf, violationError } from './error-scope';
import { HeaderReceiver } from './receive-headers';
import type { Stream } from './stream';
import { isViolation, lateFrameVerdict, StreamEvent, StreamState, transition } from './stream-state';

/** The receive side of a Session; see the module comment. */
export class FrameReceiver {
  private readonly headers: HeaderReceiver;

  constructor(private readonly s: SessionCore) {
    this.headers = new HeaderReceiver(s, this);
  }

  /** Apply an RFC 7540 priority (HEADERS or PRIORITY) to `st`. */
  applyRfc7540Priority(st: Stream, p: PrioritySpec): void {
    // RFC 9218 section 2.1: an endpoint that sent SETTINGS_NO_RFC7540_PRIORITIES = 1 ignores them.
    if (this.s.settings.local.noRfc7540Priorities) return;
    st.priority = p;
    this.s.scheduler.setPriority(st.id, p, st);
  }

  /**
   * A plain HEADERS frame as a range of a read chunk (see FrameReader), taken when nothing but
   * {@link handle}'s HEADERS case would apply to it: the session is open and the peer's SETTINGS
   * came first. False: hand it to `handle` as a frame.
   */
  plainHeaders(id: number, flags: number, buf: Buffer, start: number, end: number): boolean {
    const s = this.s;
    if (s.closed || !s.settings.gotPeerSettings) return false;
    this.headers.recvPlainHeaders(id, flags, buf, start, end);
    return true;
  }

  /** Process one frame (HEADERS/PUSH_PROMISE with their whole field block). Throws connection errors. */
  handle(f: Frame): void {
    const s = this.s;
    if (s.closed) return;
    // RFC 9113 section 3.4: "The server connection preface consists of a potentially empty
    // SETTINGS frame (Section 6.5) that MUST be the first frame the server sends in the HTTP/2
    // connection." / "... the client connection preface ... MUST be followed by a SETTINGS frame".
    // "Clients and servers MUST treat an invalid connection preface as a connection error
    // (Section 5.4.1) of type PROTOCOL_ERROR."
    if (!s.settings.gotPeerSettings) {
      if (f.type !== FrameType.SETTINGS || (f.flags & Flag.ACK) !== 0) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'connection preface: the first frame is not SETTINGS');
      }
      s.settings.gotPeerSettings = true;
    }
    if ('payload' in f) {
      // RFC 9113 section 4.1: "Implementations MUST ignore and discard frames of unknown types."
      if (s.frameEvents) s.onEvent({ type: 'frameReceived', frame: f });
      return;
    }
    switch (f.type) {
      case FrameType.DATA:
        return this.recvData(f);
      case FrameType.HEADERS:
        return this.headers.recvHeaders(f);
      case FrameType.PRIORITY:
        return this.recvPriority(f);
      case FrameType.RST_STREAM:
        return this.recvRstStream(f);
      case FrameType.SETTINGS:
        if (s.frameEvents) s.onEvent({ type: 'frameReceived', frame: f });
        return s.settings.recvSettings(f);
      case FrameType.PUSH_PROMISE:
        return this.headers.recvPushPromise(f);
      case FrameType.PING:
        return this.recvPing(f);
      case FrameType.GOAWAY:
        if (s.frameEvents) s.onEvent({ type: 'frameReceived', frame: f });
        return s.shutdown.recvGoaway(f);
      case FrameType.WINDOW_UPDATE:
        return this.recvWindowUpdate(f);
      case FrameType.PRIORITY_UPDATE:
        return this.recvPriorityUpdate(f);
      default:
        // ALTSVC, ORIGIN: informational only, nothing to enforce here.
        if (s.frameEvents) s.onEvent({ type: 'frameReceived', frame: f });
    }
  }

  /**
   * A frame the codec rejected for one stream only (RFC 9113 section 6.3: "A PRIORITY frame with a
   * length other than 5 octets MUST be treated as a stream error (Section 5.4.2) of type
   * FRAME_SIZE_ERROR."; section 6.9: a WINDOW_UPDATE increment of 0 on a stream "MUST be treated
   * as a stream error"): the frame is dropped, the stream reset, reading goes on.
   */
  parseStreamError(err: StreamError): void {
    const core = this.s;
    if (core.closed) return;
    const id = err.streamId;
    const st = core.streams.get(id);
    // The codec cannot know the stream's state; the state table decides. RFC 9113 section 5.1,
    // idle: "Receiving any frame other than HEADERS or PRIORITY on a stream in this state MUST be
    // treated as a connection error (Section 5.4.1) of type PROTOCOL_ERROR." (a WINDOW_UPDATE of 0
    // on an idle stream). A bad PRIORITY on an idle stream stays the stream error section 6.3 names.
    if (st === undefined ? core.isIdle(id) : st.pendingHeaders !== null) {
      const t = transition(StreamState.IDLE, receiveEventOf(err));
      if (isViolation(t) && t.scope === 'connection') {
        core.fail(new ConnectionError(t.code, `${err.message} (stream ${id} is idle)`));
        return;
      }
    }
    core.fail(err);
  }

  /**
   * Frame on a stream we have no record of: idle (connection PROTOCOL_ERROR unless allowed) or
   * closed (decided by how it closed). The frame is ignored.
   */
  frameOnUnknownStream(id: number, event: StreamEvent): void {
    const core = this.s;
    if (core.isIdle(id)) {
      const t = transition(StreamState.IDLE, event);
      if (isViolation(t)) core.raise(violationError(t, id, `frame not allowed on idle stream ${id}`));
      return;
    }
    const v = lateFrameVerdict(core.closedStreams.causeOf(id), event);
    if (v !== 'ignore') core.raise(violationError(v, id, `frame on closed stream ${id}`));
  }

  private recvData(f: DataFrame): void {
    const core = this.s;
    const flow = core.flow;
    const id = f.streamId;
    const len = f.length ?? f.data.length + (f.padLength === undefined ? 0 : f.padLength + 1);
    flow.recvConnection(len);
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f });
    const endStream = (f.flags & Flag.END_STREAM) !== 0;
    if (len === 0 && !endStream) core.flood.check('emptyData', core.now());
    const s = core.streams.get(id);
    if (s === undefined || s.pendingHeaders !== null) {
      // Octets of a frame that no one will consume go straight back to the connection window.
      flow.releaseConnection(len);
      this.frameOnUnknownStream(id, StreamEvent.RECV_DATA);
      return;
    }
    const t = transition(s.state, StreamEvent.RECV_DATA);
    if (isViolation(t)) {
      flow.releaseConnection(len);
      return core.raise(violationError(t, id, `DATA on stream ${id} in a state that forbids it`));
    }
    // RFC 9113 section 8.1 (paraphrased): a message is a header section in HEADERS, then zero or
    // more DATA frames, then optionally a trailer section; DATA before the final response header
    // is a malformed response.
    if (!s.headersDone) {
      flow.releaseConnection(len);
      return core.streamError(id, ErrorCode.PROTOCOL_ERROR, `DATA on stream ${id} before the response header`);
    }
    // RFC 9113 section 6.9.1: "A receiver MAY respond with a stream error (Section 5.4.2) or
    // connection error (Section 5.4.1) of type FLOW_CONTROL_ERROR if it is unable to accept a frame."
    if (len > s.recvWindow) {
      flow.releaseConnection(len);
      return core.streamError(id, ErrorCode.FLOW_CONTROL_ERROR, `DATA of ${len} octets exceeds the stream window ${s.recvWindow}`);
    }
    s.recvWindow -= len;
    // Padding is released at once: the application never sees it.
    const pad = len - f.data.length;
    if (pad > 0) {
      flow.releaseConnection(pad);
      flow.releaseStream(s, pad);
    }
    s.dataReceived += f.data.length;
    // RFC 9113 section 8.1.1: "A request or response is also malformed if the value of a
    // content-length header field does not equal the sum of the DATA frame payload lengths that
    // form the content".
    if (s.contentLength >= 0 && (s.dataReceived > s.contentLength || (endStream && s.dataReceived !== s.contentLength))) {
      flow.releaseConnection(f.data.length);
      return core.streamError(
        id,
        ErrorCode.PROTOCOL_ERROR,
        `content-length ${s.contentLength} does not match ${s.dataReceived} octets of DATA`,
      );
    }
    flow.delivered(s, f.data.length);
    if (core.counter !== null) {
      // Counted, not kept: consumed on arrival.
      if (f.data.length > 0) {
        core.counter.data(id, f.data.length);
        flow.consume(s, f.data.length);
      }
    } else if (f.data.length > 0 || endStream) {
      core.streamEvents.dataReceived(id, f.data, len, endStream);
    }
    if (endStream) core.remoteEnded(s);
  }

  private recvPriority(f: PriorityFrame): void {
    const core = this.s;
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f });
    core.flood.check('priority', core.now());
    const s = core.streams.get(f.streamId);
    if (s !== undefined) this.applyRfc7540Priority(s, f.priority);
    // PRIORITY on an idle stream shapes the tree for streams that will depend on it (nghttp's
    // anchor streams); on a closed stream it is ignored (RFC 9113 section 5.1).
    else if (core.isIdle(f.streamId) && !core.settings.local.noRfc7540Priorities) core.scheduler.setPriority(f.streamId, f.priority, null);
  }

  private recvPriorityUpdate(f: PriorityUpdateFrame): void {
    const core = this.s;
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f });
    // RFC 9218 section 7.1 (paraphrased): PRIORITY_UPDATE frames are sent by clients only; a
    // client that receives one responds with a connection error of type PROTOCOL_ERROR.
    if (core.role === 'client') throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY_UPDATE received by a client');
    const id = f.prioritizedStreamId;
    const s = core.streams.get(id);
    const p = parsePriorityField(f.priorityFieldValue);
    if (s !== undefined && p !== null) core.scheduler.setUrgency(s, p.urgency, p.incremental);
    core.onEvent({ type: 'priorityUpdateReceived', streamId: id, priority: f.priorityFieldValue });
  }

  private recvRstStream(f: RstStreamFrame): void {
    const core = this.s;
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f });
    const id = f.streamId;
    core.flood.check('reset', core.now());
    const s = core.streams.get(id);
    if (s === undefined || s.pendingHeaders !== null) {
      this.frameOnUnknownStream(id, StreamEvent.RECV_RST_STREAM);
      return;
    }
    core.streamEvents.streamReset(id, f.errorCode, true, undefined);
    core.closeStream(s, 'remoteReset', f.errorCode);
  }

  private recvPing(f: PingFrame): void {
    const core = this.s;
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f });
    if (f.flags & Flag.ACK) {
      core.onEvent({ type: 'pingAcknowledged', opaqueData: f.opaqueData });
      core.shutdown.pingAcknowledged(f.opaqueData);
      return;
    }
    core.flood.check('ping', core.now());
    // RFC 9113 section 6.7: "Receivers of a PING frame that does not include an ACK flag MUST send
    // a PING frame with the ACK flag set in response, with an identical frame payload."
    core.queueControl({ type: FrameType.PING, flags: Flag.ACK, streamId: 0, opaqueData: Buffer.from(f.opaqueData) } as PingFrame);
    core.onEvent({ type: 'pingReceived', opaqueData: f.opaqueData });
    core.wantWrite();
  }

  private recvWindowUpdate(f: WindowUpdateFrame): void {
    const core = this.s;
    if (core.frameEvents) core.onEvent({ type: 'frameReceived', frame: f });
    const inc = f.windowSizeIncrement;
    if (f.streamId === 0) {
      if (core.writer.grantConnection(inc)) core.wantWrite();
      return;
    }
    const s = core.streams.get(f.streamId);
    if (s === undefined || s.pendingHeaders !== null) {
      this.frameOnUnknownStream(f.streamId, StreamEvent.RECV_WINDOW_UPDATE);
      return;
    }
    const t = transition(s.state, StreamEvent.RECV_WINDOW_UPDATE);
    if (isViolation(t)) return core.raise(violationError(t, s.id, `WINDOW_UPDATE on stream ${s.id} in a state that forbids it`));
    // RFC 9113 section 6.9.1: "For streams, the sender sends a RST_STREAM with an error code of
    // FLOW_CONTROL_ERROR".
    if (s.sendWindow + inc > 0x7fffffff) return core.streamError(s.id, ErrorCode.FLOW_CONTROL_ERROR, `stream ${s.id} window above 2^31-1`);
    s.sendWindow += inc;
    if (s.sendWindow > 0 && (s.queued > 0 || s.endQueued || s.trailers !== null) && !s.scheduled && s.pendingHeaders === null) {
      core.scheduler.add(s);
      core.wantWrite();
    }
  }
}
