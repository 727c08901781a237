import test from 'ava';
import { HeaderTable } from '../../../lib/protocol/hpack/header-table';
import { HpackEncoder } from '../../../lib/protocol/hpack/encoder';
import { HpackDecoder } from '../../../lib/protocol/hpack/decoder';

// The dynamic table starts with a small ring (4 slots) and grows as entries arrive; the encoder
// keeps the newest id of each name's values inline while they are one value, a map from the second.

test('HeaderTable grows its ring past the first slots, keeps FIFO order and tells each eviction (function or listener object)', (t) => {
  const byFunction: [string, string, number][] = [];
  const byObject: [string, string, number][] = [];
  const a = new HeaderTable(10 * 40, (name, value, id) => byFunction.push([name, value, id]));
  const b = new HeaderTable(10 * 40, { evicted: (name, value, id) => byObject.push([name, value, id]) });
  for (const table of [a, b]) {
    // Each entry is 32 + 8 octets: ten fit; the eleventh and twelfth evict the two oldest.
    for (let i = 0; i < 12; i++) table.add(`n${String(i).padStart(2, '0')}`, `v${String(i).padStart(4, '0')}`);
    t.is(table.length, 10);
    t.is(table.inserted, 12);
    t.deepEqual(
      table.entries().map((e) => e.name),
      ['n11', 'n10', 'n09', 'n08', 'n07', 'n06', 'n05', 'n04', 'n03', 'n02'],
    );
    t.is(table.value(9), 'v0002');
  }
  t.deepEqual(byFunction, [
    ['n00', 'v0000', 0],
    ['n01', 'v0001', 1],
  ]);
  t.deepEqual(byObject, byFunction);
});

test('HPACK encoder: a name with one value, then two, then evicted, is indexed while its entries are in the table', (t) => {
  // 32 + 1 + 1 = 34 octets an entry: a 100-octet table holds two.
  const enc = new HpackEncoder();
  const dec = new HpackDecoder();
  enc.setPeerMaxTableSize(100);
  dec.setMaxTableSize(100);
  t.deepEqual(dec.decode(enc.encode([])), []); // the size update
  const sizes: number[] = [];
  const send = (value: string) => {
    const block = enc.encode([['x', value]]);
    sizes.push(block.length);
    t.deepEqual(dec.decode(block), [['x', value]]);
  };
  send('a'); // literal, indexed
  send('a'); // one octet: found inline
  send('b'); // literal: the name's second value (the record moves to a map)
  send('a'); // one octet
  send('b'); // one octet
  send('c'); // literal: evicts x: a
  send('a'); // literal again: its entry is gone
  send('c'); // one octet
  t.deepEqual(
    sizes.map((n) => (n === 1 ? 'indexed' : 'literal')),
    ['literal', 'indexed', 'literal', 'indexed', 'indexed', 'literal', 'literal', 'indexed'],
  );
  t.deepEqual(
    enc.entries().map((e) => e.value),
    ['a', 'c'],
  );
});
