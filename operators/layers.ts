/**
 * The frame layers composed, as Transforms and RxJS operators: one stage per direction
 * (lib/protocol/frame/pipeline.ts) lifted with the generic adapters. Reading: bytes -> frames
 * with whole field blocks and decoded header lists. Writing: frames with header lists -> bytes.
 * Pass an HPACK decoder/encoder (e.g. `new HpackDecoder()` from lib/protocol/hpack) to get
 * header lists; without one the field blocks stay as bytes.
 */
import type { Transform } from 'stream';
import type { OperatorFunction } from 'rxjs';
import { toOperator, toTransform } from './adapt';
import { FrameReader, FrameReaderOptions, FrameWriter, FrameWriterOptions } from '../lib/protocol/frame/pipeline';
import type { Frame } from '../lib/protocol/frame/types';

/** Reading side as a Transform: Buffers in, frames out (field blocks joined, decoded if a decoder is given). */
export function frameReaderTransform(opts?: FrameReaderOptions): Transform {
  return toTransform(() => new FrameReader(opts), { bytesIn: true });
}

/** Reading side as an RxJS operator. A decoder instance in `opts` is shared by every subscription: pass a fresh one per connection. */
export function readFrames(opts?: FrameReaderOptions): OperatorFunction<Buffer, Frame> {
  return toOperator(() => new FrameReader(opts));
}

/** Writing side as a Transform: frames in (HEADERS/PUSH_PROMISE may carry `headers`), Buffers out. */
export function frameWriterTransform(opts?: FrameWriterOptions): Transform {
  return toTransform(() => new FrameWriter(opts), { bytesOut: true });
}

/** Writing side as an RxJS operator. */
export function writeFrames(opts?: FrameWriterOptions): OperatorFunction<Frame, Buffer> {
  return toOperator(() => new FrameWriter(opts));
}
