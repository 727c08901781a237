/**
 * HPACK string literal representation (RFC 7541 section 5.2): an H bit, a 7-bit-prefix length,
 * then the octets, raw or Huffman-coded. Strings are latin1 byte strings (one char per octet).
 */
import { huffmanDecode, writeHuffman } from './huffman';
import { integerLength, readInteger, writeInteger } from './integer';
import { latin1Slice, latin1Write } from './latin1';
import { StringTooLongError, TruncatedBlockError } from './errors';

/** How string literals are coded: Huffman only where shorter (`auto`), always, or never. */
export type HuffmanMode = 'auto' | 'always' | 'never';

/** Room `writeString` may need for `s`: Huffman codes are at most 30 bits per octet. */
export function maxStringSize(s: string): number {
  return 4 * s.length + 12;
}

/**
 * Write `s` as a string literal at `pos` (the buffer needs `maxStringSize(s)` octets of room);
 * returns the position after it. In `auto` mode the Huffman form is written first (one pass)
 * and replaced by the raw octets when it is not shorter. Throws RangeError for a character
 * above U+00FF.
 */
export function writeString(buf: Buffer, pos: number, s: string, mode: HuffmanMode): number {
  const len = s.length;
  if (mode === 'never') {
    for (let i = 0; i < len; i++) {
      if (s.charCodeAt(i) > 0xff) throw new RangeError('header strings must be latin1 byte strings (no character above U+00FF)');
    }
    pos = writeInteger(buf, pos, len, 7, 0);
    return pos + latin1Write(buf, s, pos);
  }
  const prefixLen = integerLength(len, 7);
  const start = pos + prefixLen;
  const end = writeHuffman(buf, start, s);
  const hl = end - start;
  if (hl < len || mode === 'always') {
    const hPrefix = integerLength(hl, 7);
    if (hPrefix !== prefixLen) buf.copyWithin(pos + hPrefix, start, end);
    writeInteger(buf, pos, hl, 7, 0x80);
    return pos + hPrefix + hl;
  }
  pos = writeInteger(buf, pos, len, 7, 0);
  return pos + latin1Write(buf, s, pos);
}

/** Encode one string literal on its own (tests, tools). */
export function encodeString(s: string, mode: HuffmanMode = 'auto'): Buffer {
  const buf = Buffer.allocUnsafe(maxStringSize(s));
  return buf.subarray(0, writeString(buf, 0, s, mode));
}

/**
 * Read the string literal at `pos`; the position after it goes to `cur.pos`. A string whose
 * encoded or decoded length exceeds `maxLength` throws StringTooLongError; a block that ends
 * inside it throws TruncatedBlockError; bad Huffman throws HuffmanDecodeError.
 */
export function readString(buf: Buffer, pos: number, end: number, maxLength: number, cur: { pos: number }): string {
  const at = pos;
  if (pos >= end) throw new TruncatedBlockError(pos, 'a representation (string expected)');
  const huffman = (buf[pos] & 0x80) !== 0;
  const len = readInteger(buf, pos, end, 7, cur);
  pos = cur.pos;
  if (len > maxLength) throw new StringTooLongError(at, len, maxLength);
  if (pos + len > end) throw new TruncatedBlockError(end, `a string of ${len} octets`);
  cur.pos = pos + len;
  if (!huffman) return latin1Slice(buf, pos, pos + len);
  const s = huffmanDecode(buf, pos, pos + len, at);
  if (s.length > maxLength) throw new StringTooLongError(at, s.length, maxLength);
  return s;
}
