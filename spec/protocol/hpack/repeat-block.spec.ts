import test from 'ava';
import { HpackEncoder } from '../../../lib/protocol/hpack/encoder';
import { HpackDecoder } from '../../../lib/protocol/hpack/decoder';
import type { HeaderField } from '../../../lib/protocol/frame/types';

// The encoder re-sends its last block when the same fields meet an unchanged dynamic table; these
// check that every block still decodes to its list, whatever happened to the table in between.

const response = (date: string): HeaderField[] => [
  [':status', '200'],
  ['server', 'nghttpd nghttp2-ts'],
  ['cache-control', 'max-age=3600'],
  ['date', date],
  ['content-length', '1024'],
  ['last-modified', 'Tue, 24 Nov 2026 10:00:00 GMT'],
  ['content-type', 'text/plain'],
];

test('a repeated list decodes every time: first with insertions, then as the same block', (t) => {
  const enc = new HpackEncoder();
  const dec = new HpackDecoder();
  const a = response('Tue, 24 Nov 2026 23:00:00 GMT');
  const b1 = enc.encode(a);
  t.deepEqual(dec.decode(b1), a);
  const b2 = enc.encode(a.map((f) => [f[0], f[1]] as HeaderField)); // equal fields, other arrays
  t.deepEqual(dec.decode(b2), a);
  const b3 = enc.encode(a);
  t.deepEqual(Buffer.from(b3), Buffer.from(b2));
  t.deepEqual(dec.decode(b3), a);
});

test('a changed field, a table size update or an eviction in between: the block is encoded again', (t) => {
  const enc = new HpackEncoder();
  const dec = new HpackDecoder();
  const check = (list: HeaderField[]) => t.deepEqual(dec.decode(enc.encode(list)), list);
  const a = response('Tue, 24 Nov 2026 23:00:00 GMT');
  check(a);
  check(a);
  // A new date value is inserted, so the next block for the old list refers to shifted indexes.
  check(response('Tue, 24 Nov 2026 23:00:01 GMT'));
  check(a);
  check(a);
  // Sensitive flag differs: never-indexed literal, not the cached block.
  const sensitive = a.map((f, i) => (i === 3 ? ([f[0], f[1], true] as HeaderField) : f));
  const out = dec.decode(enc.encode(sensitive));
  t.is(out[3][2], true);
  check(a);
  // Table size goes down then up: the next block opens with the updates and the cache is dropped.
  enc.setPeerMaxTableSize(0);
  dec.setMaxTableSize(4096);
  check(a);
  enc.setPeerMaxTableSize(4096);
  check(a);
  check(a);
  // Fill the table until the list's own entries are evicted, then send it again.
  for (let i = 0; i < 200; i++) check([['x-fill', `value-${i}-${'z'.repeat(40)}`]]);
  check(a);
  check(a);
});

test('indexed references decode to one shared, frozen pair per table entry; a new entry gets a new pair', (t) => {
  const enc = new HpackEncoder();
  const dec = new HpackDecoder();
  const first = dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT')));
  const second = dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT')));
  t.deepEqual(second, first);
  t.not(second, first);
  // :status 200 (static) and the server field (dynamic, indexed the second time): shared pairs.
  t.is(second[0], dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT')))[0]);
  t.is(second[1], dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT')))[1]);
  t.true(Object.isFrozen(second[0]) && Object.isFrozen(second[1]));
  t.throws(() => {
    (second[1] as string[])[1] = 'changed';
  });
  // A new date is a new entry, evicting others in a 256-octet table: every block still decodes to its list.
  const smallEnc = new HpackEncoder({ maxTableSize: 256 });
  const smallDec = new HpackDecoder();
  smallDec.setMaxTableSize(4096);
  for (let s = 1; s < 20; s++) {
    const list = response(`Sun, 06 Dec 2026 10:00:${String(s).padStart(2, '0')} GMT`);
    t.deepEqual(smallDec.decode(smallEnc.encode(list)), list);
    t.deepEqual(smallDec.decode(smallEnc.encode(list)), list);
  }
});
