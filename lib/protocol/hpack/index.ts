/**
 * HPACK (RFC 7541), pure: the encoder and decoder contexts, their stages, the primitives and
 * the typed decoding errors.
 */
export * from './errors';
export { HpackEncoder, HpackEncoderOptions, HuffmanMode, DEFAULT_UNINDEXED_NAMES, defaultNeverIndex } from './encoder';
export { HpackDecoder, HpackDecoderOptions, DEFAULT_MAX_STRING_LENGTH } from './decoder';
export { HeaderTable, HeaderTableEntry, entrySize, ENTRY_OVERHEAD } from './header-table';
export { STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table';
export { huffmanEncode, huffmanDecode, huffmanEncodedLength } from './huffman';
export { encodeInteger, readInteger, integerLength, MAX_INTEGER } from './integer';
export { encodeString, readString, maxStringSize } from './string';
export * from './stage';
