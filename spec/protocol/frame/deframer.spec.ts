import test from 'ava';
import assert from 'assert';
import fc from 'fast-check';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import { encodeFrame, wireFlags } from '../../../lib/protocol/frame/codec';
import { CONNECTION_PREFACE, FrameType } from '../../../lib/protocol/frame/constants';
import { ConnectionError, ErrorCode, StreamError } from '../../../lib/protocol/errors';
import type { DataFrame, Frame } from '../../../lib/protocol/frame/types';
import { runStage } from '../../../lib/protocol/stage';
import { hex, loadVectors, plain } from './helpers';
import { arbFrames } from './arbitraries';

const vectors = loadVectors();
/** Every vector frame back to back, the preface first. */
const stream = Buffer.concat([CONNECTION_PREFACE, ...vectors.map((v) => Buffer.from(v.hex, 'hex'))]);
const expected = vectors.map((v) => plain(v.frame));

function deframe(chunks: Buffer[], opts = { expectPreface: true }): Frame[] {
  return runStage(new Deframer(opts), chunks);
}

test('whole stream in one chunk', (t) => {
  t.deepEqual(deframe([stream]).map(plain), expected);
});

test('split at every offset into two chunks', (t) => {
  for (let i = 0; i <= stream.length; i++) {
    const got = deframe([stream.subarray(0, i), stream.subarray(i)]).map(plain);
    assert.deepStrictEqual(got, expected, `split at ${i}`);
  }
  t.pass();
});

test('split at every pair of offsets into three chunks (first 120 octets x all)', (t) => {
  const n = Math.min(120, stream.length);
  for (let i = 0; i <= n; i++) {
    for (let j = i; j <= stream.length; j += 7) {
      const got = deframe([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]).map(plain);
      assert.deepStrictEqual(got, expected, `split at ${i}, ${j}`);
    }
  }
  t.pass();
});

test('reuseGathered: split at every offset into two chunks, each read into the same reused buffer; frames taken during emit', (t) => {
  // As Http2Connection reads (one reused buffer, views valid only during the call): frames are
  // plain-copied as they are emitted, since a gathered frame's buffer is reused for the next one.
  const read = Buffer.alloc(stream.length);
  for (let i = 0; i <= stream.length; i++) {
    const d = new Deframer({ expectPreface: true, reuseGathered: true });
    const got: unknown[] = [];
    for (const part of [stream.subarray(0, i), stream.subarray(i)]) {
      part.copy(read);
      d.push(read.subarray(0, part.length), (f) => got.push(plain(f)));
      read.fill(0xee);
    }
    assert.deepStrictEqual(got, expected, `split at ${i}`);
  }
  t.pass();
});

test('one octet at a time', (t) => {
  const chunks = [...stream].map((b) => Buffer.from([b]));
  t.deepEqual(deframe(chunks).map(plain), expected);
});

test('fast-check: random frames, random chunking, same frames out', (t) => {
  fc.assert(
    fc.property(arbFrames, fc.array(fc.nat(), { maxLength: 8 }), (frames, cuts) => {
      const bytes = Buffer.concat(frames.map((f) => encodeFrame(f)));
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let at = 0;
      for (const p of points) {
        chunks.push(bytes.subarray(at, p));
        at = p;
      }
      chunks.push(bytes.subarray(at));
      const got = runStage(new Deframer(), chunks);
      assert.strictEqual(got.length, frames.length);
      got.forEach((g, i) => {
        assert.strictEqual(g.type, frames[i].type);
        assert.strictEqual(g.flags, wireFlags(frames[i]));
        assert.deepStrictEqual(encodeFrame(g), encodeFrame(frames[i]));
      });
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('frames wholly inside a chunk are views of it (no copy)', (t) => {
  const data = Buffer.alloc(16384, 0x61);
  const bytes = Buffer.concat([
    encodeFrame({ type: FrameType.DATA, flags: 0, streamId: 1, data }),
    encodeFrame({ type: FrameType.DATA, flags: 1, streamId: 1, data }),
  ]);
  const frames = deframe([bytes], { expectPreface: false }) as DataFrame[];
  t.is(frames.length, 2);
  for (const f of frames) t.is(f.data.buffer, bytes.buffer);
});

test('a frame split across chunks stays valid after later chunks arrive', (t) => {
  const a = encodeFrame({ type: FrameType.DATA, flags: 0, streamId: 1, data: Buffer.from('first-frame') });
  const b = encodeFrame({ type: FrameType.DATA, flags: 0, streamId: 3, data: Buffer.from('second-frame') });
  const d = new Deframer();
  const out: DataFrame[] = [];
  const emit = (f: Frame) => out.push(f as DataFrame);
  d.push(a.subarray(0, 12), emit);
  d.push(Buffer.concat([a.subarray(12), b.subarray(0, 5)]), emit);
  d.push(b.subarray(5), emit);
  t.deepEqual(
    out.map((f) => f.data.toString()),
    ['first-frame', 'second-frame'],
  );
});

test('preface: checked octet by octet; a bad one is PROTOCOL_ERROR', (t) => {
  const d = new Deframer({ expectPreface: true });
  d.push(CONNECTION_PREFACE.subarray(0, 5), () => {});
  const err = t.throws(() => d.push(Buffer.from('GET / HTTP/1.1\r\n'), () => {}), { instanceOf: ConnectionError });
  t.is(err!.code, ErrorCode.PROTOCOL_ERROR);
  // poisoned: later input gets the same error
  t.is(
    t.throws(() => d.push(Buffer.alloc(1), () => {})),
    err,
  );
  const http1 = new Deframer({ expectPreface: true });
  t.throws(() => http1.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), () => {}), { instanceOf: ConnectionError });
});

test('oversized frame header is refused before its payload arrives', (t) => {
  const d = new Deframer();
  const err = t.throws(() => d.push(hex('004001 00 00 00000001'), () => {}), { instanceOf: ConnectionError });
  t.is(err!.code, ErrorCode.FRAME_SIZE_ERROR);
  const big = new Deframer({ maxFrameSize: 16385 });
  const out: Frame[] = [];
  big.push(Buffer.concat([hex('004001 00 00 00000001'), Buffer.alloc(16385)]), (f) => out.push(f));
  t.is(out.length, 1);
  t.throws(() => new Deframer({ maxFrameSize: 100 }), { instanceOf: RangeError });
});

test('setMaxFrameSize takes effect for the next frame', (t) => {
  const d = new Deframer();
  d.setMaxFrameSize(20000);
  t.is(d.maxFrameSize, 20000);
  const out: Frame[] = [];
  d.push(Buffer.concat([hex('004e20 00 00 00000001'), Buffer.alloc(20000)]), (f) => out.push(f));
  t.is(out.length, 1);
});

test('end in the middle of a frame or of the preface is a typed error; at a boundary it is clean', (t) => {
  const mid = new Deframer();
  mid.push(hex('000004 08 00'), () => {});
  t.throws(() => mid.end(() => {}), { instanceOf: ConnectionError });
  const pre = new Deframer({ expectPreface: true });
  pre.push(CONNECTION_PREFACE.subarray(0, 10), () => {});
  t.throws(() => pre.end(() => {}), { instanceOf: ConnectionError });
  const clean = new Deframer();
  clean.push(hex('000000 04 01 00000000'), () => {});
  t.notThrows(() => clean.end(() => {}));
  t.false(clean.midFrame);
});

/** WINDOW_UPDATE of 0 on stream 5 (a stream error), then a PING, then a SETTINGS ACK. */
const streamErrorThenMore = Buffer.concat([
  hex('000004 08 00 00000005 00000000'),
  hex('000008 06 00 00000000 0102030405060708'),
  hex('000000 04 01 00000000'),
]);

test('a stream error does not cost the frames after it: onStreamError gets it, reading goes on', (t) => {
  for (let cut = 0; cut <= streamErrorThenMore.length; cut++) {
    const errors: StreamError[] = [];
    const d = new Deframer({ onStreamError: (e) => errors.push(e) });
    const got = runStage(d, [streamErrorThenMore.subarray(0, cut), streamErrorThenMore.subarray(cut)]);
    assert.deepStrictEqual(
      got.map((f) => f.type),
      [FrameType.PING, FrameType.SETTINGS],
      `cut ${cut}`,
    );
    assert.strictEqual(errors.length, 1);
    assert.strictEqual(errors[0].streamId, 5);
  }
  t.pass();
});

test('without onStreamError the StreamError is thrown and the rest of the chunk is read on the next push', (t) => {
  const d = new Deframer();
  const out: Frame[] = [];
  const emit = (f: Frame) => out.push(f);
  const err = t.throws(() => d.push(streamErrorThenMore, emit), { instanceOf: StreamError });
  t.is(err!.code, ErrorCode.PROTOCOL_ERROR);
  t.true(d.midFrame);
  d.push(Buffer.alloc(0), emit);
  t.deepEqual(
    out.map((f) => f.type),
    [FrameType.PING, FrameType.SETTINGS],
  );
  t.false(d.midFrame);
  d.push(hex('000000 04 01 00000000'), emit);
  t.is(out.length, 3);
});

test('a StreamError thrown by the consumer (emit) is survivable too; a ConnectionError is not', (t) => {
  const frames = Buffer.concat([hex('000001 00 00 00000003 61'), hex('000001 00 00 00000005 62'), hex('000000 04 01 00000000')]);
  const d = new Deframer();
  const seen: number[] = [];
  const emit = (f: Frame) => {
    seen.push(f.streamId);
    if (f.streamId === 3) throw new StreamError(ErrorCode.STREAM_CLOSED, 3, 'closed stream');
  };
  t.throws(() => d.push(frames, emit), { instanceOf: StreamError });
  d.push(Buffer.alloc(0), emit);
  t.deepEqual(seen, [3, 5, 0]);
  const c = new Deframer();
  t.throws(
    () =>
      c.push(frames, () => {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'x');
      }),
    { instanceOf: ConnectionError },
  );
  t.throws(() => c.push(Buffer.alloc(0), () => {}), { instanceOf: ConnectionError });
});

test('end() reads what a thrown StreamError left behind before judging the input complete', (t) => {
  const d = new Deframer();
  const out: Frame[] = [];
  t.throws(() => d.push(streamErrorThenMore, (f) => out.push(f)), { instanceOf: StreamError });
  d.end((f) => out.push(f));
  t.deepEqual(
    out.map((f) => f.type),
    [FrameType.PING, FrameType.SETTINGS],
  );
});
