/**
 * The HPACK layer in its stream forms: header lists -> header blocks and back, as Node
 * Transforms (object mode) and RxJS operators, all lifted from the pure stages in
 * lib/protocol/hpack/stage.ts by the generic adapters.
 */
import type { Transform } from 'stream';
import type { OperatorFunction } from 'rxjs';
import { toOperator, toTransform } from './adapt';
import { hpackDecodeStage, hpackEncodeStage, HeaderBlockMessage, HeaderListMessage } from '../lib/protocol/hpack/stage';
import type { HpackEncoderOptions } from '../lib/protocol/hpack/encoder';
import type { HpackDecoderOptions } from '../lib/protocol/hpack/decoder';
import type { HeaderField } from '../lib/protocol/frame/types';

/** Transform: header lists (or HeaderListMessage) in, one header block Buffer per list out. */
export function hpackEncodeTransform(opts: HpackEncoderOptions = {}): Transform {
  return toTransform(() => hpackEncodeStage(opts));
}

/** Transform: header blocks (Buffer or HeaderBlockMessage) in, one header list per block out. */
export function hpackDecodeTransform(opts: HpackDecoderOptions = {}): Transform {
  return toTransform(() => hpackDecodeStage(opts));
}

/** RxJS operator: header lists to header blocks; each subscription has its own context. */
export function hpackEncode(opts: HpackEncoderOptions = {}): OperatorFunction<readonly HeaderField[] | HeaderListMessage, Buffer> {
  return toOperator(() => hpackEncodeStage(opts));
}

/** RxJS operator: header blocks to header lists; each subscription has its own context. */
export function hpackDecode(opts: HpackDecoderOptions = {}): OperatorFunction<Buffer | HeaderBlockMessage, HeaderField[]> {
  return toOperator(() => hpackDecodeStage(opts));
}
