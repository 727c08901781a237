/**
 * The frame layers composed into one stage per direction, so a socket chunk makes one hop:
 * reading, bytes -> frames -> assembled field blocks -> decoded header lists; writing, frames
 * with header lists -> HPACK-encoded, split field blocks -> bytes. The HPACK codec is passed in
 * (anything with `decode(block)` / `encode(fields)`), which keeps this module free of it.
 */
import { bindDecoder, bindEncoder, bindMaxFrameSize, ConnectionContext, TableSizedDecoder, TableSizedEncoder } from '../context';
import { ConnectionError, ErrorCode } from '../errors';
import type { Stage } from '../stage';
import { DEFAULT_MAX_FRAME_SIZE, Flag, FrameType } from './constants';
import { Deframer, DeframerOptions } from './deframer';
import { FrameEncoder, FrameEncoderOptions } from './encoder';
import { HeaderBlockAssembler, HeaderBlockOptions, splitHeaderBlock } from './header-block';
import type { Frame, HeaderField, HeadersFrame, PushPromiseFrame } from './types';

/** What the reading side needs from an HPACK decoder. Throws CompressionError on a bad block. */
export interface BlockDecoder {
  /** Decodes one whole field block into its header list. */
  decode(block: Buffer): HeaderField[];
}

/** What the writing side needs from an HPACK encoder. */
export interface BlockEncoder {
  /** Encodes a header list into one field block. */
  encode(fields: HeaderField[]): Buffer;
}

/** Stage<Frame, Frame>: sets `headers` on each (assembled) HEADERS and PUSH_PROMISE frame. */
export class HeaderDecodingStage implements Stage<Frame, Frame> {
  /** `context`: the decoder's table limit follows our acknowledged SETTINGS_HEADER_TABLE_SIZE. */
  constructor(
    readonly decoder: BlockDecoder,
    readonly context?: ConnectionContext,
  ) {
    if (context !== undefined && hasMethod<TableSizedDecoder>(decoder, 'setMaxTableSize')) bindDecoder(context, decoder);
  }

  push(frame: Frame, emit: (f: Frame) => void): void {
    if ((frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE) && !('payload' in frame)) {
      const f = frame as HeadersFrame | PushPromiseFrame;
      // The field block must be whole before HPACK sees it (RFC 9113 section 4.3); put a
      // HeaderBlockAssembler in front of this stage.
      if (!(f.flags & Flag.END_HEADERS)) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `field block of stream ${f.streamId} reached the decoder unassembled`);
      }
      f.headers = this.decoder.decode(f.fragment);
    }
    emit(frame);
  }
}

/**
 * Stage<Frame, Frame>: HPACK-encodes the `headers` of each outgoing HEADERS and PUSH_PROMISE frame
 * into `fragment` (in wire order, as the frames pass), then splits blocks too large for the
 * peer's SETTINGS_MAX_FRAME_SIZE into CONTINUATION frames. Frames without `headers` keep their
 * `fragment` as is.
 */
export class HeaderEncodingStage implements Stage<Frame, Frame> {
  /**
   * `context`: the encoder's table size follows the peer's SETTINGS_HEADER_TABLE_SIZE and the
   * split size its SETTINGS_MAX_FRAME_SIZE, as the peer's SETTINGS arrive on the reading side.
   */
  /** The split size: the peer's SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize: number;

  constructor(
    readonly encoder: BlockEncoder,
    maxFrameSize?: number,
    readonly context?: ConnectionContext,
  ) {
    // Without an explicit size, start from the context's (the peer's SETTINGS may have come already).
    this.maxFrameSize = maxFrameSize ?? context?.remote.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (context === undefined) return;
    if (hasMethod<TableSizedEncoder>(encoder, 'setPeerMaxTableSize')) bindEncoder(context, encoder);
    bindMaxFrameSize(context, 'remote', (n) => (this.maxFrameSize = n));
  }

  push(frame: Frame, emit: (f: Frame) => void): void {
    if ((frame.type === FrameType.HEADERS || frame.type === FrameType.PUSH_PROMISE) && !('payload' in frame)) {
      const f = frame as HeadersFrame | PushPromiseFrame;
      const out = f.headers ? { ...f, fragment: this.encoder.encode(f.headers) } : f;
      for (const part of splitHeaderBlock(out, this.maxFrameSize)) emit(part);
      return;
    }
    emit(frame);
  }
}

/** Whether `o` has method `name` (an HPACK codec that can be reconfigured). */
function hasMethod<T>(o: object, name: string): o is T & object {
  return typeof (o as Record<string, unknown>)[name] === 'function';
}

/**
 * Stage<Frame, Frame>: tells the connection context about each frame passing (`read`: from the
 * peer; `written`: to the peer), then passes it on. FrameReader and FrameWriter run one when given
 * a context; put one at the end of a reading pipeline and one at the start of a writing pipeline
 * built from separate stages.
 */
export class ContextTracker implements Stage<Frame, Frame> {
  constructor(
    readonly context: ConnectionContext,
    readonly direction: 'read' | 'written',
  ) {}

  push(frame: Frame, emit: (f: Frame) => void): void {
    if (this.direction === 'read') this.context.observeRead(frame);
    else this.context.observeWritten(frame);
    emit(frame);
  }
}

/** Options of the reading pipeline. */
export interface FrameReaderOptions extends DeframerOptions, HeaderBlockOptions {
  /** HPACK decoder; without one, field blocks are assembled but not decoded. */
  decoder?: BlockDecoder;
}

/**
 * Stage<Buffer, Frame>: Deframer -> HeaderBlockAssembler -> (HeaderDecodingStage), run as one
 * stage. The inner stages are exposed so the session can retune them (`deframer.setMaxFrameSize`).
 */
export class FrameReader implements Stage<Buffer, Frame> {
  readonly deframer: Deframer;
  readonly assembler: HeaderBlockAssembler;
  readonly decoding: HeaderDecodingStage | null;
  private readonly onFrame: (f: Frame) => void;
  private emit: (f: Frame) => void = () => {};

  /** The connection's context, when given: SETTINGS read here reconfigure its writing layers. */
  readonly context: ConnectionContext | undefined;

  constructor(opts: FrameReaderOptions = {}) {
    this.context = opts.context;
    this.deframer = new Deframer(opts);
    this.assembler = new HeaderBlockAssembler(opts);
    this.decoding = opts.decoder ? new HeaderDecodingStage(opts.decoder, opts.context) : null;
    const decoding = this.decoding;
    const ctx = opts.context;
    const toOut =
      ctx === undefined
        ? (f: Frame) => this.emit(f)
        : (f: Frame) => {
            ctx.observeRead(f);
            this.emit(f);
          };
    const afterAssembly = decoding ? (f: Frame) => decoding.push(f, toOut) : toOut;
    this.onFrame = (f) => this.assembler.push(f, afterAssembly);
  }

  /** Apply our SETTINGS_MAX_FRAME_SIZE once the peer has acknowledged it. */
  setMaxFrameSize(n: number): void {
    this.deframer.setMaxFrameSize(n);
  }

  push(chunk: Buffer, emit: (f: Frame) => void): void {
    this.emit = emit;
    this.deframer.push(chunk, this.onFrame);
  }

  end(emit: (f: Frame) => void): void {
    this.emit = emit;
    this.deframer.end(this.onFrame);
    this.assembler.end(this.onFrame);
  }
}

/** Options of the writing pipeline. */
export interface FrameWriterOptions extends FrameEncoderOptions {
  /* `context` (from FrameEncoderOptions): frames written here are reported to it, and the peer's
     SETTINGS read on the other side bound the HPACK table, the split size and the frame size. */
  /** HPACK encoder for frames that carry `headers`. */
  encoder?: BlockEncoder;
}

/** Stage<Frame, Buffer>: (HeaderEncodingStage, which also splits) -> FrameEncoder, as one stage. */
export class FrameWriter implements Stage<Frame, Buffer> {
  readonly encoding: HeaderEncodingStage | null;
  readonly frameEncoder: FrameEncoder;
  private emit: (b: Buffer) => void = () => {};
  private readonly onFrame: (f: Frame) => void;

  /** The connection's context, when given. */
  readonly context: ConnectionContext | undefined;

  constructor(opts: FrameWriterOptions = {}) {
    this.context = opts.context;
    this.frameEncoder = new FrameEncoder(opts);
    const maxFrameSize = opts.maxFrameSize ?? opts.context?.remote.maxFrameSize;
    this.encoding = opts.encoder ? new HeaderEncodingStage(opts.encoder, maxFrameSize, opts.context) : null;
    this.onFrame = (f) => this.frameEncoder.push(f, this.emit);
  }

  /** Apply the peer's SETTINGS_MAX_FRAME_SIZE to splitting and to the size check. */
  setMaxFrameSize(n: number): void {
    this.frameEncoder.setMaxFrameSize(n);
    if (this.encoding) this.encoding.maxFrameSize = n;
  }

  push(frame: Frame, emit: (b: Buffer) => void): void {
    this.emit = emit;
    this.context?.observeWritten(frame);
    if (this.encoding) this.encoding.push(frame, this.onFrame);
    else this.frameEncoder.push(frame, emit);
  }

  end(emit: (b: Buffer) => void): void {
    this.frameEncoder.end(emit);
  }
}
