/**
 * The session's reading stages: bytes -> frames (Deframer) -> frames with whole field blocks
 * (HeaderBlockAssembler) -> FrameReceiver. A plain HEADERS frame (END_HEADERS, no padding, no
 * priority: what requests and responses almost always are) skips the frame object: the deframer
 * offers it as a range of the read chunk, and the receiver decodes it from there (a block that
 * repeats the last one without even a view of it). Only while nobody asked for frame events,
 * which carry the frame object.
 */
import type { ConnectionContext } from '../context';
import { Deframer } from '../frame/deframer';
import { HeaderBlockAssembler } from '../frame/header-block';
import type { Frame } from '../frame/types';
import type { FrameReceiver } from './receive';

/** Bytes in, frames to the receiver; see the module comment. */
export class FrameReader {
  private readonly deframer: Deframer;
  private readonly assembler: HeaderBlockAssembler;
  /** Bound once: the deframer's and the assembler's emit callbacks (no per-chunk closures). */
  private readonly onRawFrame: (f: Frame) => void;
  private readonly onFrame: (f: Frame) => void;

  constructor(
    receiver: FrameReceiver,
    opts: { server: boolean; context: ConnectionContext; maxContinuations: number; frameEvents: boolean; transientInput: boolean },
  ) {
    this.assembler = new HeaderBlockAssembler({ maxContinuations: opts.maxContinuations });
    const assembler = this.assembler;
    this.deframer = new Deframer({
      expectPreface: opts.server,
      onStreamError: (e) => receiver.parseStreamError(e),
      context: opts.context,
      // Reads into one reused buffer (SessionOptions.transientInput): split frames gathered in one too.
      reuseGathered: opts.transientInput,
      // Inside an open field block a HEADERS frame is the assembler's error to raise: parsed then.
      onHeaders: opts.frameEvents
        ? undefined
        : (id, flags, buf, start, end) => !assembler.inBlock && receiver.plainHeaders(id, flags, buf, start, end),
    });
    this.onFrame = (f) => receiver.handle(f);
    this.onRawFrame = (f) => assembler.push(f, this.onFrame);
  }

  /** Read bytes from the transport; throws what the stages and the receiver throw. */
  push(bytes: Buffer): void {
    this.deframer.push(bytes, this.onRawFrame);
  }

  /** The bytes have ended: throws when they stopped inside a frame or a field block. */
  end(): void {
    this.deframer.end(this.onRawFrame);
    this.assembler.end(this.onFrame);
  }
}
