/**
 * Target `hpack`: the HPACK decoder fed a sequence of header blocks through one decoding
 * context (blocks are separated by the octets `fe fe fe` in the input, so the dynamic table
 * carries over). Clean outcomes: header lists and CompressionError (every HpackDecodeError).
 * Invariant: each decoded list, re-encoded by our encoder, decodes to the same list.
 */
import { CompressionError } from '../../lib/protocol/errors';
import type { HeaderField } from '../../lib/protocol/frame/types';
import { HpackDecoder } from '../../lib/protocol/hpack/decoder';
import { HpackEncoder } from '../../lib/protocol/hpack/encoder';
import { FuzzTarget, InvariantError } from './target';

/** The block separator in inputs. */
export const BLOCK_SEPARATOR = Buffer.from([0xfe, 0xfe, 0xfe]);

function split(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  for (;;) {
    const at = input.indexOf(BLOCK_SEPARATOR, off);
    if (at < 0) break;
    out.push(input.subarray(off, at));
    off = at + BLOCK_SEPARATOR.length;
  }
  out.push(input.subarray(off));
  return out;
}

function same(a: HeaderField[], b: HeaderField[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  return true;
}

export const target: FuzzTarget = {
  name: 'hpack',
  maxLen: 4096,
  dictionary: [
    BLOCK_SEPARATOR,
    Buffer.from([0x3f, 0xe1, 0x1f]), Buffer.from([0x20]), Buffer.from([0x3f, 0x00]),
    Buffer.from([0x40]), Buffer.from([0x00]), Buffer.from([0x10]), Buffer.from([0x80]), Buffer.from([0xbe]),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x7f, 0x80, 0x80, 0x80, 0x80, 0x01]),
    Buffer.from([0x87]), Buffer.from('8286418cf1e3c2e5f23a6ba0ab90f4ff84', 'hex'),
    'custom-key', 'custom-header', ':authority', 'www.example.com',
  ],
  run(input: Buffer): void {
    // The first octet picks the table size limit, so size updates meet different limits.
    const limit = input.length > 0 && input[0] & 1 ? 256 : 4096;
    const decoder = new HpackDecoder({ maxTableSize: limit, initialTableSize: limit });
    const encoder = new HpackEncoder();
    const check = new HpackDecoder();
    for (const block of split(input)) {
      let fields: HeaderField[];
      try {
        fields = decoder.decode(block);
      } catch (err) {
        if (err instanceof CompressionError) return;
        throw err;
      }
      const again = check.decode(encoder.encode(fields));
      if (!same(fields, again)) {
        throw new InvariantError(`re-encoding changed a header list: ${JSON.stringify(fields).slice(0, 300)} -> ${JSON.stringify(again).slice(0, 300)}`);
      }
    }
  },
};
