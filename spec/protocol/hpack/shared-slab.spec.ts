import test from 'ava';
import { HpackEncoder } from '../../../lib/protocol/hpack/encoder';
import { HpackDecoder } from '../../../lib/protocol/hpack/decoder';
import type { HeaderField } from '../../../lib/protocol/frame/types';

// Every encoder of a thread writes its blocks into one shared slab (a bump allocator): blocks
// handed out must stay as they were whatever other encoders write after them, across slab
// changes, and an encoder called from inside another's callback must not write over its block.

const list = (i: number): HeaderField[] => [
  [':method', 'GET'],
  [':path', `/item/${i}`],
  ['x-request', `r-${i}-${'v'.repeat(i % 97)}`],
];

test('blocks of many encoders, interleaved past several slabs, keep their octets', (t) => {
  const encoders = Array.from({ length: 7 }, () => new HpackEncoder({ huffman: 'never' }));
  const decoders = encoders.map(() => new HpackDecoder());
  const kept: { block: Buffer; copy: Buffer; k: number; i: number }[] = [];
  let octets = 0;
  for (let i = 0; octets < 3 * 64 * 1024; i++) {
    const k = i % encoders.length;
    const block = encoders[k].encode(list(i));
    octets += block.length;
    kept.push({ block, copy: Buffer.from(block), k, i });
  }
  for (const { block, copy, k, i } of kept) {
    t.true(block.equals(copy), `block ${i} was overwritten`);
    t.deepEqual(decoders[k].decode(block), list(i));
  }
});

test("an encoder used from inside another encoder's shouldIndex callback does not write over its block", (t) => {
  const inner = new HpackEncoder();
  const innerBlocks: Buffer[] = [];
  const outer = new HpackEncoder({
    shouldIndex: (name, value) => {
      innerBlocks.push(inner.encode([[name, value]]));
      return true;
    },
  });
  const fields: HeaderField[] = [
    ['x-one', 'first value'],
    ['x-two', 'second value'],
  ];
  const block = outer.encode(fields);
  t.deepEqual(new HpackDecoder().decode(block), fields);
  const dec = new HpackDecoder();
  t.deepEqual(dec.decode(innerBlocks[0]), [fields[0]]);
  t.deepEqual(dec.decode(innerBlocks[1]), [fields[1]]);
  // And the shared slab goes on after both.
  const again: HeaderField[] = [['x-three', 'third']];
  t.deepEqual(new HpackDecoder().decode(new HpackEncoder().encode(again)), again);
});
