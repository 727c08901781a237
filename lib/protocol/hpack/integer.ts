/**
 * HPACK integer representation (RFC 7541 section 5.1): an N-bit prefix, then 7-bit groups,
 * least significant first. Encoding writes into a caller's buffer; decoding reads in place.
 */
import { IntegerOverflowError, TruncatedBlockError } from './errors';

/** Largest integer the decoder accepts. Table sizes, indexes and lengths all fit. */
export const MAX_INTEGER = 0xffffffff;

/** Octets needed to encode `value` with an `prefixBits`-bit prefix. */
export function integerLength(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let n = 2;
  for (value -= max; value >= 128; value = Math.floor(value / 128)) n++;
  return n;
}

/**
 * Write `value` at `pos` with an `prefixBits`-bit prefix; `first` holds the representation's
 * flag bits above the prefix. Returns the position after the integer. The buffer must be large
 * enough (see `integerLength`).
 */
export function writeInteger(buf: Uint8Array, pos: number, value: number, prefixBits: number, first: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    buf[pos++] = first | value;
    return pos;
  }
  buf[pos++] = first | max;
  value -= max;
  while (value >= 128) {
    buf[pos++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

/** Encode an integer on its own (tests, tools). */
export function encodeInteger(value: number, prefixBits: number, first = 0): Buffer {
  const buf = Buffer.alloc(integerLength(value, prefixBits));
  writeInteger(buf, 0, value, prefixBits, first);
  return buf;
}

/**
 * Read an integer with an `prefixBits`-bit prefix at `pos`. The result is returned and the
 * position after it is stored in `out.pos` (avoids allocating a tuple per integer).
 * Throws TruncatedBlockError or IntegerOverflowError.
 */
export function readInteger(buf: Uint8Array, pos: number, end: number, prefixBits: number, out: { pos: number }): number {
  const start = pos;
  if (pos >= end) throw new TruncatedBlockError(pos, 'an integer');
  const max = (1 << prefixBits) - 1;
  let value = buf[pos++] & max;
  if (value < max) {
    out.pos = pos;
    return value;
  }
  let shift = 1; // 128^k, kept as a float so no 32-bit wrap-around
  for (;;) {
    if (pos >= end) throw new TruncatedBlockError(pos, 'an integer');
    const b = buf[pos++];
    value += (b & 0x7f) * shift;
    // RFC 7541 section 5.1: "Integer encodings that exceed implementation limits -- in value
    // or octet length -- MUST be treated as decoding errors."
    if (value > MAX_INTEGER) throw new IntegerOverflowError(start);
    if ((b & 0x80) === 0) break;
    shift *= 128;
    if (shift > 2 ** 35) throw new IntegerOverflowError(start);
  }
  out.pos = pos;
  return value;
}
