/**
 * The deframer: bytes in any chunking -> parsed frames (a Stage<Buffer, Frame>). Optionally
 * consumes and checks the client connection preface first (server side).
 *
 * Zero-copy: a frame lying wholly inside one input chunk is parsed from a view of that chunk.
 * Only a frame split across chunks is gathered, once, into a buffer of exactly its size that the
 * deframer never reuses (unless `reuseGathered` says to). The deframer keeps nothing of a chunk once `push` returns (partial
 * frames and unread input are copied), so a caller may read into one reused buffer; the frames
 * parsed from views of it are then valid only during `emit`, and whoever keeps their Buffers
 * (DATA payloads, debug data) past it must copy them.
 */
import { ConnectionError, ErrorCode, StreamError } from '../errors';
import { bindMaxFrameSize, type ConnectionContext } from '../context';
import type { Stage } from '../stage';
import { CONNECTION_PREFACE, DEFAULT_MAX_FRAME_SIZE, Flag, FRAME_HEADER_LENGTH, FrameType, MAX_MAX_FRAME_SIZE } from './constants';
import { parseFrame } from './codec';
import type { Frame } from './types';

/** Options of the Deframer. */
export interface DeframerOptions {
  /**
   * Our SETTINGS_MAX_FRAME_SIZE: the largest payload accepted (default 16384). Checked as soon
   * as a frame header arrives, before any payload is buffered, so a peer cannot make us hold
   * 16 MiB per frame by announcing it.
   */
  maxFrameSize?: number;
  /** Server side: consume and check the 24-octet client connection preface before any frame. */
  expectPreface?: boolean;
  /**
   * Receives each StreamError (a frame that breaks a rule confined to one stream, e.g. a
   * WINDOW_UPDATE of 0 on a stream, or an error `emit` threw for one stream); the frame is
   * dropped and reading goes on with the next one. Without it, `push` throws the StreamError
   * and keeps the unread rest of the chunk, which the next `push` (an empty chunk will do)
   * reads first. ConnectionErrors always throw and end the deframer.
   */
  onStreamError?: (err: StreamError) => void;
  /**
   * The connection's context: our SETTINGS_MAX_FRAME_SIZE follows it from the moment the peer
   * acknowledges a new value (it starts at `maxFrameSize` when given, else at the context's).
   */
  context?: ConnectionContext;
  /**
   * Offered first every plain HEADERS frame (END_HEADERS set, neither PADDED nor PRIORITY, on a
   * stream other than 0): its stream, flags and field block as the range `start..end` of `buf`
   * (valid only during the call, like a view of a reused read buffer). Return true when it was
   * handled: no frame object is made and `emit` does not see it; false to have it parsed and
   * emitted as usual. Errors thrown here count as thrown by `emit`. For a reader that takes the
   * common request or response without building a HeadersFrame and a view per block.
   */
  onHeaders?: (streamId: number, flags: number, buf: Buffer, start: number, end: number) => boolean;
  /**
   * Gather every frame split across chunks into one buffer, reused for the next such frame,
   * instead of a new one each (a download split a DATA frame at nearly every read). The frames
   * gathered there are then valid only during `emit`, as frames parsed from views of an input
   * chunk its caller reuses are: for callers that already promise not to keep them (default false).
   */
  reuseGathered?: boolean;
}

/** HEADERS flags a frame may carry to be offered to `onHeaders`: END_HEADERS alone matters. */
const PLAIN_HEADERS_MASK = Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY;

/** Incremental frame reader; see the module comment. */
export class Deframer implements Stage<Buffer, Frame> {
  /** The accepted payload size (a field: an object of its own holding it was 32 octets per connection). */
  private maxPayload = DEFAULT_MAX_FRAME_SIZE;
  /** Octets of the preface still expected (0 once it has been seen or when not expected). */
  private prefaceLeft: number;
  /**
   * The frame header being gathered when a chunk ended inside it: made the first time one does
   * (most connections never see a header split across reads; 216 octets of heap per connection).
   */
  private header: Buffer | null = null;
  private headerHave = 0;
  /** The frame (header + payload) being gathered when a chunk ended inside its payload. */
  private pending: Buffer | null = null;
  private pendingHave = 0;
  /** Once a connection-level error has been thrown, every later call throws it again. */
  private failed: Error | null = null;
  /** Unread input left behind by a thrown StreamError (a view, read before the next chunk). */
  private backlog: Buffer | null = null;
  /** Offset in the current chunk just past the frame being parsed or emitted. */
  private cursor = 0;
  private readonly onStreamError: ((err: StreamError) => void) | undefined;
  private readonly onHeaders: DeframerOptions['onHeaders'];
  private readonly reuseGathered: boolean;
  /** The reused gathering buffer (with `reuseGathered`), grown to the largest split frame. */
  private gathered: Buffer | null = null;

  constructor(opts: DeframerOptions = {}) {
    const ctx = opts.context;
    if (opts.maxFrameSize !== undefined) this.setMaxFrameSize(opts.maxFrameSize);
    else if (ctx !== undefined) this.setMaxFrameSize(ctx.local.maxFrameSize);
    if (ctx !== undefined) bindMaxFrameSize(ctx, 'local', this);
    this.prefaceLeft = opts.expectPreface ? CONNECTION_PREFACE.length : 0;
    this.onStreamError = opts.onStreamError;
    this.onHeaders = opts.onHeaders;
    this.reuseGathered = opts.reuseGathered === true;
  }

  /** Room for a split frame of `n` octets (header included); see `reuseGathered`. */
  private gather(n: number): Buffer {
    if (!this.reuseGathered) return Buffer.allocUnsafe(n);
    let g = this.gathered;
    if (g === null || g.length < n) g = this.gathered = Buffer.allocUnsafe(n);
    return g.subarray(0, n);
  }

  /** Change the accepted payload size (call when our SETTINGS_MAX_FRAME_SIZE is acknowledged). */
  setMaxFrameSize(n: number): void {
    if (!Number.isInteger(n) || n < DEFAULT_MAX_FRAME_SIZE || n > MAX_MAX_FRAME_SIZE) {
      throw new RangeError(`maxFrameSize ${n} outside 16384..16777215`);
    }
    this.maxPayload = n;
  }

  /** The accepted payload size now in force. */
  get maxFrameSize(): number {
    return this.maxPayload;
  }

  /** Whether the deframer holds a partial frame (or partial preface). */
  get midFrame(): boolean {
    return (
      this.headerHave > 0 ||
      this.pending !== null ||
      (this.backlog !== null && this.backlog.length > 0) ||
      (this.prefaceLeft > 0 && this.prefaceLeft < CONNECTION_PREFACE.length)
    );
  }

  /**
   * Consume one chunk of bytes; emits every frame it completes, in order. A ConnectionError (or
   * any other error) ends the deframer: later calls rethrow it. A StreamError goes to
   * `onStreamError` when given, else it is thrown with the rest of the chunk kept for the next
   * call (see DeframerOptions.onStreamError).
   */
  push(chunk: Buffer, emit: (f: Frame) => void): void {
    if (this.failed) throw this.failed;
    let input = chunk;
    if (this.backlog !== null) {
      input = chunk.length === 0 ? this.backlog : Buffer.concat([this.backlog, chunk]);
      this.backlog = null;
    }
    for (;;) {
      try {
        this.cursor = 0;
        this.consume(input, emit);
        return;
      } catch (err) {
        if (!(err instanceof StreamError)) {
          this.failed = err as Error;
          throw err;
        }
        // The offending frame has been read whole: carry on after it.
        input = input.subarray(this.cursor);
        if (this.onStreamError === undefined) {
          // Copied: the caller may reuse the chunk's memory once push returns.
          this.backlog = Buffer.from(input);
          throw err;
        }
        this.onStreamError(err);
      }
    }
  }

  /**
   * The bytes have ended: reads what a StreamError left unread, then throws if the bytes stopped
   * inside a frame or inside the preface.
   */
  end(emit: (f: Frame) => void): void {
    if (this.failed) throw this.failed;
    while (this.backlog !== null) this.push(Buffer.alloc(0), emit);
    if (this.midFrame) {
      // The peer closed the connection part-way through a frame; report it as a typed error so
      // callers can tell a truncated stream from a clean end.
      this.failed = new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'connection ended in the middle of a frame');
      throw this.failed;
    }
  }

  private consume(chunk: Buffer, emit: (f: Frame) => void): void {
    let off = 0;
    const len = chunk.length;
    if (this.prefaceLeft > 0) {
      const start = CONNECTION_PREFACE.length - this.prefaceLeft;
      const n = Math.min(this.prefaceLeft, len);
      // RFC 9113 section 3.4: "Clients and servers MUST treat an invalid connection preface as a
      // connection error (Section 5.4.1) of type PROTOCOL_ERROR."
      if (chunk.compare(CONNECTION_PREFACE, start, start + n, 0, n) !== 0) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'invalid client connection preface');
      }
      this.prefaceLeft -= n;
      off = n;
    }
    // Finish a frame left over from earlier chunks.
    if (this.headerHave > 0) {
      const header = this.header as Buffer;
      const n = Math.min(FRAME_HEADER_LENGTH - this.headerHave, len - off);
      chunk.copy(header, this.headerHave, off, off + n);
      this.headerHave += n;
      off += n;
      if (this.headerHave < FRAME_HEADER_LENGTH) return;
      this.headerHave = 0;
      const length = this.checkLength(header, 0);
      const frame = this.gather(FRAME_HEADER_LENGTH + length);
      header.copy(frame, 0);
      this.pending = frame;
      this.pendingHave = FRAME_HEADER_LENGTH;
    }
    if (this.pending !== null) {
      const p = this.pending;
      const n = Math.min(p.length - this.pendingHave, len - off);
      chunk.copy(p, this.pendingHave, off, off + n);
      this.pendingHave += n;
      off += n;
      if (this.pendingHave < p.length) return;
      this.pending = null;
      this.cursor = off;
      this.deliver(p, 0, p.length - FRAME_HEADER_LENGTH, emit);
    }
    // Frames wholly inside this chunk: parsed from views, no copy.
    while (len - off >= FRAME_HEADER_LENGTH) {
      const length = this.checkLength(chunk, off);
      if (len - off - FRAME_HEADER_LENGTH < length) break;
      const at = off;
      off += FRAME_HEADER_LENGTH + length;
      this.cursor = off;
      this.deliver(chunk, at, length, emit);
    }
    if (off === len) return;
    // A partial frame at the end of the chunk.
    if (len - off < FRAME_HEADER_LENGTH) {
      if (this.header === null) this.header = Buffer.alloc(FRAME_HEADER_LENGTH);
      chunk.copy(this.header, 0, off, len);
      this.headerHave = len - off;
    } else {
      const length = (chunk[off] << 16) | (chunk[off + 1] << 8) | chunk[off + 2];
      const frame = this.gather(FRAME_HEADER_LENGTH + length);
      chunk.copy(frame, 0, off, len);
      this.pending = frame;
      this.pendingHave = len - off;
    }
  }

  /** Read the length field at `off` and enforce our SETTINGS_MAX_FRAME_SIZE on it. */
  private checkLength(b: Buffer, off: number): number {
    const length = (b[off] << 16) | (b[off + 1] << 8) | b[off + 2];
    // RFC 9113 section 4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame
    // exceeds the size defined in SETTINGS_MAX_FRAME_SIZE". A connection error for every type:
    // the rest of the oversized frame is never read.
    if (length > this.maxPayload) {
      throw new ConnectionError(
        ErrorCode.FRAME_SIZE_ERROR,
        `frame of ${length} octets (type 0x${b[off + 3].toString(16)}) exceeds SETTINGS_MAX_FRAME_SIZE ${this.maxPayload}`,
      );
    }
    return length;
  }

  /** The frame at `off` (payload `length` octets) to `onHeaders` when it takes it, else parsed to `emit`. */
  private deliver(b: Buffer, off: number, length: number, emit: (f: Frame) => void): void {
    const hook = this.onHeaders;
    if (hook !== undefined && b[off + 3] === FrameType.HEADERS && (b[off + 4] & PLAIN_HEADERS_MASK) === Flag.END_HEADERS) {
      const streamId = ((b[off + 5] & 0x7f) << 24) | (b[off + 6] << 16) | (b[off + 7] << 8) | b[off + 8];
      const p = off + FRAME_HEADER_LENGTH;
      if (streamId !== 0 && hook(streamId, b[off + 4], b, p, p + length)) return;
    }
    emit(this.parseAt(b, off, length));
  }

  private parseAt(b: Buffer, off: number, length: number): Frame {
    const p = off + FRAME_HEADER_LENGTH;
    // RFC 9113 section 4.1: the reserved bit "MUST be ignored when receiving".
    const streamId = ((b[off + 5] & 0x7f) << 24) | (b[off + 6] << 16) | (b[off + 7] << 8) | b[off + 8];
    return parseFrame(b[off + 3], b[off + 4], streamId, b.subarray(p, p + length));
  }
}
