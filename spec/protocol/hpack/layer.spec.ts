/** The HPACK layer forms (stage, Transform, RxJS operator) and HDDeflater/HDInflater. */
import test from 'ava';
import { Readable } from 'stream';
import { from, lastValueFrom, toArray } from 'rxjs';
import { runStage } from '../../../lib/protocol/stage';
import { hpackDecodeStage, hpackEncodeStage, InvalidIndexError } from '../../../lib/protocol/hpack';
import { CompressionError } from '../../../lib/protocol/errors';
import { hpackDecode, hpackDecodeTransform, hpackEncode, hpackEncodeTransform } from '../../../operators/hpack';
import { HDDeflater, HDInflater, ApiMisuseError } from '../../../lib';
import type { HeaderField } from '../../../lib/protocol/frame/types';

const lists: HeaderField[][] = [
  [
    [':method', 'GET'],
    [':path', '/'],
    [':authority', 'example.org'],
    ['user-agent', 'nghttp2-ts'],
  ],
  [
    [':method', 'GET'],
    [':path', '/style.css'],
    [':authority', 'example.org'],
    ['user-agent', 'nghttp2-ts'],
  ],
  [
    [':status', '200'],
    ['set-cookie', 'id=1'],
    ['x-bytes', '\x00\xff\x80'],
  ],
];

test('stages: encode then decode gives the lists back; a size change travels in-band', (t) => {
  const blocks = runStage(hpackEncodeStage(), [lists[0], { headers: lists[1], peerMaxTableSize: 256 }, lists[2]]);
  t.is(blocks.length, 3);
  t.is(blocks[1][0] & 0xe0, 0x20, 'the second block opens with a size update');
  const dec = hpackDecodeStage();
  const out = runStage(dec, [blocks[0], { block: blocks[1], maxTableSize: 256 }, blocks[2]]);
  t.deepEqual(out, lists);
  t.is(dec.decoder.tableSize, 256);
});

test('Transforms: header lists -> blocks -> header lists through a Node pipeline', async (t) => {
  const out: HeaderField[][] = [];
  const decoded = Readable.from(lists).pipe(hpackEncodeTransform()).pipe(hpackDecodeTransform());
  for await (const l of decoded) out.push(l as HeaderField[]);
  t.deepEqual(out, lists);
});

test('Transform: a decoding error reaches the error listener as the typed error', async (t) => {
  const tr = hpackDecodeTransform();
  const err = await new Promise<Error>((resolve) => {
    tr.on('error', resolve);
    tr.write(Buffer.from([0x80]));
  });
  t.true(err instanceof InvalidIndexError);
  t.true(err instanceof CompressionError);
});

test('RxJS operators: the same layer, one context per subscription', async (t) => {
  const pipeline$ = from(lists).pipe(hpackEncode(), hpackDecode(), toArray());
  t.deepEqual(await lastValueFrom(pipeline$), lists);
  t.deepEqual(await lastValueFrom(pipeline$), lists, 'a second subscription starts from fresh contexts');
  await t.throwsAsync(lastValueFrom(from([Buffer.from([0xff, 0xff])]).pipe(hpackDecode())), { instanceOf: CompressionError });
});

test('HDDeflater/HDInflater: deflate, inflate, changeTableSize, getHdTable', (t) => {
  const d = new HDDeflater();
  const i = new HDInflater();
  const b1 = d.deflate([
    [':method', 'GET'],
    ['x-name', Buffer.from('caf\u00e9', 'utf8')],
  ]);
  t.deepEqual(i.inflate(b1), [
    [':method', 'GET'],
    ['x-name', Buffer.from('caf\u00e9', 'utf8').toString('latin1')],
  ]);
  t.deepEqual(d.getHdTable(), [{ index: 62, name: 'x-name', value: 'caf\u00c3\u00a9', size: 43 }]);
  t.deepEqual(i.getHdTable(), d.getHdTable());
  d.changeTableSize(0);
  i.changeTableSize(0);
  const b2 = d.deflate([['x-name', 'v']]);
  t.deepEqual(i.inflate(b2), [['x-name', 'v']]);
  t.deepEqual(i.getHdTable(), []);
  t.throws(() => d.deflate([['x', '\u20ac']]), { instanceOf: ApiMisuseError });
  t.throws(() => d.deflate([['x'] as unknown as [string, string]]), { instanceOf: ApiMisuseError });
  t.throws(() => new HDInflater().inflate(Buffer.from([0x80])), { instanceOf: CompressionError });
});

test('HDDeflater: a third element true is sent never-indexed, anything else indexed; the pairs given are read, not kept', (t) => {
  const d = new HDDeflater();
  const pair: [string, string, boolean?] = ['x-a', 'one'];
  // 0x10: literal never indexed, new name (RFC 7541 6.2.3); 0x40: literal with incremental indexing.
  t.is(d.deflate([['x-secret', 's', true]])[0], 0x10);
  t.is(d.deflate([['x-plain', 'p', false] as [string, string, boolean]])[0], 0x40);
  const b1 = d.deflate([pair]);
  pair[1] = 'two';
  pair.push(true);
  const b2 = d.deflate([pair]);
  t.is(b1[0], 0x40);
  // x-a is in the table now (index 62, its value 'one'): the changed value goes out never-indexed
  // with the name by index (0x1f 0x2f: index 62 on a 4-bit prefix), not as the block b1 was.
  t.deepEqual([...b2.subarray(0, 2)], [0x1f, 62 - 15]);
  t.deepEqual(
    d.getHdTable().map((e) => `${e.name}: ${e.value}`),
    ['x-a: one', 'x-plain: p'],
  );
});
