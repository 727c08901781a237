/**
 * The output queue: the bytes a Session has framed and the transport has not yet taken, and the
 * `frameSent` events that go with them (reported when the bytes are handed out, in wire order,
 * which is when nghttp2 prints `send`). Also the wantWrite signal and the count of control
 * frames the peer made us queue.
 */
import { encodeFrame, withPadding, writeFrameHeader } from '../frame/codec';
import { Flag, FRAME_HEADER_LENGTH, FrameType } from '../frame/constants';
import { splitHeaderBlock } from '../frame/header-block';
import type { PaddingPolicy } from '../frame/padding';
import type { Frame, HeaderField, HeadersFrame, PrioritySpec, PushPromiseFrame, WindowUpdateFrame } from '../frame/types';
import type { HeadersCategory, SessionEvent } from './types';

/**
 * DATA payloads at least this long are handed out as they are (no copy); shorter ones, frame
 * headers and plain HEADERS blocks are written into the current run of a shared slab.
 */
export const ZERO_COPY_MIN = 4096;

/** Default size of each slab small output pieces are written into (see setOutputSlabSize). */
export const DEFAULT_OUTPUT_SLAB_SIZE = 64 * 1024;
/** Size of each new slab of this thread (see setOutputSlabSize). */
let slabSize = DEFAULT_OUTPUT_SLAB_SIZE;

/**
 * Size the slabs this thread's output queues write into from now on (8 KiB..1 MiB). A slab stays
 * referenced until it is full, so a slab that takes longer to fill than two young-generation
 * collections is promoted, and once full it is garbage that only a mark-compact frees: a process
 * that queues few octets per unit of JS allocation and rarely sees a mark-compact (h2load: ~15
 * octets per request, ~4000 requests per 64 KiB slab against a scavenge every ~1400 with its 1 MB
 * semi-space) keeps every slab it ever filled (RSS +4 MB per 200k requests there). Such a process
 * takes small slabs (h2load: 8 KiB, filled within one scavenge); a server that copies its bodies
 * in fills 64 KiB in tens of responses and keeps the default (with 8 KiB it would allocate and
 * later free a slab every seven 1 KiB responses instead of every sixty).
 */
export function setOutputSlabSize(bytes: number): void {
  slabSize = Math.min(1 << 20, Math.max(8192, Math.floor(bytes)));
}

/**
 * The slab every OutputQueue of this thread appends its small pieces to, as Node's Buffer pool
 * is shared: an idle connection holds none of it, and a response's frame headers and small
 * payloads cost no Buffer object each. Octets handed out are never written again (a new slab
 * replaces a full one; the old one lives on while the views of it do).
 */
let slab: Buffer | null = null;
/** Octets of `slab` in use. */
let slabUsed = 0;

/**
 * Whether `p` fits the PRIORITY fields of a HEADERS frame (a stream dependency of 31 bits, a weight
 * of 1..256): {@link OutputQueue.prioritizedHeaders} writes it as it is; anything else goes through
 * the generic encoder, which refuses it (ApiMisuseError).
 */
export function representablePriority(p: PrioritySpec): boolean {
  const d = p.dependsOn;
  const w = p.weight;
  return Number.isInteger(d) && d >= 0 && d <= 0x7fffffff && Number.isInteger(w) && w >= 1 && w <= 256;
}

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
  /** Framed bytes in wire order (runs of small pieces, large payload views, control frames), then the open run. */
  readonly out: Buffer[] = [];
  /** Octets queued (in `out` and the open run). */
  bytes = 0;
  /**
   * The open run: octets `runStart`..`runEnd` of `runSlab` follow `out` on the wire. It grows in
   * place while nothing else took slab space after it, else it is closed (becomes one view in
   * `out`) and a new run starts. Null when no run is open.
   */
  private runSlab: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  /** Inside a hand-out: frames framed now are reported at once. */
  handingOut = false;
  private readonly onEvent: (ev: SessionEvent) => void;
  private readonly onWantWrite: (() => void) | undefined;
  /** @internal Report `frameSent` events at all. */
  readonly frameEvents: boolean;
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
    this.piece(b);
  }

  /** Whether anything is queued. */
  get hasOutput(): boolean {
    return this.out.length > 0 || this.runSlab !== null;
  }

  /** @internal Queue `b` as it is, its own element (no copy), after everything queued so far. */
  piece(b: Buffer): void {
    if (this.runSlab !== null) this.closeRun();
    this.out.push(b);
    this.bytes += b.length;
  }

  /**
   * Room for `n` more octets at the end of the open run (opening one if needed, possibly in a new
   * slab): returns their offset in `runSlab`, read only after this call.
   */
  private reserve(n: number): number {
    const cur = slab;
    if (this.runSlab !== null) {
      if (this.runSlab === cur && this.runEnd === slabUsed && slabUsed + n <= cur.length) {
        const at = slabUsed;
        slabUsed += n;
        this.runEnd = slabUsed;
        this.bytes += n;
        return at;
      }
      this.closeRun();
    }
    if (cur === null || slabUsed + n > cur.length) {
      slab = Buffer.allocUnsafeSlow(n > slabSize ? n : slabSize);
      slabUsed = 0;
    }
    const at = slabUsed;
    this.runSlab = slab;
    this.runStart = at;
    slabUsed += n;
    this.runEnd = slabUsed;
    this.bytes += n;
    return at;
  }

  /** @internal Queue a 9-octet frame header (RFC 9113 section 4.1) in the open run. */
  frameHeader(length: number, type: number, flags: number, streamId: number): void {
    const at = this.reserve(FRAME_HEADER_LENGTH);
    writeFrameHeader(this.runSlab!, at, length, type, flags, streamId);
  }

  /** @internal Queue a copy of `b` in the open run. */
  copy(b: Buffer): void {
    const n = b.length;
    const at = this.reserve(n);
    const dst = this.runSlab!;
    // A call into the copying builtin costs more than a short loop.
    if (n < 32) for (let i = 0; i < n; i++) dst[at + i] = b[i];
    else dst.set(b, at);
  }

  /**
   * @internal Queue one octet in the open run. (The slab is read after `reserve`, which may have
   * replaced it: `slab[reserve(1)] = v` would write into a slab already handed out.)
   */
  byte(v: number): void {
    const at = this.reserve(1);
    this.runSlab![at] = v;
  }

  /** @internal Queue `n` zero octets (padding) in the open run. */
  zeros(n: number): void {
    const at = this.reserve(n);
    this.runSlab!.fill(0, at, at + n);
  }

  /** Move the open run into `out`, as one view of its slab. */
  private closeRun(): void {
    const run = this.runSlab!;
    this.runSlab = null;
    this.out.push(run.subarray(this.runStart, this.runEnd));
  }

  /**
   * Queue a control frame. Frames the peer provokes (ACKs, RST_STREAM, WINDOW_UPDATE) count
   * against `maxQueuedControlFrames` unless `ours` says the application asked for it. Returns
   * false when that limit is exceeded: the caller ends the connection.
   */
  control(f: Frame, ours = false): boolean {
    this.piece(encodeFrame(f));
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
    if (this.runSlab !== null) this.closeRun();
    const slot = this.out.length;
    // A download makes one per 32 KiB per stream and for the connection: framed here, 13 octets
    // of the slab closed into an element of their own (so it can still be dropped), not by the
    // generic encoder. `inc` comes from InboundFlow, within 1..2^31-1.
    const at = this.reserve(FRAME_HEADER_LENGTH + 4);
    const b = this.runSlab as Buffer;
    writeFrameHeader(b, at, 4, FrameType.WINDOW_UPDATE, 0, streamId);
    // Octet by octet, as writeFrameHeader (writeUInt32BE is a checked call per frame).
    const p = at + FRAME_HEADER_LENGTH;
    b[p] = (inc >>> 24) & 0x7f;
    b[p + 1] = (inc >>> 16) & 0xff;
    b[p + 2] = (inc >>> 8) & 0xff;
    b[p + 3] = inc & 0xff;
    this.closeRun();
    let ev: SessionEvent | undefined;
    if (this.frameEvents) {
      ev = {
        type: 'frameSent',
        frame: { type: FrameType.WINDOW_UPDATE, flags: 0, streamId, windowSizeIncrement: inc } as WindowUpdateFrame,
      };
      this.sent(ev);
    }
    // Framed while handing out: already reported, it goes out with this batch as it is.
    if (this.handingOut) return true;
    this.pendingWindowUpdates.push({ slot, streamId, ev });
    return true;
  }

  /**
   * Drop the queued WINDOW_UPDATEs nghttp2 would no longer send: all of them once the session is
   * `closing` (NGHTTP2_ERR_SESSION_CLOSING), a stream's once `streams.isLiveStream` says it is closed
   * (NGHTTP2_ERR_STREAM_CLOSED). Their bytes leave `out`, their frameSent events are never reported.
   */
  dropStaleWindowUpdates(closing: boolean, streams: { isLiveStream(streamId: number): boolean }): void {
    const wus = this.pendingWindowUpdates;
    if (wus.length === 0) return;
    this.pendingWindowUpdates = [];
    let dropped: Set<SessionEvent> | undefined;
    // From the last slot back, so the earlier slots stay where they are.
    for (let i = wus.length - 1; i >= 0; i--) {
      const w = wus[i];
      const stale = closing || (w.streamId !== 0 && !streams.isLiveStream(w.streamId));
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
      this.plainHeaders(frame.streamId, frame.flags, block);
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

  /**
   * Hot path (every response): a HEADERS frame whose whole unpadded `block` fits in one frame,
   * written straight into the open run (no generic encode, no Buffer per frame). Reports no
   * `frameSent` (the caller does, if wanted).
   */
  plainHeaders(streamId: number, flags: number, block: Buffer): void {
    this.frameHeader(block.length, FrameType.HEADERS, flags, streamId);
    this.copy(block);
  }

  /**
   * Hot path (every request nghttp sends: each carries a priority): {@link plainHeaders} with the
   * PRIORITY flag and its 5 octets (RFC 9113 section 6.2: E, Stream Dependency, Weight - 1) before
   * the block. The caller checked that `priority` fits those fields ({@link representablePriority}).
   */
  prioritizedHeaders(streamId: number, flags: number, priority: PrioritySpec, block: Buffer): void {
    this.frameHeader(5 + block.length, FrameType.HEADERS, flags | Flag.PRIORITY, streamId);
    const at = this.reserve(5);
    const dst = this.runSlab!;
    const dep = priority.dependsOn;
    dst[at] = (dep >>> 24) | (priority.exclusive ? 0x80 : 0);
    dst[at + 1] = (dep >>> 16) & 0xff;
    dst[at + 2] = (dep >>> 8) & 0xff;
    dst[at + 3] = dep & 0xff;
    dst[at + 4] = priority.weight - 1;
    this.copy(block);
  }

  private encoded(f: Frame, maxFrameSize: number, headers?: HeaderField[], category?: HeadersCategory): void {
    this.piece(encodeFrame(f, undefined, { maxFrameSize }));
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
    if (this.runSlab !== null) this.closeRun();
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
    if (this.runSlab !== null) this.closeRun();
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
          joined.set(out[j], at);
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
