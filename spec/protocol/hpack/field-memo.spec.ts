import test from 'ava';
import fc from 'fast-check';
import { HpackEncoder } from '../../../lib/protocol/hpack/encoder';
import { HpackDecoder } from '../../../lib/protocol/hpack/decoder';
import type { HeaderField } from '../../../lib/protocol/frame/types';

// The encoder's field memo writes a field repeated at the same place of a list as it did the last
// time (a static index, a dynamic entry still in the table, or octets that cannot change). These
// check that it changes nothing on the wire: the same octets as fields the memo does not reach.

/** Positions the memo covers (MEMO_SLOTS in encoder.ts). */
const SLOTS = 16;
/** A field every encoder writes as one octet (static index 2) without touching the table. */
const PAD: HeaderField = [':method', 'GET'];

/** Fields of every kind of representation, to be drawn again and again at the same places. */
const POOL: HeaderField[] = [
  [':status', '200'], // static entry
  [':status', '204'], // static entry
  ['content-type', 'application/octet-stream'], // static name, indexed value
  ['content-length', '1024'], // a name the default rule never indexes
  ['content-length', '7'],
  ['date', 'Mon, 07 Dec 2026 06:36:09 GMT'],
  ['date', 'Mon, 07 Dec 2026 06:36:10 GMT'],
  ['server', 'nghttpx'],
  ['via', '1.1 nghttpx'],
  ['x-count', '1'],
  ['x-count', '2'],
  ['x-custom', 'a'.repeat(120)], // large: evicts others in a small table
  ['authorization', 'secret'], // never indexed (default rule)
  ['cookie', 'a=1'], // never indexed: a short cookie
  ['cookie', 'session=0123456789abcdefghij'], // indexed: a long cookie
  ['etag', '"x"', true], // marked sensitive
  ['x-literal', 'v'],
];

type Step = { kind: 'list'; picks: number[] } | { kind: 'mutate'; at: number; value: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.nat(POOL.length - 1), { maxLength: 20 }).map((picks) => ({ kind: 'list' as const, picks })) },
  // A caller reusing one of its arrays with another value (the memo must see the change).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.nat(POOL.length - 1), fc.constantFrom('1', '2', '3', 'x'.repeat(40)))
      .map(([at, value]) => ({ kind: 'mutate' as const, at, value })),
  },
);

test('field memo: every block is the octets the same fields get past the memo, and decodes to its list', (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(0, 64, 150, 256, 4096),
      fc.constantFrom<'auto' | 'always' | 'never'>('auto', 'always', 'never'),
      fc.array(step, { maxLength: 30 }),
      (size, huffman, steps) => {
        const pool = POOL.map((f) => [...f] as HeaderField);
        const enc = new HpackEncoder({ maxTableSize: size, initialTableSize: size, huffman });
        // The reference: each list behind SLOTS one-octet static fields, so its own fields sit past the memo.
        const ref = new HpackEncoder({ maxTableSize: size, initialTableSize: size, huffman });
        const dec = new HpackDecoder({ maxTableSize: size, initialTableSize: size });
        for (const s of steps) {
          if (s.kind === 'mutate') {
            pool[s.at][1] = s.value;
            continue;
          }
          const list = s.picks.map((k) => pool[k]);
          const block = Buffer.from(enc.encode(list));
          const padded = Buffer.from(ref.encode([...new Array<HeaderField>(SLOTS).fill(PAD), ...list]));
          if (!padded.subarray(0, SLOTS).every((o) => o === 0x82)) return false;
          if (!block.equals(padded.subarray(SLOTS))) return false;
          const got = dec.decode(block);
          if (got.length !== list.length) return false;
          for (let i = 0; i < got.length; i++) if (got[i][0] !== list[i][0] || got[i][1] !== list[i][1]) return false;
        }
        return true;
      },
    ),
    { numRuns: 400 },
  );
  t.pass();
});

test('field memo: a table size change between two equal lists, and entries the memo referred to evicted', (t) => {
  const enc = new HpackEncoder();
  const dec = new HpackDecoder();
  const list: HeaderField[] = [
    [':status', '200'],
    ['content-type', 'text/plain'],
    ['content-length', '5'],
    ['date', 'Mon, 07 Dec 2026 06:36:09 GMT'],
  ];
  t.deepEqual(dec.decode(enc.encode(list)), list);
  t.deepEqual(dec.decode(enc.encode([...list, ['x-count', '1']])), [...list, ['x-count', '1']]);
  // The table emptied and back: the dynamic entries the memo holds are gone.
  enc.setPeerMaxTableSize(0);
  dec.setMaxTableSize(0);
  enc.setPeerMaxTableSize(4096);
  dec.setMaxTableSize(4096);
  t.deepEqual(dec.decode(enc.encode(list)), list);
  t.is(enc.entries().length, 2, 'content-type and date are inserted again');
  // Evicted by newer entries in a small table: inserted again, not referred to.
  enc.setPeerMaxTableSize(100);
  dec.setMaxTableSize(100);
  t.deepEqual(dec.decode(enc.encode(list)), list);
  for (let i = 0; i < 5; i++) t.deepEqual(dec.decode(enc.encode([['x-count', String(i)]])), [['x-count', String(i)]]);
  t.deepEqual(dec.decode(enc.encode(list)), list);
  t.deepEqual(JSON.stringify(enc.entries()), JSON.stringify(dec.entries()));
});
