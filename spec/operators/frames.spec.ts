import test from 'ava';
import { from, lastValueFrom, toArray } from 'rxjs';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import {
  assembleHeaderBlocks,
  deframe,
  deframerTransform,
  encodeFrames,
  frameEncoderTransform,
  headerBlockTransform,
  headerSplitTransform,
  splitHeaderBlocks,
} from '../../operators/frames';
import { frameReaderTransform, frameWriterTransform, readFrames, writeFrames } from '../../operators/layers';
import { encodeFrame } from '../../lib/protocol/frame/codec';
import { CONNECTION_PREFACE, Flag, FrameType } from '../../lib/protocol/frame/constants';
import { FrameReader, FrameWriter, type BlockDecoder, type BlockEncoder } from '../../lib/protocol/frame/pipeline';
import { ConnectionError, ErrorCode, ApiMisuseError } from '../../lib/protocol/errors';
import { runStage } from '../../lib/protocol/stage';
import type { Frame, HeaderField, HeadersFrame } from '../../lib/protocol/frame/types';
import { loadVectors, plain } from '../protocol/frame/helpers';

const vectors = loadVectors().filter((v) => !v.parseOnly);
const frames = vectors.map((v) => v.frame);
const bytes = Buffer.concat(vectors.map((v) => Buffer.from(v.hex, 'hex')));
/** The bytes in 7-octet chunks, to exercise reassembly in every adapter. */
const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));

async function collect<T>(r: NodeJS.ReadableStream): Promise<T[]> {
  const out: T[] = [];
  for await (const x of r as AsyncIterable<T>) out.push(x);
  return out;
}

/** A stand-in HPACK codec (JSON), enough to show the layers carry header lists. */
const jsonCodec: BlockEncoder & BlockDecoder = {
  encode: (f: HeaderField[]) => Buffer.from(JSON.stringify(f)),
  decode: (b: Buffer) => JSON.parse(b.toString()),
};

test('bytes -> frames: Transform and RxJS operator give the vector frames', async (t) => {
  const viaStream = await collect<Frame>(Readable.from(chunks).pipe(deframerTransform()));
  const viaRx = await lastValueFrom(from(chunks).pipe(deframe(), toArray()));
  t.deepEqual(viaStream.map(plain), frames.map(plain));
  t.deepEqual(viaRx.map(plain), frames.map(plain));
});

test('frames -> bytes: Transform and RxJS operator give the vector bytes', async (t) => {
  const viaStream = Buffer.concat(await collect<Buffer>(Readable.from(frames, { objectMode: true }).pipe(frameEncoderTransform())));
  const viaRx = Buffer.concat(await lastValueFrom(from(frames).pipe(encodeFrames(), toArray())));
  t.deepEqual(viaStream, bytes);
  t.deepEqual(viaRx, bytes);
  const parts = Buffer.concat(await lastValueFrom(from(frames).pipe(encodeFrames({ parts: true }), toArray())));
  t.deepEqual(parts, bytes);
  const withPreface = Buffer.concat(await lastValueFrom(from(frames.slice(0, 1)).pipe(encodeFrames({ preface: true }), toArray())));
  t.deepEqual(withPreface.subarray(0, 24), CONNECTION_PREFACE);
});

test('the encoder refuses a frame over the peer SETTINGS_MAX_FRAME_SIZE', async (t) => {
  const big: Frame = { type: FrameType.DATA, flags: 0, streamId: 1, data: Buffer.alloc(16385) };
  await t.throwsAsync(lastValueFrom(from([big]).pipe(encodeFrames())), { instanceOf: ApiMisuseError });
  t.is((await lastValueFrom(from([big]).pipe(encodeFrames({ maxFrameSize: 16385 }), toArray())))[0].length, 16385 + 9);
});

test('header blocks: split on the way out, assembled on the way in, through the piped layers', async (t) => {
  const h: HeadersFrame = { type: FrameType.HEADERS, flags: Flag.END_HEADERS, streamId: 1, fragment: Buffer.alloc(40000, 7) };
  const ping: Frame = { type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) };
  const out: Frame[] = [];
  await pipeline(
    Readable.from([h, ping], { objectMode: true }),
    headerSplitTransform(),
    frameEncoderTransform(),
    deframerTransform(),
    headerBlockTransform(),
    async function* (src: AsyncIterable<Frame>) {
      for await (const f of src) out.push(f);
    },
  );
  t.is(out.length, 2);
  t.deepEqual((out[0] as HeadersFrame).fragment, h.fragment);
  t.is((out[0] as HeadersFrame).continuations, 2);
  const rx = await lastValueFrom(from([h, ping]).pipe(splitHeaderBlocks(), encodeFrames(), deframe(), assembleHeaderBlocks(), toArray()));
  t.deepEqual(rx.map(plain), out.map(plain));
});

test('a typed stage error reaches the pipe and the observable with code and scope', async (t) => {
  const bad = Buffer.from('000001 00 00 00000000 61'.replace(/ /g, ''), 'hex'); // DATA on stream 0
  const err = await t.throwsAsync(
    pipeline(Readable.from([bad]), deframerTransform(), async function* (s: AsyncIterable<Frame>) {
      for await (const _ of s);
    }),
  );
  t.true(err instanceof ConnectionError);
  t.is((err as ConnectionError).code, ErrorCode.PROTOCOL_ERROR);
  const rxErr = await t.throwsAsync(lastValueFrom(from([bad]).pipe(deframe())));
  t.is((rxErr as ConnectionError).scope, 'connection');
});

test('composed reader/writer: header lists out, bytes, header lists back; one stage per direction', async (t) => {
  const headers: HeaderField[] = [
    [':method', 'GET'],
    [':path', '/' + 'x'.repeat(20000)],
    ['cookie', 'a=b', true],
  ];
  const out: Frame[] = [
    { type: FrameType.HEADERS, flags: Flag.END_HEADERS | Flag.END_STREAM, streamId: 1, fragment: Buffer.alloc(0), headers },
    { type: FrameType.DATA, flags: 1, streamId: 1, data: Buffer.from('body') },
  ];
  const wire = Buffer.concat(runStage(new FrameWriter({ encoder: jsonCodec, preface: true }), out));
  const back = runStage(new FrameReader({ decoder: jsonCodec, expectPreface: true }), [wire]);
  t.is(back.length, 2);
  t.deepEqual((back[0] as HeadersFrame).headers, headers);
  t.is((back[0] as HeadersFrame).continuations, 1);
  // the same through the Transform and RxJS forms
  const viaStream = await collect<Frame>(
    Readable.from([wire.subarray(0, 100), wire.subarray(100)]).pipe(frameReaderTransform({ decoder: jsonCodec, expectPreface: true })),
  );
  t.deepEqual(viaStream.map(plain), back.map(plain));
  const wire2 = Buffer.concat(await lastValueFrom(from(out).pipe(writeFrames({ encoder: jsonCodec, preface: true }), toArray())));
  t.deepEqual(wire2, wire);
  const viaRx = await lastValueFrom(from([wire]).pipe(readFrames({ decoder: jsonCodec, expectPreface: true }), toArray()));
  t.deepEqual(viaRx.map(plain), back.map(plain));
  const wire3 = Buffer.concat(
    await collect<Buffer>(Readable.from(out, { objectMode: true }).pipe(frameWriterTransform({ encoder: jsonCodec, preface: true }))),
  );
  t.deepEqual(wire3, wire);
});

test('reader without a decoder assembles but leaves field blocks as bytes', (t) => {
  const h = encodeFrame({ type: FrameType.HEADERS, flags: 0, streamId: 1, fragment: Buffer.from('ab') });
  const c = encodeFrame({ type: FrameType.CONTINUATION, flags: Flag.END_HEADERS, streamId: 1, fragment: Buffer.from('cd') });
  const [f] = runStage(new FrameReader(), [Buffer.concat([h, c])]) as HeadersFrame[];
  t.is(f.fragment.toString(), 'abcd');
  t.is(f.headers, undefined);
});
