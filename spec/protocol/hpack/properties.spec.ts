/** fast-check properties: integers, Huffman, and random header lists under random table sizes. */
import test from 'ava';
import fc from 'fast-check';
import {
  HpackDecoder,
  HpackDecodeError,
  HpackEncoder,
  encodeInteger,
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
  readInteger,
  encodeString,
  readString,
} from '../../../lib/protocol/hpack';
import type { HeaderField } from '../../../lib/protocol/frame/types';

const bytes = (max = 64) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString('latin1'));

test('integers round-trip for every prefix width, and reading stops at the right octet', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 255 }),
      (n, prefix, flags) => {
        const first = flags & ~((1 << prefix) - 1) & 0xff;
        const enc = encodeInteger(n, prefix, first);
        t.is(enc[0] & ~((1 << prefix) - 1) & 0xff, first);
        const padded = Buffer.concat([enc, Buffer.from([0xaa])]);
        const cur = { pos: 0 };
        return readInteger(padded, 0, padded.length, prefix, cur) === n && cur.pos === enc.length;
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});

test('Huffman round-trips any octet string, with the predicted length', (t) => {
  fc.assert(
    fc.property(bytes(200), (s) => {
      const h = huffmanEncode(s);
      return h.length === huffmanEncodedLength(s) && huffmanDecode(h, 0, h.length) === s;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('Huffman decoding of random octets either succeeds and re-encodes to the same octets, or throws a typed error', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
      const buf = Buffer.from(raw);
      let s: string;
      try {
        s = huffmanDecode(buf, 0, buf.length);
      } catch (err) {
        return err instanceof HpackDecodeError;
      }
      // A valid Huffman string is the canonical encoding of what it decodes to.
      return huffmanEncode(s).equals(buf);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('string literals round-trip in every Huffman mode; auto picks the shorter form', (t) => {
  fc.assert(
    fc.property(bytes(300), fc.constantFrom<'auto' | 'always' | 'never'>('auto', 'always', 'never'), (s, mode) => {
      const enc = encodeString(s, mode);
      const cur = { pos: 0 };
      const back = readString(enc, 0, enc.length, Infinity, cur);
      if (back !== s || cur.pos !== enc.length) return false;
      if (mode === 'auto') {
        const shortest = Math.min(encodeString(s, 'always').length, encodeString(s, 'never').length);
        return enc.length === shortest && ((enc[0] & 0x80) !== 0) === huffmanEncodedLength(s) < s.length;
      }
      return ((enc[0] & 0x80) !== 0) === (mode === 'always');
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

const names = fc.oneof(
  fc.constantFrom(':method', ':path', ':authority', 'cookie', 'authorization', 'content-type', 'user-agent', 'x-a', 'x-b'),
  bytes(12).filter((s) => s.length > 0),
);
const field: fc.Arbitrary<HeaderField> = fc
  .tuple(names, fc.oneof(fc.constantFrom('', 'GET', '/', 'a'), bytes(80)), fc.boolean())
  .map(([n, v, sens]) => (sens ? [n, v, true] : [n, v]) as HeaderField);
type Step = { kind: 'list'; fields: HeaderField[] } | { kind: 'size'; size: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.array(field, { maxLength: 12 }).map((fields) => ({ kind: 'list' as const, fields })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 8192 }).map((size) => ({ kind: 'size' as const, size })) },
);

test('random header lists round-trip under random table sizes and size changes, tables in step', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8192 }),
      fc.constantFrom<'auto' | 'always' | 'never'>('auto', 'always', 'never'),
      fc.array(step, { maxLength: 25 }),
      (cap, huffman, steps) => {
        const enc = new HpackEncoder({ maxTableSize: cap, huffman });
        const dec = new HpackDecoder({ maxTableSize: 8192 });
        for (const s of steps) {
          if (s.kind === 'size') {
            // SETTINGS_HEADER_TABLE_SIZE changed and was acknowledged: both sides learn it.
            enc.setPeerMaxTableSize(s.size);
            dec.setMaxTableSize(s.size);
            continue;
          }
          const got = dec.decode(enc.encode(s.fields));
          if (got.length !== s.fields.length) return false;
          for (let i = 0; i < got.length; i++) {
            if (got[i][0] !== s.fields[i][0] || got[i][1] !== s.fields[i][1]) return false;
            // Sensitive fields arrive never-indexed.
            if (s.fields[i][2] === true && got[i][2] !== true) return false;
          }
          if (JSON.stringify(enc.entries()) !== JSON.stringify(dec.entries())) return false;
          if (dec.tableUsed > dec.tableSize) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('fuzz: random blocks give a header list or a typed error, never a crash or a hang', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), (blocks) => {
      const dec = new HpackDecoder({ maxStringLength: 1024 });
      for (const b of blocks) {
        try {
          dec.decode(Buffer.from(b));
        } catch (err) {
          return err instanceof HpackDecodeError;
        }
      }
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('huffman-table.ts is exactly what huffman-gen.ts generates from the RFC 7541 Appendix B lengths', (t) => {
  const fs = require('fs') as typeof import('fs');
  const path = require('path') as typeof import('path');
  const { buildHuffmanTables, renderHuffmanTable } = require('../../../lib/protocol/hpack/huffman-gen');
  const { repoRoot } = require('./helpers');
  const committed = fs.readFileSync(path.join(repoRoot(), 'lib/protocol/hpack/huffman-table.ts'), 'utf8');
  t.is(renderHuffmanTable(buildHuffmanTables()), committed);
  // Spot checks against RFC 7541 Appendix B: '0' = 00000 (5 bits), 'a' = 00011, EOS = 30 ones.
  const tables = buildHuffmanTables();
  t.deepEqual([tables.codes[48], tables.lengths[48]], [0x0, 5]);
  t.deepEqual([tables.codes[97], tables.lengths[97]], [0x3, 5]);
  t.deepEqual([tables.codes[256], tables.lengths[256]], [0x3fffffff, 30]);
});
