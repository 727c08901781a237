/**
 * The frame layers as Node Transforms and RxJS operators, each a thin lift of a pure stage from
 * lib/protocol/frame with `toTransform` / `toOperator`: bytes -> frames, frames -> bytes,
 * field-block assembly and splitting.
 */
import type { Transform } from 'stream';
import type { OperatorFunction } from 'rxjs';
import { toOperator, toTransform } from './adapt';
import { Deframer, DeframerOptions } from '../lib/protocol/frame/deframer';
import { FrameEncoder, FrameEncoderOptions } from '../lib/protocol/frame/encoder';
import { HeaderBlockAssembler, HeaderBlockOptions, HeaderBlockSplitter } from '../lib/protocol/frame/header-block';
import type { Frame } from '../lib/protocol/frame/types';

/** bytes -> frames as a Transform (Buffers in, Frame objects out). */
export function deframerTransform(opts?: DeframerOptions): Transform {
  return toTransform(() => new Deframer(opts), { bytesIn: true });
}

/** bytes -> frames as an RxJS operator. */
export function deframe(opts?: DeframerOptions): OperatorFunction<Buffer, Frame> {
  return toOperator(() => new Deframer(opts));
}

/** frames -> bytes as a Transform (Frame objects in, Buffers out). */
export function frameEncoderTransform(opts?: FrameEncoderOptions): Transform {
  return toTransform(() => new FrameEncoder(opts), { bytesOut: true });
}

/** frames -> bytes as an RxJS operator. */
export function encodeFrames(opts?: FrameEncoderOptions): OperatorFunction<Frame, Buffer> {
  return toOperator(() => new FrameEncoder(opts));
}

/** HEADERS/PUSH_PROMISE + CONTINUATION* -> one frame with the whole field block, as a Transform. */
export function headerBlockTransform(opts?: HeaderBlockOptions): Transform {
  return toTransform(() => new HeaderBlockAssembler(opts));
}

/** Field-block assembly as an RxJS operator. */
export function assembleHeaderBlocks(opts?: HeaderBlockOptions): OperatorFunction<Frame, Frame> {
  return toOperator(() => new HeaderBlockAssembler(opts));
}

/** Large HEADERS/PUSH_PROMISE -> HEADERS + CONTINUATION*, as a Transform. */
export function headerSplitTransform(maxFrameSize?: number): Transform {
  return toTransform(() => new HeaderBlockSplitter(maxFrameSize));
}

/** Field-block splitting as an RxJS operator. */
export function splitHeaderBlocks(maxFrameSize?: number): OperatorFunction<Frame, Frame> {
  return toOperator(() => new HeaderBlockSplitter(maxFrameSize));
}
