/**
 * The output queue: the bytes a Session has framed and the transport has not yet taken, and the
 * `frameSent` events that go with them (reported when the bytes are handed out, in wire order,
 * which is when nghttp2 prints `send`). Also the wantWrite signal and the count of control
 * frames the peer made us queue.
 */
import { encodeFrame, withPadding, writeFrameHeader } from '../frame/codec';
import { FRAME_HEADER_LENGTH, FrameType } from '../frame/constants';
import { splitHeaderBlock } from '../frame/header-block';
import type { PaddingPolicy } from '../frame/padding';
import type { Frame, HeaderField, HeadersFrame, PushPromiseFrame, WindowUpdateFrame } from '../frame/types';
import type { HeadersCategory, SessionEvent } from './types';

/** dataToSendParts: DATA payloads at least this long are handed out as they are (no copy). */
export const ZERO_COPY_MIN = 4096;

/** Options of the OutputQueue. */
export interface OutputQueueOptions {
  onEvent: (ev: SessionEvent) => void;
  onWantWrite: (() => void) | undefined;
  /** Report `frameSent` events at all. */
  frameEvents: boolean;
  /** Most control frames the peer may make us queue between two hand-outs. */
  maxQueuedControlFrames: number;
}

/** Queued bytes plus their pending `frameSent` events; see the module comment. */
export class OutputQueue {
  /** Framed bytes in wire order (frame headers, payload views, whole control frames). */
  readonly out: Buffer[] = [];
  /** Octets in `out`. */
  bytes = 0;
  /** Inside a hand-out: frames framed now are reported at once. */
  handingOut = false;
  private readonly onEvent: (ev: SessionEvent) => void;
  private readonly onWantWrite: (() => void) | undefined;
  private readonly frameEvents: boolean;
  private readonly maxQueuedControl: number;
  /** Control frames queued and not yet taken by the transport (flood limit). */
  private queuedControl = 0;
  private wantWriteSignalled = false;
  /** frameSent events of frames queued but not yet handed out (only with `frameEvents`). */
  private pendingSent: SessionEvent[] = [];
  /**
   * WINDOW_UPDATEs in `out` not yet handed out: their slot in `out`, their stream and their
   * frameSent event, so they can still be dropped (as nghttp2 does at send time).
   */
  private pendingWindowUpdates: { slot: number; streamId: number; ev: SessionEvent | undefined }[] = [];

  constructor(opts: OutputQueueOptions) {
    this.onEvent = opts.onEvent;
    this.onWantWrite = opts.onWantWrite;
    this.frameEvents = opts.frameEvents;
    this.maxQueuedControl = opts.maxQueuedControlFrames;
  }

  /** Signal the transport once that there is something to write (until the next hand-out). */
  wantWrite(): void {
    if (this.wantWriteSignalled || this.onWantWrite === undefined) return;
    this.wantWriteSignalled = true;
    this.onWantWrite();
  }

  /** Queue raw bytes (the client connection preface). */
  raw(b: Buffer): void {
    this.out.push(b);
    this.bytes += b.length;
  }

  /**
   * Queue a control frame. Frames the peer provokes (ACKs, RST_STREAM, WINDOW_UPDATE) count
   * against `maxQueuedControlFrames` unless `ours` says the application asked for it. Returns
   * false when that limit is exceeded: the caller ends the connection.
   */
  control(f: Frame, ours = false): boolean {
    const b = encodeFrame(f);
    this.out.push(b);
    this.bytes += b.length;
    const ok = ours || ++this.queuedControl <= this.maxQueuedControl;
    if (this.frameEvents) this.sent({ type: 'frameSent', frame: f });
    return ok;
  }

  /**
   * Queue a WINDOW_UPDATE for consumed octets, remembering its slot: nghttp2 checks such a frame
   * again when it is about to send it (session_predicate_window_update_send) and drops it once
   * the session is closing or its stream is closed; `dropStaleWindowUpdates` does the same.
   */
  windowUpdate(streamId: number, inc: number): boolean {
    const slot = this.out.length;
    const before = this.pendingSent.length;
    const ok = this.control({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId, windowSizeIncrement: inc } as WindowUpdateFrame, true);
    // Framed while handing out: already reported, it goes out with this batch as it is.
    if (this.handingOut) return ok;
    this.pendingWindowUpdates.push({
      slot,
      streamId,
      ev: this.pendingSent.length > before ? this.pendingSent[this.pendingSent.length - 1] : undefined,
    });
    return ok;
  }

  /**
   * Drop the queued WINDOW_UPDATEs nghttp2 would no longer send: all of them once the session is
   * `closing` (NGHTTP2_ERR_SESSION_CLOSING), a stream's once `isLive` says it is closed
   * (NGHTTP2_ERR_STREAM_CLOSED). Their bytes leave `out`, their frameSent events are never reported.
   */
  dropStaleWindowUpdates(closing: boolean, isLive: (streamId: number) => boolean): void {
    const wus = this.pendingWindowUpdates;
    if (wus.length === 0) return;
    this.pendingWindowUpdates = [];
    let dropped: Set<SessionEvent> | undefined;
    // From the last slot back, so the earlier slots stay where they are.
    for (let i = wus.length - 1; i >= 0; i--) {
      const w = wus[i];
      const stale = closing || (w.streamId !== 0 && !isLive(w.streamId));
      if (!stale) continue;
      const b = this.out[w.slot];
      this.out.splice(w.slot, 1);
      this.bytes -= b.length;
      if (w.ev !== undefined) (dropped ??= new Set()).add(w.ev);
    }
    if (dropped !== undefined) this.pendingSent = this.pendingSent.filter((ev) => !dropped!.has(ev));
  }

  /**
   * Queue a HEADERS or PUSH_PROMISE frame carrying the whole HPACK `block`, plus CONTINUATIONs
   * when it does not fit in `maxFrameSize` (split by the shared `splitHeaderBlock`). `fixed`:
   * octets of priority / promised id in the first frame.
   */
  headerBlock(
    frame: HeadersFrame | PushPromiseFrame,
    block: Buffer,
    fixed: number,
    headers: HeaderField[],
    category: HeadersCategory,
    maxFrameSize: number,
    padding: PaddingPolicy | undefined,
  ): void {
    const max = maxFrameSize;
    // RFC 9113 section 4.3: "Each field block is processed as a discrete unit. Field blocks MUST
    // be transmitted as a contiguous sequence of frames, with no interleaved frames of any other
    // type or from any other stream."
    if (padding === undefined && fixed === 0 && block.length <= max) {
      // Hot path (every response): the frame header on its own and the HPACK block as it is,
      // no generic encode and no copy of the block (dataToSendParts coalesces the two).
      const h = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
      writeFrameHeader(h, 0, block.length, FrameType.HEADERS, frame.flags, frame.streamId);
      this.out.push(h, block);
      this.bytes += FRAME_HEADER_LENGTH + block.length;
      if (this.frameEvents) this.sent({ type: 'frameSent', frame, headers, category });
      return;
    }
    if (block.length + fixed <= max) {
      // The padding policy is applied once, so the frame printed is the frame sent; it is cut to
      // what still fits in one frame (nghttp2 too caps a HEADERS frame's padding at the frame size).
      const f = padding !== undefined ? withPadding(frame, padding, { maxFrameSize: max }) : frame;
      this.encoded(f, max, headers, category);
      return;
    }
    // A block that needs CONTINUATION frames goes unpadded, as nghttp2 sends it (padding is only
    // chosen for a HEADERS frame whose payload is below the maximum frame size).
    const parts = splitHeaderBlock(frame, max);
    this.encoded(parts[0], max, headers, category);
    for (let i = 1; i < parts.length; i++) this.encoded(parts[i], max);
  }

  private encoded(f: Frame, maxFrameSize: number, headers?: HeaderField[], category?: HeadersCategory): void {
    const b = encodeFrame(f, undefined, { maxFrameSize });
    this.out.push(b);
    this.bytes += b.length;
    if (this.frameEvents)
      this.sent(headers !== undefined ? { type: 'frameSent', frame: f, headers, category } : { type: 'frameSent', frame: f });
  }

  /**
   * A frame's bytes were queued: report `frameSent` when they are handed out. Frames framed while
   * handing out (DATA, trailers) are reported at once, in wire order.
   */
  sent(ev: SessionEvent): void {
    if (this.handingOut) this.onEvent(ev);
    else this.pendingSent.push(ev);
  }

  /**
   * Start a hand-out: re-arm the wantWrite signal, reset the control-frame count and report the
   * frames queued so far. Returns the previous hand-out flag for `endHandOut`.
   */
  beginHandOut(): boolean {
    this.wantWriteSignalled = false;
    this.queuedControl = 0;
    const outer = this.handingOut;
    this.handingOut = true;
    if (this.pendingSent.length > 0) {
      const evs = this.pendingSent;
      this.pendingSent = [];
      for (let i = 0; i < evs.length; i++) this.onEvent(evs[i]);
    }
    return outer;
  }

  /** End a hand-out begun by `beginHandOut`. */
  endHandOut(outer: boolean): void {
    this.handingOut = outer;
  }

  /** Everything queued, as one Buffer (emptying the queue); null when empty. */
  take(): Buffer | null {
    const out = this.out;
    if (out.length === 0) return null;
    const buf = out.length === 1 ? out[0] : Buffer.concat(out, this.bytes);
    out.length = 0;
    this.bytes = 0;
    return buf;
  }

  /**
   * Everything queued, as Buffers to write in order (emptying the queue): runs of pieces shorter
   * than `zeroCopyMin` coalesced into one Buffer, longer ones passed through uncopied.
   */
  takeParts(zeroCopyMin: number): Buffer[] | null {
    const out = this.out;
    const n = out.length;
    if (n === 0) return null;
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
    this.bytes = 0;
    return parts;
  }
}
