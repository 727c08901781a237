/**
 * Outbound flow control and DATA framing: the connection send window, the per-stream send
 * windows, and the pull of queued body bytes (chosen by the write scheduler) into DATA frames
 * within those windows, the peer's SETTINGS_MAX_FRAME_SIZE and the transport's budget.
 */
import type { ConnectionContext } from '../context';
import { ConnectionError, ErrorCode } from '../errors';
import { Flag, FRAME_HEADER_LENGTH, FrameType, MAX_WINDOW_SIZE } from '../frame/constants';
import { choosePadding, PaddingPolicy } from '../frame/padding';
import type { DataFrame } from '../frame/types';
import { type OutputQueue, ZERO_COPY_MIN } from './output-queue';
import type { WriteScheduler } from './scheduler';
import { NO_OUT, type Stream } from './stream';
import { StreamState } from './stream-state';
import type { SessionEvent } from './types';

/** What the DataWriter asks of the session that owns it. */
export interface DataWriterHost {
  /** The peer's SETTINGS_MAX_FRAME_SIZE now. */
  readonly peerMaxFrameSize: number;
  /** Our side of `s` ended (END_STREAM framed). */
  localEnded(s: Stream): void;
  /** Frame `s`'s trailers (HEADERS with END_STREAM) now. */
  flushTrailers(s: Stream): void;
  onEvent(ev: SessionEvent): void;
}

/** Whether `s` still has something to frame (body bytes, END_STREAM or trailers). */
export function hasOutput(s: Stream): boolean {
  return s.queued > 0 || s.endQueued || s.trailers !== null;
}

/** The writer; see the module comment. */
export class DataWriter {
  constructor(
    /** The connection context: `sendWindow` is the connection send window (RFC 9113 section 6.9). */
    private readonly ctx: ConnectionContext,
    private readonly host: DataWriterHost,
    private readonly output: OutputQueue,
    private readonly scheduler: WriteScheduler,
    private readonly padding: PaddingPolicy | undefined,
    private readonly frameEvents: boolean,
  ) {}

  /**
   * The peer's WINDOW_UPDATE on stream 0. RFC 9113 section 6.9.1: "If a sender receives a
   * WINDOW_UPDATE that causes a flow-control window to exceed this maximum, it MUST terminate
   * either the stream or the connection, as appropriate. For streams, the sender sends a
   * RST_STREAM with an error code of FLOW_CONTROL_ERROR; for the connection, a GOAWAY frame with
   * an error code of FLOW_CONTROL_ERROR is sent." Returns true when DATA was blocked and may flow now.
   */
  grantConnection(inc: number): boolean {
    if (this.ctx.sendWindow + inc > MAX_WINDOW_SIZE)
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
    const wasBlocked = this.ctx.sendWindow <= 0;
    this.ctx.sendWindow += inc;
    return wasBlocked && this.ctx.sendWindow > 0 && this.scheduler.size > 0;
  }

  /**
   * A new SETTINGS_INITIAL_WINDOW_SIZE from the peer. RFC 9113 section 6.9.2: "When the value of
   * SETTINGS_INITIAL_WINDOW_SIZE changes, a receiver MUST adjust the size of all stream
   * flow-control windows that it maintains by the difference between the new value and the old
   * value." ... "An endpoint MUST treat a change to SETTINGS_INITIAL_WINDOW_SIZE that causes any
   * flow-control window to exceed the maximum size as a connection error (Section 5.4.1) of type
   * FLOW_CONTROL_ERROR."
   */
  applyInitialWindowDelta(streams: Iterable<Stream>, delta: number): void {
    if (delta === 0) return;
    for (const s of streams) {
      s.sendWindow += delta;
      if (s.sendWindow > MAX_WINDOW_SIZE) {
        throw new ConnectionError(
          ErrorCode.FLOW_CONTROL_ERROR,
          `SETTINGS_INITIAL_WINDOW_SIZE change overflows the window of stream ${s.id}`,
        );
      }
      if (delta > 0 && s.queued + (s.endQueued || s.trailers ? 1 : 0) > 0 && s.sendWindow > 0) this.scheduler.add(s);
    }
  }

  /** Frame DATA chosen by the write scheduler until `budget` octets are used or nothing can go. */
  pull(budget: number): void {
    const sched = this.scheduler;
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
      if (s.state !== StreamState.CLOSED && hasOutput(s) && (s.sendWindow > 0 || s.queued === 0)) {
        sched.requeue(s, sent);
      }
    }
  }

  /**
   * Finished work stands: responses (or requests) the application completed before a connection
   * error are framed now, within the windows, ahead of the GOAWAY.
   */
  flushFinished(): void {
    const sched = this.scheduler;
    // Bounded: each pass frames at most one DATA frame; unfinished or blocked streams drop out.
    for (let guard = 0; guard < 100000 && sched.size > 0; guard++) {
      const s = sched.pop()!;
      if (!s.endQueued && s.trailers === null) continue;
      const sent = this.writeStreamData(s, Infinity);
      if (sent < 0) break;
      if (s.state !== StreamState.CLOSED && hasOutput(s) && s.sendWindow > 0 && sent > 0) {
        sched.requeue(s, sent);
      }
    }
  }

  /**
   * Emit one DATA frame (or the trailers / an empty END_STREAM) for `s`. Returns octets written,
   * or -1 when the connection window blocks it.
   */
  writeStreamData(s: Stream, budget: number): number {
    const out = this.output;
    if (s.queued > 0) {
      const maxFrame = this.host.peerMaxFrameSize;
      let n = Math.min(s.queued, s.sendWindow, this.ctx.sendWindow, maxFrame, budget);
      if (this.ctx.sendWindow <= 0) return -1;
      if (n <= 0) return 0;
      let pad = 0;
      if (this.padding !== undefined) {
        const frameObj: DataFrame = { type: FrameType.DATA, flags: 0, streamId: s.id, data: Buffer.alloc(0) };
        pad = choosePadding(this.padding, frameObj, n, maxFrame);
        // RFC 9113 section 6.9.1: "The entire DATA frame payload is included in flow control,
        // including the Pad Length and Padding fields if present."
        const room = Math.min(s.sendWindow, this.ctx.sendWindow, maxFrame);
        if (n + pad > room) n = Math.max(0, room - pad);
        if (n <= 0) {
          pad = 0;
          n = Math.min(s.queued, s.sendWindow, this.ctx.sendWindow, maxFrame);
        }
      }
      const last = n === s.queued;
      const endFlag = last && s.endQueued && s.trailers === null;
      const flags = (endFlag ? Flag.END_STREAM : 0) | (pad > 0 ? Flag.PADDED : 0);
      out.frameHeader(n + pad, FrameType.DATA, flags, s.id);
      // RFC 9113 section 6.1: "Pad Length: An 8-bit field containing the length of the frame
      // padding in units of octets."
      if (pad > 0) out.byte(pad - 1);
      // Take n octets from the stream's chunks: short pieces are copied into the output's run,
      // long ones queued as views (no copy).
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
        if (piece.length < ZERO_COPY_MIN) out.copy(piece);
        else out.piece(piece);
        if (parts !== null) parts.push(piece);
        need -= piece.length;
      }
      if (s.outHead === s.out.length) {
        s.out = NO_OUT;
        s.outHead = 0;
      } else if (s.outHead > 32) {
        s.out.splice(0, s.outHead);
        s.outHead = 0;
      }
      if (pad > 1) out.zeros(pad - 1);
      s.queued -= n;
      s.sendWindow -= n + pad;
      this.ctx.sendWindow -= n + pad;
      if (parts !== null) {
        const f: DataFrame = {
          type: FrameType.DATA,
          flags,
          streamId: s.id,
          data: parts.length === 1 ? parts[0] : Buffer.concat(parts),
          length: n + pad,
        };
        if (pad > 0) f.padLength = pad - 1;
        out.sent({ type: 'frameSent', frame: f });
      }
      if (s.queued === 0) {
        if (endFlag) {
          s.endQueued = false;
          this.host.localEnded(s);
        } else if (s.trailers !== null) {
          this.host.flushTrailers(s);
        } else {
          this.host.onEvent({ type: 'sendQueueDrained', streamId: s.id });
        }
      }
      return FRAME_HEADER_LENGTH + (pad > 0 ? 1 : 0) + n + pad;
    }
    if (s.trailers !== null) {
      this.host.flushTrailers(s);
      return 0;
    }
    if (s.endQueued) {
      s.endQueued = false;
      out.frameHeader(0, FrameType.DATA, Flag.END_STREAM, s.id);
      if (this.frameEvents)
        out.sent({
          type: 'frameSent',
          frame: { type: FrameType.DATA, flags: Flag.END_STREAM, streamId: s.id, data: Buffer.alloc(0), length: 0 } as DataFrame,
        });
      this.host.localEnded(s);
      return FRAME_HEADER_LENGTH;
    }
    return 0;
  }
}
