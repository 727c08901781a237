/** Each decoder error from a crafted block, and the encoder's table size signalling. */
import test from 'ava';
import {
  CompressionError,
  ErrorCode,
  HeaderListTooLargeError,
  HpackDecoder,
  HpackEncoder,
  HuffmanDecodeError,
  IntegerOverflowError,
  InvalidIndexError,
  StringTooLongError,
  TableSizeUpdateError,
  TruncatedBlockError,
  ApiMisuseError,
} from '../../../lib';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function rejects<E extends Error>(t: any, block: string, cls: new (...a: any[]) => E, dec = new HpackDecoder()): E {
  const err = t.throws(() => dec.decode(hex(block)), { instanceOf: cls }) as E;
  t.true(err instanceof CompressionError, 'maps to COMPRESSION_ERROR');
  t.is((err as unknown as CompressionError).code, ErrorCode.COMPRESSION_ERROR);
  return err;
}

test('indexed field with index 0 is an InvalidIndexError', (t) => {
  rejects(t, '80', InvalidIndexError);
});

test('index past the static table with an empty dynamic table is an InvalidIndexError', (t) => {
  const e = rejects(t, 'be', InvalidIndexError); // 62
  t.is(e.index, 62);
  t.is(e.maxIndex, 61);
  rejects(t, '7f00 03 616263', InvalidIndexError); // literal with indexed name 63
});

test('eviction by a size update empties the table, and the old index is out of range', (t) => {
  const dec = new HpackDecoder();
  dec.decode(hex('4003 616263 03 646566'));
  rejects(t, '20 be', InvalidIndexError, dec); // size 0 evicts everything
});

test('a block that ends inside an integer, a string or before a value is a TruncatedBlockError', (t) => {
  rejects(t, 'ff', TruncatedBlockError);
  rejects(t, 'ff 80', TruncatedBlockError);
  rejects(t, '40 05 6162', TruncatedBlockError);
  rejects(t, '40 03 616263', TruncatedBlockError);
  rejects(t, '04', TruncatedBlockError);
});

test('an integer above 2^32-1 or with too many continuation octets is an IntegerOverflowError', (t) => {
  rejects(t, 'ff ff ff ff ff 0f', IntegerOverflowError);
  rejects(t, 'ff 80 80 80 80 80 80 00', IntegerOverflowError);
});

test('Huffman: EOS inside a string, padding over 7 bits, padding not of ones are HuffmanDecodeErrors', (t) => {
  // EOS is 30 ones: four 0xff octets hold it whole.
  rejects(t, '00 01 61 84 ffffffff', HuffmanDecodeError);
  // 'a' (00011) + 3 ones of padding = 0x1f, then a full octet of ones: 11 bits of padding.
  rejects(t, '00 01 61 82 1fff', HuffmanDecodeError);
  // 'a' padded with zeros.
  rejects(t, '00 01 61 81 18', HuffmanDecodeError);
  // The valid form decodes.
  t.deepEqual(new HpackDecoder().decode(hex('00 01 61 81 1f')), [['a', 'a']]);
});

test('a string longer than maxStringLength is a StringTooLongError (encoded or decoded length)', (t) => {
  const e = rejects(t, '00 01 61 05 6162636465', StringTooLongError, new HpackDecoder({ maxStringLength: 4 }));
  t.is(e.length, 5);
  t.is(e.limit, 4);
  // Huffman: 4 encoded octets of 'a' (5 bits each) decode to 6 characters.
  rejects(t, '00 01 61 84 0842 1087', StringTooLongError, new HpackDecoder({ maxStringLength: 5 }));
});

test('a size update above the limit, after a field, or missing after a shrink is a TableSizeUpdateError', (t) => {
  rejects(t, '3fe21f', TableSizeUpdateError); // 4097 > 4096
  rejects(t, '82 20', TableSizeUpdateError); // after a field
  const dec = new HpackDecoder();
  dec.setMaxTableSize(1024);
  rejects(t, '82', TableSizeUpdateError, dec); // must open with an update
  const ok = new HpackDecoder();
  ok.setMaxTableSize(1024);
  t.deepEqual(ok.decode(hex('3fe107 82')), [[':method', 'GET']]); // 1024, then a field
  t.is(ok.tableSize, 1024);
  t.true(ok.sizeUpdated);
  t.throws(() => new HpackDecoder({ maxTableSize: 100 }).decode(hex('82')), { instanceOf: TableSizeUpdateError });
  // Two updates at the start (shrink then grow) are allowed.
  t.deepEqual(new HpackDecoder().decode(hex('20 3fe11f 82')), [[':method', 'GET']]);
  // RFC 7541 section 4.2: limit 0 then 4096 between two blocks: the first update must be <= 0.
  const twice = () => {
    const d = new HpackDecoder();
    d.setMaxTableSize(0);
    d.setMaxTableSize(4096);
    return d;
  };
  rejects(t, '3fe11f 82', TableSizeUpdateError, twice()); // 4096 alone hides the shrink
  t.deepEqual(twice().decode(hex('20 3fe11f 82')), [[':method', 'GET']]); // 0, then 4096
});

test('a header list above maxHeaderListSize throws HeaderListTooLargeError after the whole block, table in step', (t) => {
  const dec = new HpackDecoder({ maxHeaderListSize: 60 });
  // Two literals with indexing: 'abc: def' (38) and 'ghi: jkl' (38) -> 76 > 60.
  const err = t.throws(() => dec.decode(hex('4003616263036465 66 4003676869036a6b6c'.replace(/ /g, ''))), {
    instanceOf: HeaderListTooLargeError,
  }) as HeaderListTooLargeError;
  t.true(err instanceof CompressionError);
  t.is(err.size, 76);
  t.deepEqual(err.headers, [['abc', 'def']], 'only the fields within the limit are kept');
  // Both entries went into the table: the next block can refer to them.
  t.deepEqual(dec.decode(hex('bf')), [['abc', 'def']]);
});

test('past maxHeaderListSize a block of indexed references is decoded without keeping its fields', (t) => {
  const dec = new HpackDecoder({ maxHeaderListSize: 1000 });
  // 20000 references to ':method: GET' (42 each): 840000 octets of list from a 20000-octet block.
  const err = t.throws(() => dec.decode(Buffer.alloc(20000, 0x82)), { instanceOf: HeaderListTooLargeError }) as HeaderListTooLargeError;
  t.is(err.size, 20000 * 42);
  t.is(err.headers.length, Math.floor(1000 / 42));
  t.deepEqual(dec.decode(Buffer.from([0x82])), [[':method', 'GET']], 'the context is still usable');
});

test('decoder option misuse is an ApiMisuseError', (t) => {
  t.throws(() => new HpackDecoder({ maxTableSize: -1 }), { instanceOf: ApiMisuseError });
  t.throws(() => new HpackDecoder({ initialTableSize: 8192 }), { instanceOf: ApiMisuseError });
  t.throws(() => new HpackDecoder().setMaxTableSize(1.5), { instanceOf: ApiMisuseError });
});

test('encoder: a peer table size change opens the next block with a size update, min(peer, cap)', (t) => {
  const enc = new HpackEncoder({ maxTableSize: 4096 });
  enc.setPeerMaxTableSize(16384);
  t.is(enc.encode([[':method', 'GET']]).toString('hex'), '3fe11f82'); // 4096, the cap
  t.is(enc.encode([[':method', 'GET']]).toString('hex'), '82');
  enc.setPeerMaxTableSize(1024);
  t.is(enc.encode([]).toString('hex'), '3fe107');
});

test('encoder: shrink then grow before a block sends two updates, the smallest first', (t) => {
  const enc = new HpackEncoder();
  enc.encode([['x-a', 'b']]);
  t.is(enc.entries().length, 1);
  enc.setPeerMaxTableSize(0);
  enc.setPeerMaxTableSize(4096);
  t.is(enc.entries().length, 0, 'the shrink evicted');
  const block = enc.encode([[':method', 'GET']]);
  t.is(block.toString('hex'), '203fe11f82');
  const dec = new HpackDecoder();
  dec.decode(new HpackEncoder().encode([['x-a', 'b']]));
  dec.setMaxTableSize(0);
  dec.setMaxTableSize(4096);
  t.deepEqual(dec.decode(block), [[':method', 'GET']]);
});

test('encoder: a cap below 4096 is signalled in the first block', (t) => {
  t.is(new HpackEncoder({ maxTableSize: 100 }).encode([]).toString('hex'), '3f45');
});

test('encoder: sensitive fields, authorization and short cookies are never indexed; long cookies are', (t) => {
  const enc = new HpackEncoder();
  const block = enc.encode([
    ['x-secret', 'v', true],
    ['authorization', 'Basic Zm9vOmJhcg=='],
    ['cookie', 'a=b'],
    ['cookie', 'session=0123456789abcdef'],
  ]);
  const got = new HpackDecoder().decode(block);
  t.deepEqual(
    got.map((f) => f[2] === true),
    [true, true, true, false],
  );
  t.deepEqual(
    enc.entries().map((e) => e.name),
    ['cookie'],
  );
  // A sensitive field already in the table is still sent as a literal.
  const again = new HpackDecoder();
  const e2 = new HpackEncoder();
  again.decode(e2.encode([['x-k', 'v']]));
  const b2 = e2.encode([['x-k', 'v', true]]);
  t.is(b2[0] & 0xf0, 0x10);
  t.deepEqual(again.decode(b2), [['x-k', 'v', true]]);
});

test('encoder: Huffman only where shorter in auto mode; always/never as asked', (t) => {
  const auto = new HpackEncoder({ shouldIndex: () => false });
  // '%%%%' is longer in Huffman (6 bits each + ...): sent raw; 'www.example.com' is shorter.
  const b = auto.encode([
    ['x-a', '\x00\x01'],
    ['x-b', 'www.example.com'],
  ]);
  const dec = new HpackDecoder();
  t.deepEqual(dec.decode(b), [
    ['x-a', '\x00\x01'],
    ['x-b', 'www.example.com'],
  ]);
  // 00, name length, 'x-a' (3 octets raw; Huffman would also need 3), then the value's length octet.
  t.is(b[1] & 0x80, 0, 'raw name');
  t.is(b[5] & 0x80, 0, 'raw value: its Huffman form is longer');
  t.is(b[13] & 0x80, 0x80, 'Huffman value where shorter');
  const never = new HpackEncoder({ huffman: 'never' }).encode([['x-b', 'www.example.com']]);
  const always = new HpackEncoder({ huffman: 'always' }).encode([['x-b', 'www.example.com']]);
  t.true(always.length < never.length);
  t.deepEqual(new HpackDecoder().decode(always), [['x-b', 'www.example.com']]);
});

test('encoder: a field that is not a latin1 byte string pair is an ApiMisuseError, and the context is retired', (t) => {
  const enc = new HpackEncoder();
  t.throws(() => enc.encode([['x-a', '\u20ac']]), { instanceOf: ApiMisuseError });
  t.throws(() => enc.encode([[':method', 'GET']]), { instanceOf: ApiMisuseError, message: /out of step/ });
  t.throws(() => new HpackEncoder().encode([[1 as unknown as string, 'v']]), { instanceOf: ApiMisuseError });
  t.throws(() => new HpackEncoder({ huffman: 'never' }).encode([['x', '\u0100']]), { instanceOf: ApiMisuseError });
  t.throws(() => new HpackEncoder({ maxTableSize: -5 }), { instanceOf: ApiMisuseError });
  t.throws(() => new HpackEncoder().setPeerMaxTableSize(NaN), { instanceOf: ApiMisuseError });
});

test('an entry larger than the table empties it (RFC 7541 section 4.4), on both sides', (t) => {
  const enc = new HpackEncoder({ shouldIndex: () => true });
  const dec = new HpackDecoder();
  const big = 'x'.repeat(5000);
  dec.decode(enc.encode([['x-a', 'b']]));
  const list: [string, string][] = [
    ['x-big', big],
    ['x-a', 'b'],
  ];
  t.deepEqual(dec.decode(enc.encode(list)), list);
  t.is(enc.entries().length, 1);
  t.deepEqual(dec.entries(), enc.entries());
});
