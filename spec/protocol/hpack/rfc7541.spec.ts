/** RFC 7541 Appendix C, byte for byte: integers, single fields, and the request/response sequences. */
import test from 'ava';
import { HpackDecoder, HpackEncoder, encodeInteger, readInteger } from '../../../lib/protocol/hpack';
import { appendixC, pairs } from './helpers';

const C = appendixC();

for (const v of C.integers) {
  test(`${v.section}: integer ${v.value} with a ${v.prefix_bits}-bit prefix`, (t) => {
    t.is(encodeInteger(v.value, v.prefix_bits).toString('hex'), v.wire);
    const cur = { pos: 0 };
    t.is(readInteger(Buffer.from(v.wire, 'hex'), 0, v.wire.length / 2, v.prefix_bits, cur), v.value);
    t.is(cur.pos, v.wire.length / 2);
  });
}

for (const f of C.fields) {
  test(`${f.section}: ${f.representation} field, decoded and encoded`, (t) => {
    const dec = new HpackDecoder();
    const got = dec.decode(Buffer.from(f.wire, 'hex'));
    t.deepEqual(pairs(got), f.headers);
    t.is(got[0][2] === true, f.representation === 'never-indexed', 'never-indexed fields come back marked sensitive');
    t.deepEqual(
      dec.entries().map((e) => [e.name, e.value]),
      f.table,
    );
    t.is(dec.tableUsed, f.table_used);

    const enc = new HpackEncoder({ huffman: 'never', shouldIndex: () => f.representation === 'incremental-indexing' });
    const fields = f.headers.map(([n, v]) => (f.representation === 'never-indexed' ? [n, v, true] : [n, v])) as [
      string,
      string,
      boolean?,
    ][];
    t.is(enc.encode(fields).toString('hex'), f.wire);
    t.deepEqual(
      enc.entries().map((e) => [e.name, e.value]),
      f.table,
    );
  });
}

for (const s of C.sequences) {
  test(`${s.section}: ${s.title}, decoded with the tables after each block`, (t) => {
    const dec = new HpackDecoder({ initialTableSize: s.table_size, maxTableSize: Math.max(4096, s.table_size) });
    s.cases.forEach((c, i) => {
      t.deepEqual(pairs(dec.decode(Buffer.from(c.wire, 'hex'))), c.headers, `${s.section}.${i + 1} headers`);
      t.deepEqual(
        dec.entries().map((e) => [e.name, e.value]),
        c.table,
        `${s.section}.${i + 1} table`,
      );
      t.is(dec.tableUsed, c.table_used, `${s.section}.${i + 1} table size`);
    });
  });

  test(`${s.section}: ${s.title}, encoded byte for byte`, (t) => {
    // The RFC's encoder indexes every literal and uses Huffman for all strings or none.
    const enc = new HpackEncoder({
      maxTableSize: s.table_size,
      initialTableSize: s.table_size,
      huffman: s.huffman ? 'always' : 'never',
      shouldIndex: () => true,
      neverIndex: () => false,
    });
    s.cases.forEach((c, i) => {
      t.is(enc.encode(c.headers).toString('hex'), c.wire, `${s.section}.${i + 1} wire`);
      t.deepEqual(
        enc.entries().map((e) => [e.name, e.value]),
        c.table,
        `${s.section}.${i + 1} table`,
      );
      t.is(enc.tableUsed, c.table_used);
    });
  });
}
