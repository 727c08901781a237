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

test('a repeated block decodes to a new list of shared plain pairs: a caller may change the list, and replaces pairs', (t) => {
  const enc = new HpackEncoder();
  const dec = new HpackDecoder();
  const first = dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT')));
  const second = dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT')));
  const third = dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT')));
  t.deepEqual(second, first);
  t.deepEqual(third, first);
  t.not(third, second);
  // The pairs are shared (those of the list the remembered block gave first: the second here, the
  // first one filled the table), and plain arrays: V8 reads a frozen array's elements slowly.
  t.is(third[0], second[0]);
  t.not(second[0], first[0]);
  t.false(Object.isFrozen(third[1]));
  // Changing a received list in place, or replacing its pairs, changes nothing the decoder keeps.
  third[1] = [third[1][0], 'changed'];
  third.pop();
  third.reverse();
  t.deepEqual(dec.decode(enc.encode(response('Sun, 06 Dec 2026 10:00:00 GMT'))), response('Sun, 06 Dec 2026 10:00:00 GMT'));
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

test('the decoder re-reads a repeated block only while the table and the limits are as they were', (t) => {
  const dec = new HpackDecoder();
  const enc = new HpackEncoder({ huffman: 'never' });
  const a = response('Sun, 06 Dec 2026 10:00:00 GMT');
  t.deepEqual(dec.decode(enc.encode(a)), a);
  // All references and literals without indexing now: the same octets each time.
  const repeated = Buffer.from(enc.encode(a));
  t.deepEqual(dec.decode(repeated), a);
  t.deepEqual(dec.decode(repeated), a);
  // A never-indexed field keeps its flag on a repeat.
  const secret: HeaderField[] = [...a, ['authorization', 'token', true]];
  const sb = Buffer.from(enc.encode(secret));
  t.deepEqual(dec.decode(sb), secret);
  t.deepEqual(dec.decode(sb), secret);
  t.is(dec.decode(sb)[secret.length - 1][2], true);
  // A block that inserts changes the indexes: the old octets now mean other fields.
  t.deepEqual(dec.decode(enc.encode([['x-new', 'one']])), [['x-new', 'one']]);
  t.notDeepEqual(dec.decode(repeated), a);
  // The header list limit applies to a repeat too.
  const small = new HpackDecoder({ maxHeaderListSize: 100000 });
  const enc2 = new HpackEncoder();
  small.decode(enc2.encode(a));
  const r2 = Buffer.from(enc2.encode(a));
  t.deepEqual(small.decode(r2), a);
  small.setMaxHeaderListSize(50);
  t.throws(() => small.decode(r2), { name: 'HeaderListTooLargeError' });
  // A lowered table size limit: the next block must open with a size update, a repeat included.
  const d3 = new HpackDecoder();
  const e3 = new HpackEncoder();
  d3.decode(e3.encode(a));
  const r3 = Buffer.from(e3.encode(a));
  t.deepEqual(d3.decode(r3), a);
  d3.setMaxTableSize(0);
  t.throws(() => d3.decode(r3), { name: 'TableSizeUpdateError' });
});
