/**
 * The frame layers composed with HPACK, as Transforms and RxJS operators: one stage per direction
 * (lib/protocol/frame/pipeline.ts) lifted with the generic adapters. Reading: bytes -> frames ->
 * whole field blocks -> decoded header lists (`frame.headers`). Writing: frames whose HEADERS /
 * PUSH_PROMISE carry `headers` -> HPACK-encoded in wire order, split into CONTINUATION as needed
 * -> bytes. Every Transform and every subscription gets its own HPACK context. Give the reading
 * and the writing layers of one connection the same `context` (a ConnectionContext) and the
 * SETTINGS one side reads reconfigure the other (table sizes, frame sizes), as a proxy needs.
 */
import { LayerOperator, LayerTransform, toOperator, toTransform } from './adapt';
import { FrameReader, FrameReaderOptions, FrameWriter, FrameWriterOptions } from '../lib/protocol/frame/pipeline';
import { HpackDecoder, type HpackDecoderOptions } from '../lib/protocol/hpack/decoder';
import { HpackEncoder, type HpackEncoderOptions } from '../lib/protocol/hpack/encoder';
import type { Frame } from '../lib/protocol/frame/types';

/** Options of the reading layers. */
export interface ReaderLayerOptions extends FrameReaderOptions {
  /**
   * Options of the HPACK decoder made for each instance, or `false` to leave field blocks as
   * bytes. Ignored when `decoder` is given (then that one decoder is shared: one pipe only).
   */
  hpack?: HpackDecoderOptions | false;
}

/** Options of the writing layers. */
export interface WriterLayerOptions extends FrameWriterOptions {
  /** Options of the HPACK encoder made for each instance, or `false` to send `fragment` as is. */
  hpack?: HpackEncoderOptions | false;
}

/** A fresh FrameReader with its own HPACK decoder (unless told otherwise). */
export function createFrameReader(opts: ReaderLayerOptions = {}): FrameReader {
  const decoder = opts.decoder ?? (opts.hpack === false ? undefined : new HpackDecoder(opts.hpack ?? {}));
  return new FrameReader({ ...opts, decoder });
}

/** A fresh FrameWriter with its own HPACK encoder (unless told otherwise). */
export function createFrameWriter(opts: WriterLayerOptions = {}): FrameWriter {
  const encoder = opts.encoder ?? (opts.hpack === false ? undefined : new HpackEncoder(opts.hpack ?? {}));
  return new FrameWriter({ ...opts, encoder });
}

/** Reading side as a Transform: Buffers in, frames out (field blocks joined and decoded). */
export function frameReaderTransform(opts?: ReaderLayerOptions): LayerTransform<FrameReader> {
  return toTransform(() => createFrameReader(opts), { bytesIn: true, context: opts?.context });
}

/** Reading side as an RxJS operator. */
export function readFrames(opts?: ReaderLayerOptions): LayerOperator<Buffer, Frame> {
  return toOperator(() => createFrameReader(opts), opts?.context);
}

/** Writing side as a Transform: frames in (HEADERS/PUSH_PROMISE may carry `headers`), Buffers out. */
export function frameWriterTransform(opts?: WriterLayerOptions): LayerTransform<FrameWriter> {
  return toTransform(() => createFrameWriter(opts), { bytesOut: true, context: opts?.context });
}

/** Writing side as an RxJS operator. */
export function writeFrames(opts?: WriterLayerOptions): LayerOperator<Frame, Buffer> {
  return toOperator(() => createFrameWriter(opts), opts?.context);
}
