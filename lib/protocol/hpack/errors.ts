/**
 * The HPACK decoder's typed errors. Every one is a CompressionError (RFC 7541 section 2.3.4:
 * COMPRESSION_ERROR, a connection error), so a session that only knows the base class does the
 * right thing; the subclasses say what was wrong, for logs, tests and finer policies.
 */
import { CompressionError } from '../errors';

/** Why a header block was rejected; one value per error class below. */
export type HpackErrorReason =
  | 'truncated'
  | 'integer-overflow'
  | 'invalid-index'
  | 'huffman'
  | 'string-too-long'
  | 'table-size-update'
  | 'header-list-too-large';

/** Base of the HPACK decoding errors: the reason and the byte offset in the block. */
export class HpackDecodeError extends CompressionError {
  constructor(
    /** What kind of defect the block had. */
    readonly reason: HpackErrorReason,
    message: string,
    /** Offset in the header block where the defect was found (-1 when it applies to the whole block). */
    readonly offset: number,
  ) {
    super(offset >= 0 ? `${message} (at offset ${offset})` : message);
  }
}

/** The block ends inside an integer, a string or a representation. */
export class TruncatedBlockError extends HpackDecodeError {
  constructor(offset: number, what: string) {
    super('truncated', `header block ends inside ${what}`, offset);
  }
}

/** An integer does not fit the decoder's limit (2^32 - 1) or uses too many continuation octets. */
export class IntegerOverflowError extends HpackDecodeError {
  constructor(offset: number) {
    super('integer-overflow', 'integer overflows 32 bits', offset);
  }
}

/** An index of 0, or one past the end of the static and dynamic tables. */
export class InvalidIndexError extends HpackDecodeError {
  constructor(
    offset: number,
    /** The index found in the block. */
    readonly index: number,
    /** The largest valid index at that point. */
    readonly maxIndex: number,
  ) {
    super('invalid-index', `index ${index} is out of range (valid: 1..${maxIndex})`, offset);
  }
}

/** A Huffman string contains EOS, or its padding is longer than 7 bits or not all ones. */
export class HuffmanDecodeError extends HpackDecodeError {
  constructor(offset: number, detail: string) {
    super('huffman', `bad Huffman string: ${detail}`, offset);
  }
}

/** A string literal is longer than `maxStringLength`. */
export class StringTooLongError extends HpackDecodeError {
  constructor(
    offset: number,
    /** The length found (encoded length for the check before decoding). */
    readonly length: number,
    /** The limit in force. */
    readonly limit: number,
  ) {
    super('string-too-long', `string of ${length} octets exceeds the limit of ${limit}`, offset);
  }
}

/**
 * A dynamic table size update above the limit, after the first field of a block, or missing
 * from a block that must open with one after the limit was lowered.
 */
export class TableSizeUpdateError extends HpackDecodeError {
  constructor(offset: number, detail: string) {
    super('table-size-update', `dynamic table size update: ${detail}`, offset);
  }
}

/**
 * The decoded header list is larger than `maxHeaderListSize` (RFC 9113 section 6.5.2: the sum
 * of name + value + 32 over the fields). Thrown only after the whole block was decoded, so the
 * dynamic table is still in step with the peer's encoder: a session may answer with a stream
 * reset or a 431 instead of ending the connection. `headers` holds the fields that fit within
 * the limit (the first ones, in order); the rest were decoded but not kept.
 */
export class HeaderListTooLargeError extends HpackDecodeError {
  constructor(
    /** The list's size as RFC 9113 counts it. */
    readonly size: number,
    /** The limit in force. */
    readonly limit: number,
    /** The leading fields that fit within the limit (the table is consistent either way). */
    readonly headers: [name: string, value: string, sensitive?: boolean][],
  ) {
    super('header-list-too-large', `header list of ${size} octets exceeds the limit of ${limit}`, -1);
  }
}
