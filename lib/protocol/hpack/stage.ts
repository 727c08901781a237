/**
 * The HPACK layer as pure stages: header lists -> header blocks (encoding) and header blocks ->
 * header lists (decoding), each over one compression context. `operators/hpack.ts` lifts them
 * into Node Transforms and RxJS operators.
 */
import type { Stage } from '../stage';
import type { HeaderField } from '../frame/types';
import { HpackEncoder, HpackEncoderOptions } from './encoder';
import { HpackDecoder, HpackDecoderOptions } from './decoder';

/** An encoder input with a table size change applied before the list is encoded. */
export interface HeaderListMessage {
  headers: readonly HeaderField[];
  /** The peer's new SETTINGS_HEADER_TABLE_SIZE, in effect from this list on. */
  peerMaxTableSize?: number;
}

/** A decoder input with a change of our limit applied before the block is decoded. */
export interface HeaderBlockMessage {
  block: Buffer;
  /** Our new SETTINGS_HEADER_TABLE_SIZE (acknowledged), in effect from this block on. */
  maxTableSize?: number;
}

/** The encoding stage; `encoder` is its context (for table dumps or settings from elsewhere). */
export interface HpackEncodeStage extends Stage<readonly HeaderField[] | HeaderListMessage, Buffer> {
  readonly encoder: HpackEncoder;
}

/** The decoding stage; `decoder` is its context. */
export interface HpackDecodeStage extends Stage<Buffer | HeaderBlockMessage, HeaderField[]> {
  readonly decoder: HpackDecoder;
}

/** A stage that encodes each header list into one block, over one encoder (given or new). */
export function hpackEncodeStage(ctx: HpackEncoder | HpackEncoderOptions = {}): HpackEncodeStage {
  const encoder = ctx instanceof HpackEncoder ? ctx : new HpackEncoder(ctx);
  return {
    encoder,
    push(input, emit) {
      if (Array.isArray(input)) {
        emit(encoder.encode(input as readonly HeaderField[]));
        return;
      }
      const msg = input as HeaderListMessage;
      if (msg.peerMaxTableSize !== undefined) encoder.setPeerMaxTableSize(msg.peerMaxTableSize);
      emit(encoder.encode(msg.headers));
    },
  };
}

/** A stage that decodes each header block into one header list, over one decoder (given or new). */
export function hpackDecodeStage(ctx: HpackDecoder | HpackDecoderOptions = {}): HpackDecodeStage {
  const decoder = ctx instanceof HpackDecoder ? ctx : new HpackDecoder(ctx);
  return {
    decoder,
    push(input, emit) {
      if (input instanceof Uint8Array) {
        emit(decoder.decode(input));
        return;
      }
      if (input.maxTableSize !== undefined) decoder.setMaxTableSize(input.maxTableSize);
      emit(decoder.decode(input.block));
    },
  };
}
