/**
 * HPACK Huffman coding (RFC 7541 section 5.2) over latin1 byte strings, using the generated
 * tables in huffman-table.ts: a bit accumulator for encoding, a 4-bit state machine for decoding.
 */
import { HUFFMAN_CODES, HUFFMAN_DECODE, HUFFMAN_LENGTHS } from './huffman-table';
import { HuffmanDecodeError } from './errors';
import { latin1Slice } from './latin1';

const EMIT = 1 << 16;
const ACCEPT = 1 << 17;
const FAIL = 1 << 18;

/**
 * Length in octets of the Huffman encoding of `s` (a latin1 byte string).
 * Throws RangeError for a character above U+00FF (not a byte string).
 */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`character U+${c.toString(16).padStart(4, '0')} is not a byte (header strings are latin1)`);
    bits += HUFFMAN_LENGTHS[c];
  }
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encode `s` into `buf` at `pos`, padding the last octet with the most significant bits
 * of EOS (ones). Returns the position after the string. `buf` must have room for
 * `huffmanEncodedLength(s)` octets. Throws RangeError for a character above U+00FF.
 */
export function writeHuffman(buf: Uint8Array, pos: number, s: string): number {
  let acc = 0; // pending bits, right-aligned
  let bits = 0; // count of pending bits, always < 8 between symbols
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`character U+${c.toString(16).padStart(4, '0')} is not a byte (header strings are latin1)`);
    let code = HUFFMAN_CODES[c];
    let len = HUFFMAN_LENGTHS[c];
    if (len > 24) {
      // Keep acc within 31 bits: push the high part first.
      const hi = len - 16;
      acc = (acc << hi) | (code >>> 16);
      bits += hi;
      while (bits >= 8) {
        bits -= 8;
        buf[pos++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      buf[pos++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) buf[pos++] = (acc << (8 - bits)) | (0xff >>> bits);
  return pos;
}

/** Huffman-encode a latin1 byte string into a new Buffer. */
export function huffmanEncode(s: string): Buffer {
  const buf = Buffer.allocUnsafe(huffmanEncodedLength(s));
  writeHuffman(buf, 0, s);
  return buf;
}

let scratch = Buffer.allocUnsafe(4096);

/**
 * Decode the Huffman string in `buf[start..end)` to a latin1 byte string.
 * Throws HuffmanDecodeError (EOS in the string, padding longer than 7 bits or
 * not made of ones) with offsets relative to `base`.
 */
export function huffmanDecode(buf: Uint8Array, start: number, end: number, base = 0): string {
  // The shortest code is 5 bits, so n octets decode to at most floor(8n / 5) symbols.
  const maxOut = Math.floor(((end - start) * 8) / 5);
  if (scratch.length < maxOut) scratch = Buffer.allocUnsafe(Math.max(maxOut, scratch.length * 2));
  const out = scratch;
  const table = HUFFMAN_DECODE;
  let n = 0;
  let state = 0;
  let accept = true;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    let e = table[(state << 4) | (b >>> 4)];
    if (e & FAIL) throw new HuffmanDecodeError(base + i, 'EOS symbol inside the string');
    if (e & EMIT) out[n++] = e >>> 8;
    state = e & 0xff;
    e = table[(state << 4) | (b & 0x0f)];
    if (e & FAIL) throw new HuffmanDecodeError(base + i, 'EOS symbol inside the string');
    if (e & EMIT) out[n++] = e >>> 8;
    state = e & 0xff;
    accept = (e & ACCEPT) !== 0;
  }
  // RFC 7541 section 5.2: "A padding strictly longer than 7 bits MUST be treated as a decoding
  // error. A padding not corresponding to the most significant bits of the code for the EOS
  // symbol MUST be treated as a decoding error."
  if (!accept) throw new HuffmanDecodeError(base + end - 1, 'padding is not a 0-7 bit prefix of EOS');
  return latin1Slice(out, 0, n);
}
