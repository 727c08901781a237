/**
 * Target `hpack`: the HPACK decoder fed a sequence of header blocks through one decoding
 * context (blocks are separated by the octets `fe fe fe` in the input, so the dynamic table
 * carries over; `fe fe fd NN` instead lowers or raises our SETTINGS_HEADER_TABLE_SIZE to NN*32
 * before the next block, as an ACKed SETTINGS does). The first octet picks the starting limits.
 * Clean outcomes: header lists and CompressionError (every HpackDecodeError); after
 * HeaderListTooLargeError the context stays usable and decoding goes on. Invariant: each decoded
 * list, re-encoded by our encoder, decodes to the same list.
 */
import { CompressionError } from '../../lib/protocol/errors';
import type { HeaderField } from '../../lib/protocol/frame/types';
import { HpackDecoder } from '../../lib/protocol/hpack/decoder';
import { HeaderListTooLargeError } from '../../lib/protocol/hpack/errors';
import { HpackEncoder } from '../../lib/protocol/hpack/encoder';
import { FuzzTarget, InvariantError } from './target';

/** The block separator in inputs. */
export const BLOCK_SEPARATOR = Buffer.from([0xfe, 0xfe, 0xfe]);

/** Blocks after the first octet, each with the table size limit to set before it (if any). */
function split(input: Buffer): { block: Buffer; limit?: number }[] {
  const out: { block: Buffer; limit?: number }[] = [];
  let start = 1;
  let limit: number | undefined;
  let pos = 1;
  for (;;) {
    const at = input.indexOf(0xfe, pos);
    if (at < 0 || at + 2 >= input.length) break;
    pos = at + 1;
    if (input[at + 1] !== 0xfe) continue;
    const kind = input[at + 2];
    if (kind === 0xfe) {
      out.push({ block: input.subarray(start, at), limit });
      limit = undefined;
      start = pos = at + 3;
    } else if (kind === 0xfd && at + 3 < input.length) {
      out.push({ block: input.subarray(start, at), limit });
      limit = input[at + 3] * 32;
      start = pos = at + 4;
    }
  }
  out.push({ block: input.subarray(Math.min(start, input.length)), limit });
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
    Buffer.from([0xfe, 0xfe, 0xfd, 0x00]),
    Buffer.from([0xfe, 0xfe, 0xfd, 0x80]),
    Buffer.from([0xfe, 0xfe, 0xfd, 0x08]),
    Buffer.from([0x3f, 0xe1, 0x1f]),
    Buffer.from([0x20]),
    Buffer.from([0x3f, 0x00]),
    Buffer.from([0x40]),
    Buffer.from([0x00]),
    Buffer.from([0x10]),
    Buffer.from([0x80]),
    Buffer.from([0xbe]),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
    Buffer.from([0x7f, 0x80, 0x80, 0x80, 0x80, 0x01]),
    Buffer.from([0x87]),
    Buffer.from('8286418cf1e3c2e5f23a6ba0ab90f4ff84', 'hex'),
    'custom-key',
    'custom-header',
    ':authority',
    'www.example.com',
  ],
  run(input: Buffer): void {
    const config = input.length > 0 ? input[0] : 0;
    // Bit 0: a 256-octet table agreed out of band (as RFC 7541 C.5/C.6), else 4096.
    // Bit 1: a 1024-octet header list limit (HeaderListTooLargeError, then go on).
    const initial = config & 1 ? 256 : 4096;
    const decoder = new HpackDecoder({
      maxTableSize: initial,
      initialTableSize: initial,
      maxHeaderListSize: config & 2 ? 1024 : undefined,
    });
    const encoder = new HpackEncoder();
    const check = new HpackDecoder();
    for (const { block, limit } of split(input)) {
      if (limit !== undefined) decoder.setMaxTableSize(limit);
      let fields: HeaderField[];
      try {
        fields = decoder.decode(block);
      } catch (err) {
        if (err instanceof HeaderListTooLargeError) continue;
        if (err instanceof CompressionError) return;
        throw err;
      }
      const again = check.decode(encoder.encode(fields));
      if (!same(fields, again)) {
        throw new InvariantError(
          `re-encoding changed a header list: ${JSON.stringify(fields).slice(0, 300)} -> ${JSON.stringify(again).slice(0, 300)}`,
        );
      }
    }
  },
};
