/**
 * The writing side of the frame layer: frames -> bytes (a Stage<Frame, Buffer>), with the padding
 * policy applied and the peer's SETTINGS_MAX_FRAME_SIZE enforced on what we send.
 */
import { ApiMisuseError } from '../errors';
import { bindMaxFrameSize, type ConnectionContext } from '../context';
import type { Stage } from '../stage';
import { CONNECTION_PREFACE, DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE } from './constants';
import { encodeFrame, encodeFrameParts } from './codec';
import type { PaddingPolicy } from './padding';
import type { Frame } from './types';

/** Options of the FrameEncoder. */
export interface FrameEncoderOptions {
  /** Padding for DATA, HEADERS and PUSH_PROMISE (default: each frame's own `padLength`). */
  padding?: PaddingPolicy;
  /** The peer's SETTINGS_MAX_FRAME_SIZE (default 16384): larger frames are refused. */
  maxFrameSize?: number;
  /** Client side: emit the 24-octet connection preface before the first frame. */
  preface?: boolean;
  /**
   * Emit each frame as separate Buffers (header with fixed fields, the body as the caller's
   * own view, padding) instead of one: DATA payloads are never copied. Default false.
   */
  parts?: boolean;
  /** The connection's context: the peer's SETTINGS_MAX_FRAME_SIZE follows it as its SETTINGS arrive. */
  context?: ConnectionContext;
}

/** Stage<Frame, Buffer>: serialises frames; see the module comment. */
export class FrameEncoder implements Stage<Frame, Buffer> {
  private maxFrameSize: number;
  private readonly padding: PaddingPolicy | undefined;
  private readonly parts: boolean;
  private prefacePending: boolean;

  constructor(opts: FrameEncoderOptions = {}) {
    this.padding = opts.padding;
    this.parts = opts.parts ?? false;
    this.prefacePending = opts.preface ?? false;
    this.maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
    const ctx = opts.context;
    if (opts.maxFrameSize !== undefined) this.setMaxFrameSize(opts.maxFrameSize);
    else if (ctx !== undefined) this.setMaxFrameSize(ctx.remote.maxFrameSize);
    if (ctx !== undefined) bindMaxFrameSize(ctx, 'remote', this);
  }

  /** Apply the peer's SETTINGS_MAX_FRAME_SIZE (when its SETTINGS arrive). */
  setMaxFrameSize(n: number): void {
    if (!Number.isInteger(n) || n < DEFAULT_MAX_FRAME_SIZE || n > MAX_MAX_FRAME_SIZE) {
      throw new RangeError(`maxFrameSize ${n} outside 16384..16777215`);
    }
    this.maxFrameSize = n;
  }

  push(frame: Frame, emit: (b: Buffer) => void): void {
    if (this.prefacePending) {
      this.prefacePending = false;
      emit(CONNECTION_PREFACE);
    }
    const opts = { maxFrameSize: this.maxFrameSize };
    if (this.parts) {
      const parts = encodeFrameParts(frame, this.padding, opts);
      this.check(frame, (parts[0][0] << 16) | (parts[0][1] << 8) | parts[0][2]);
      for (const p of parts) emit(p);
    } else {
      const b = encodeFrame(frame, this.padding, opts);
      this.check(frame, (b[0] << 16) | (b[1] << 8) | b[2]);
      emit(b);
    }
  }

  end(emit: (b: Buffer) => void): void {
    if (this.prefacePending) {
      this.prefacePending = false;
      emit(CONNECTION_PREFACE);
    }
  }

  private check(frame: Frame, length: number): void {
    // RFC 9113 section 4.2: "An endpoint MUST NOT send a frame if it exceeds the size defined in
    // SETTINGS_MAX_FRAME_SIZE". Sending it is our bug, not the peer's: ApiMisuseError.
    if (length > this.maxFrameSize) {
      throw new ApiMisuseError(
        `frame of type 0x${frame.type.toString(16)} with ${length} octets of payload exceeds the peer's SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}` +
          ` (split field blocks with splitHeaderBlock, DATA in the session)`,
      );
    }
  }
}
