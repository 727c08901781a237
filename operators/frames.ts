/**
 * The frame layers as Node Transforms and RxJS operators, each a thin lift of a pure stage from
 * lib/protocol/frame with `toTransform` / `toOperator`: bytes -> frames, frames -> bytes,
 * field-block assembly and splitting.
 */
import { LayerOperator, LayerTransform, toOperator, toTransform } from './adapt';
import type { ConnectionContext } from '../lib/protocol/context';
import { ContextTracker } from '../lib/protocol/frame/pipeline';
import { Deframer, DeframerOptions } from '../lib/protocol/frame/deframer';
import { FrameEncoder, FrameEncoderOptions } from '../lib/protocol/frame/encoder';
import { HeaderBlockAssembler, HeaderBlockOptions, HeaderBlockSplitter } from '../lib/protocol/frame/header-block';
import type { Frame } from '../lib/protocol/frame/types';

/** bytes -> frames as a Transform (Buffers in, Frame objects out). */
export function deframerTransform(opts?: DeframerOptions): LayerTransform<Deframer> {
  return toTransform(() => new Deframer(opts), { bytesIn: true, context: opts?.context });
}

/** bytes -> frames as an RxJS operator. */
export function deframe(opts?: DeframerOptions): LayerOperator<Buffer, Frame> {
  return toOperator(() => new Deframer(opts), opts?.context);
}

/** frames -> bytes as a Transform (Frame objects in, Buffers out). */
export function frameEncoderTransform(opts?: FrameEncoderOptions): LayerTransform<FrameEncoder> {
  return toTransform(() => new FrameEncoder(opts), { bytesOut: true, context: opts?.context });
}

/** frames -> bytes as an RxJS operator. */
export function encodeFrames(opts?: FrameEncoderOptions): LayerOperator<Frame, Buffer> {
  return toOperator(() => new FrameEncoder(opts), opts?.context);
}

/** HEADERS/PUSH_PROMISE + CONTINUATION* -> one frame with the whole field block, as a Transform. */
export function headerBlockTransform(opts?: HeaderBlockOptions): LayerTransform<HeaderBlockAssembler> {
  return toTransform(() => new HeaderBlockAssembler(opts));
}

/** Field-block assembly as an RxJS operator. */
export function assembleHeaderBlocks(opts?: HeaderBlockOptions): LayerOperator<Frame, Frame> {
  return toOperator(() => new HeaderBlockAssembler(opts));
}

/** Large HEADERS/PUSH_PROMISE -> HEADERS + CONTINUATION*, as a Transform. */
export function headerSplitTransform(maxFrameSize?: number, context?: ConnectionContext): LayerTransform<HeaderBlockSplitter> {
  return toTransform(() => new HeaderBlockSplitter(maxFrameSize, context), { context });
}

/** Field-block splitting as an RxJS operator. */
export function splitHeaderBlocks(maxFrameSize?: number, context?: ConnectionContext): LayerOperator<Frame, Frame> {
  return toOperator(() => new HeaderBlockSplitter(maxFrameSize, context), context);
}

/**
 * Tell `context` about each frame passing (`read`: from the peer, at the end of a reading pipeline
 * of separate layers; `written`: to the peer, at the start of a writing one), as a Transform.
 */
export function contextTrackerTransform(context: ConnectionContext, direction: 'read' | 'written'): LayerTransform<ContextTracker> {
  return toTransform(() => new ContextTracker(context, direction), { context });
}

/** The context tracker as an RxJS operator. */
export function trackContext(context: ConnectionContext, direction: 'read' | 'written'): LayerOperator<Frame, Frame> {
  return toOperator(() => new ContextTracker(context, direction), context);
}
