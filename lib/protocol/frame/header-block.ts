/**
 * Field-block assembly (RFC 9113 section 4.3): joins HEADERS or PUSH_PROMISE with the
 * CONTINUATION frames that follow it into one frame carrying the whole block, and enforces the
 * rule that nothing may come between them. Every other frame passes through untouched.
 */
import { ConnectionError, ErrorCode, StreamError } from '../errors';
import { bindMaxFrameSize, type ConnectionContext } from '../context';
import type { Stage } from '../stage';
import { DEFAULT_MAX_FRAME_SIZE, Flag, FrameType } from './constants';
import { payloadLength } from './encode';
import type { Frame, HeadersFrame, PushPromiseFrame } from './types';

/** Limits of the HeaderBlockAssembler. */
export interface HeaderBlockOptions {
  /**
   * Most CONTINUATION frames accepted after one HEADERS or PUSH_PROMISE (default 8, as nghttp2).
   * Blocks the CONTINUATION flood (CVE-2024-27316 and kin): a peer sending endless tiny
   * CONTINUATION frames without END_HEADERS, costing per-frame work while no request ever
   * completes. Exceeding it is a connection error ENHANCE_YOUR_CALM.
   */
  maxContinuations?: number;
  /**
   * Most octets of field block (all fragments together) held before decoding (default 256 KiB).
   * Blocks memory exhaustion: the block must be buffered whole before HPACK can decode it, and
   * it cannot be skipped without breaking the compression context. Exceeding it is a connection
   * error ENHANCE_YOUR_CALM.
   */
  maxBlockSize?: number;
}

/** Default of `maxContinuations`. */
export const DEFAULT_MAX_CONTINUATIONS = 8;
/** Default of `maxBlockSize`. */
export const DEFAULT_MAX_BLOCK_SIZE = 256 * 1024;

type BlockFrame = HeadersFrame | PushPromiseFrame;

/** An assembler's fragments between blocks (shared, never written: a block starts a new array). */
const NO_FRAGMENTS: Buffer[] = [];

/**
 * Stage<Frame, Frame>: emits each HEADERS or PUSH_PROMISE frame with `fragment` = the complete
 * field block and END_HEADERS set; `length` is then the sum of the payload lengths, and
 * `continuations` / `continuationLength` say what was joined. Other frames pass through.
 */
export class HeaderBlockAssembler implements Stage<Frame, Frame> {
  private readonly maxContinuations: number;
  private readonly maxBlockSize: number;
  private open: BlockFrame | null = null;
  /** The open block's fragments (NO_FRAGMENTS, shared and never written, between blocks). */
  private fragments: Buffer[] = NO_FRAGMENTS;
  private blockSize = 0;
  private payloadLength = 0;
  /** Payload length of the HEADERS/PUSH_PROMISE that opened the block. */
  private firstLength = 0;
  private failed: Error | null = null;

  constructor(opts: HeaderBlockOptions = {}) {
    this.maxContinuations = opts.maxContinuations ?? DEFAULT_MAX_CONTINUATIONS;
    this.maxBlockSize = opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE;
  }

  /** Whether a field block is open (waiting for CONTINUATION). */
  get inBlock(): boolean {
    return this.open !== null;
  }

  push(frame: Frame, emit: (f: Frame) => void): void {
    if (this.failed) throw this.failed;
    try {
      this.step(frame, emit);
    } catch (err) {
      // A StreamError can only come from downstream `emit`, after this stage's state is settled:
      // it concerns one stream and leaves the assembler usable.
      if (!(err instanceof StreamError)) this.failed = err as Error;
      throw err;
    }
  }

  end(_emit: (f: Frame) => void): void {
    if (this.failed) throw this.failed;
    if (this.open) {
      this.failed = new ConnectionError(ErrorCode.PROTOCOL_ERROR, `input ended inside the field block of stream ${this.open.streamId}`);
      throw this.failed;
    }
  }

  private step(frame: Frame, emit: (f: Frame) => void): void {
    const open = this.open;
    if (open === null) {
      if ((frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE) && !('payload' in frame)) {
        const block = frame as BlockFrame;
        if (block.flags & Flag.END_HEADERS) {
          emit(block);
          return;
        }
        this.checkSize(block.fragment.length, block.streamId);
        // Fragments kept until the block ends are copies: the frames may be views of a read
        // buffer the transport reuses once this push returns (rare path: blocks over one frame).
        this.open = block;
        this.fragments = [Buffer.from(block.fragment)];
        this.blockSize = block.fragment.length;
        this.payloadLength = block.length ?? payloadLength(block);
        this.firstLength = this.payloadLength;
        return;
      }
      // RFC 9113 section 6.10: "A CONTINUATION frame MUST be preceded by a HEADERS, PUSH_PROMISE
      // or CONTINUATION frame without the END_HEADERS flag set. A recipient that observes
      // violation of this rule MUST respond with a connection error (Section 5.4.1) of type
      // PROTOCOL_ERROR."
      if (frame.type === FrameType.CONTINUATION) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `CONTINUATION frame on stream ${frame.streamId} without an open field block`);
      }
      emit(frame);
      return;
    }
    // RFC 9113 section 6.2: "A HEADERS frame without the END_HEADERS flag set MUST be followed by
    // a CONTINUATION frame for the same stream. A receiver MUST treat the receipt of any other
    // type of frame or a frame on a different stream as a connection error (Section 5.4.1) of
    // type PROTOCOL_ERROR." (Section 6.6 says the same of PUSH_PROMISE.)
    if (frame.type !== FrameType.CONTINUATION || 'payload' in frame) {
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        `frame of type 0x${frame.type.toString(16)} inside the field block of stream ${open.streamId}`,
      );
    }
    if (frame.streamId !== open.streamId) {
      throw new ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        `CONTINUATION frame on stream ${frame.streamId} inside the field block of stream ${open.streamId}`,
      );
    }
    const cont = frame;
    if (this.fragments.length > this.maxContinuations) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `more than ${this.maxContinuations} CONTINUATION frames in one field block`);
    }
    this.checkSize(this.blockSize + cont.fragment.length, open.streamId);
    this.fragments.push(cont.flags & Flag.END_HEADERS ? cont.fragment : Buffer.from(cont.fragment));
    this.blockSize += cont.fragment.length;
    this.payloadLength += cont.length ?? cont.fragment.length;
    if (!(cont.flags & Flag.END_HEADERS)) return;
    const count = this.fragments.length - 1;
    const assembled: BlockFrame = {
      ...open,
      flags: open.flags | Flag.END_HEADERS,
      length: this.payloadLength,
      fragment: Buffer.concat(this.fragments, this.blockSize),
      continuations: count,
      continuationLength: this.payloadLength - this.firstLength,
    };
    this.open = null;
    this.fragments = NO_FRAGMENTS;
    emit(assembled);
  }

  private checkSize(size: number, streamId: number): void {
    if (size > this.maxBlockSize) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `field block on stream ${streamId} exceeds ${this.maxBlockSize} octets`);
    }
  }
}

/**
 * Split an outgoing HEADERS or PUSH_PROMISE frame whose payload would exceed `maxFrameSize` into
 * that frame (without END_HEADERS) plus CONTINUATION frames, the last carrying the original
 * frame's END_HEADERS bit (RFC 9113
 * section 4.3: "Field blocks MUST be transmitted as a contiguous sequence of frames, with no
 * interleaved frames of any other type or from any other stream."). Padding and priority stay
 * on the first frame; fragments are views, not copies. A frame that fits is returned alone.
 */
export function splitHeaderBlock(frame: HeadersFrame | PushPromiseFrame, maxFrameSize = 16384): Frame[] {
  const overhead =
    (frame.padLength === undefined ? 0 : frame.padLength + 1) + (frame.type === FrameType.HEADERS ? (frame.priority ? 5 : 0) : 4);
  const room = maxFrameSize - overhead;
  if (room < 0) throw new RangeError(`padding and fixed fields (${overhead} octets) exceed maxFrameSize ${maxFrameSize}`);
  const block = frame.fragment;
  if (block.length <= room) return [frame];
  // An assembled frame's totals describe the joined block, not this first part: they stay behind.
  const { length: _length, continuations: _continuations, continuationLength: _continuationLength, ...rest } = frame;
  const out: Frame[] = [
    { ...rest, flags: frame.flags & ~Flag.END_HEADERS, fragment: block.subarray(0, room) } as HeadersFrame | PushPromiseFrame,
  ];
  for (let at = room; at < block.length; at += maxFrameSize) {
    const end = Math.min(at + maxFrameSize, block.length);
    out.push({
      type: FrameType.CONTINUATION,
      flags: end === block.length ? frame.flags & Flag.END_HEADERS : 0,
      streamId: frame.streamId,
      fragment: block.subarray(at, end),
    });
  }
  return out;
}

/**
 * Stage<Frame, Frame>, the writing-side mirror of HeaderBlockAssembler: HEADERS and PUSH_PROMISE
 * frames larger than the peer's SETTINGS_MAX_FRAME_SIZE leave as HEADERS + CONTINUATION*.
 */
export class HeaderBlockSplitter implements Stage<Frame, Frame> {
  private maxFrameSize: number;

  /**
   * `context`: the peer's SETTINGS_MAX_FRAME_SIZE follows it (overriding `maxFrameSize` when it
   * changes); without `maxFrameSize` the splitter starts at the context's value, else at 16384.
   */
  constructor(maxFrameSize?: number, context?: ConnectionContext) {
    this.maxFrameSize = maxFrameSize ?? context?.remote.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (context !== undefined) bindMaxFrameSize(context, 'remote', this);
  }

  /** Apply the peer's SETTINGS_MAX_FRAME_SIZE. */
  setMaxFrameSize(n: number): void {
    this.maxFrameSize = n;
  }

  push(frame: Frame, emit: (f: Frame) => void): void {
    if ((frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE) && !('payload' in frame)) {
      for (const f of splitHeaderBlock(frame as HeadersFrame | PushPromiseFrame, this.maxFrameSize)) emit(f);
    } else {
      emit(frame);
    }
  }
}
