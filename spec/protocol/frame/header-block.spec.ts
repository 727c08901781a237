import test from 'ava';
import assert from 'assert';
import fc from 'fast-check';
import { HeaderBlockAssembler, HeaderBlockSplitter, splitHeaderBlock } from '../../../lib/protocol/frame/header-block';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import { encodeFrame } from '../../../lib/protocol/frame/codec';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import { ConnectionError, ErrorCode, StreamError } from '../../../lib/protocol/errors';
import { compose, runStage } from '../../../lib/protocol/stage';
import type { ContinuationFrame, Frame, HeadersFrame, PushPromiseFrame } from '../../../lib/protocol/frame/types';

const cont = (streamId: number, fragment: string, end: boolean): ContinuationFrame => ({
  type: FrameType.CONTINUATION,
  flags: end ? Flag.END_HEADERS : 0,
  streamId,
  fragment: Buffer.from(fragment),
  length: fragment.length,
});
const headers = (streamId: number, fragment: string, flags: number): HeadersFrame => ({
  type: FrameType.HEADERS,
  flags,
  streamId,
  fragment: Buffer.from(fragment),
  length: fragment.length,
});
const ping: Frame = { type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) };

test('HEADERS with END_HEADERS passes through unchanged; other frames too', (t) => {
  const h = headers(1, 'abc', Flag.END_HEADERS);
  t.deepEqual(runStage(new HeaderBlockAssembler(), [ping, h]), [ping, h]);
});

test('HEADERS + CONTINUATION* becomes one frame with the whole block', (t) => {
  const out = runStage(new HeaderBlockAssembler(), [
    headers(3, 'ab', Flag.END_STREAM | Flag.PRIORITY),
    cont(3, 'cd', false),
    cont(3, 'ef', true),
    ping,
  ]);
  t.is(out.length, 2);
  const h = out[0] as HeadersFrame;
  t.is(h.fragment.toString(), 'abcdef');
  t.is(h.flags, Flag.END_STREAM | Flag.PRIORITY | Flag.END_HEADERS);
  t.is(h.length, 6);
  t.is(h.continuations, 2);
  t.is(h.continuationLength, 4);
  t.is(out[1], ping);
});

test('PUSH_PROMISE + CONTINUATION is assembled too', (t) => {
  const pp: PushPromiseFrame = {
    type: FrameType.PUSH_PROMISE,
    flags: 0,
    streamId: 1,
    promisedStreamId: 2,
    fragment: Buffer.from('x'),
    length: 5,
  };
  const out = runStage(new HeaderBlockAssembler(), [pp, cont(1, 'yz', true)]);
  const p = out[0] as PushPromiseFrame;
  t.is(p.fragment.toString(), 'xyz');
  t.is(p.promisedStreamId, 2);
  t.is(p.length, 7);
});

const protocolErrors: [string, Frame[]][] = [
  ['CONTINUATION without an open block', [cont(1, 'a', true)]],
  ['CONTINUATION after a finished block', [headers(1, 'a', Flag.END_HEADERS), cont(1, 'b', true)]],
  ['another frame inside a block', [headers(1, 'a', 0), ping]],
  ['DATA inside a block', [headers(1, 'a', 0), { type: FrameType.DATA, flags: 0, streamId: 1, data: Buffer.alloc(0) }]],
  ['HEADERS inside a block', [headers(1, 'a', 0), headers(1, 'b', Flag.END_HEADERS)]],
  ['an unknown frame inside a block', [headers(1, 'a', 0), { type: 0x2a, flags: 0, streamId: 0, payload: Buffer.alloc(0) }]],
  ['CONTINUATION on another stream', [headers(1, 'a', 0), cont(3, 'b', true)]],
];
for (const [name, frames] of protocolErrors) {
  test(`${name} is a connection error PROTOCOL_ERROR`, (t) => {
    const err = t.throws(() => runStage(new HeaderBlockAssembler(), frames), { instanceOf: ConnectionError });
    t.is(err!.code, ErrorCode.PROTOCOL_ERROR);
    t.is(err!.scope, 'connection');
  });
}

test('input ending inside a block is an error', (t) => {
  t.throws(() => runStage(new HeaderBlockAssembler(), [headers(1, 'a', 0)]), { instanceOf: ConnectionError });
});

test('CONTINUATION flood: more than maxContinuations is ENHANCE_YOUR_CALM', (t) => {
  const frames: Frame[] = [headers(1, 'a', 0)];
  for (let i = 0; i < 4; i++) frames.push(cont(1, 'b', false));
  frames.push(cont(1, 'c', true));
  t.notThrows(() => runStage(new HeaderBlockAssembler({ maxContinuations: 5 }), frames));
  const err = t.throws(() => runStage(new HeaderBlockAssembler({ maxContinuations: 4 }), frames), { instanceOf: ConnectionError });
  t.is(err!.code, ErrorCode.ENHANCE_YOUR_CALM);
  // empty CONTINUATION frames count as well
  const empties: Frame[] = [headers(1, '', 0), ...Array.from({ length: 100 }, () => cont(1, '', false))];
  t.throws(() => runStage(new HeaderBlockAssembler(), empties), { instanceOf: ConnectionError });
});

test('oversized block is ENHANCE_YOUR_CALM, on the first frame or later', (t) => {
  const e1 = t.throws(() => runStage(new HeaderBlockAssembler({ maxBlockSize: 3 }), [headers(1, 'abcd', 0)]), {
    instanceOf: ConnectionError,
  });
  t.is(e1!.code, ErrorCode.ENHANCE_YOUR_CALM);
  const e2 = t.throws(() => runStage(new HeaderBlockAssembler({ maxBlockSize: 3 }), [headers(1, 'ab', 0), cont(1, 'cd', true)]), {
    instanceOf: ConnectionError,
  });
  t.is(e2!.code, ErrorCode.ENHANCE_YOUR_CALM);
});

test('splitHeaderBlock: big blocks leave as HEADERS + CONTINUATION*, and assemble back', (t) => {
  const block = Buffer.alloc(40000, 0x41);
  const h: HeadersFrame = {
    type: FrameType.HEADERS,
    flags: Flag.END_HEADERS | Flag.END_STREAM,
    streamId: 5,
    fragment: block,
    padLength: 3,
    priority: { exclusive: false, dependsOn: 0, weight: 16 },
  };
  const parts = splitHeaderBlock(h, 16384);
  t.is(parts.length, 3);
  t.is(parts[0].flags & Flag.END_HEADERS, 0);
  t.is(parts[2].flags, Flag.END_HEADERS);
  const bytes = Buffer.concat(parts.map((p) => encodeFrame(p)));
  for (const p of parts) t.true(encodeFrame(p).length - 9 <= 16384);
  const back = runStage(compose(new Deframer(), new HeaderBlockAssembler()), [bytes]);
  t.is(back.length, 1);
  const b = back[0] as HeadersFrame;
  t.deepEqual(b.fragment, block);
  t.is(b.flags, Flag.END_HEADERS | Flag.END_STREAM | Flag.PADDED | Flag.PRIORITY);
  t.is(b.padLength, 3);
  t.is(b.continuations, 2);
  t.is(b.length, bytes.length - 27);
  // frames that fit are untouched
  const small = { ...h, fragment: Buffer.from('x') };
  t.deepEqual(splitHeaderBlock(small), [small]);
  t.deepEqual(runStage(new HeaderBlockSplitter(), [ping, small]), [ping, small]);
});

test('a StreamError thrown downstream leaves the assembler usable; a ConnectionError ends it', (t) => {
  const boom = () => {
    throw new StreamError(ErrorCode.REFUSED_STREAM, 1, 'refused');
  };
  const b = new HeaderBlockAssembler();
  b.push(headers(1, 'a', 0), boom);
  t.throws(() => b.push(cont(1, 'b', true), boom), { instanceOf: StreamError });
  const out: Frame[] = [];
  b.push(headers(3, 'c', Flag.END_HEADERS), (f) => out.push(f));
  t.is(out.length, 1);
  const c = new HeaderBlockAssembler();
  t.throws(
    () =>
      c.push(ping, () => {
        throw new ConnectionError(ErrorCode.INTERNAL_ERROR, 'x');
      }),
    { instanceOf: ConnectionError },
  );
  t.throws(() => c.push(ping, () => {}), { instanceOf: ConnectionError });
});

test('fast-check: any block, padding, priority and max frame size splits and assembles back', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 70000 }),
      fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
      fc.boolean(),
      fc.integer({ min: 16384, max: 40000 }),
      fc.boolean(),
      (size, padLength, withPriority, maxFrameSize, push) => {
        const fragment = Buffer.alloc(size, 0x5a);
        const f: HeadersFrame | PushPromiseFrame = push
          ? { type: FrameType.PUSH_PROMISE, flags: Flag.END_HEADERS, streamId: 1, promisedStreamId: 2, fragment, padLength }
          : {
              type: FrameType.HEADERS,
              flags: Flag.END_HEADERS,
              streamId: 1,
              fragment,
              padLength,
              priority: withPriority ? { exclusive: true, dependsOn: 3, weight: 7 } : undefined,
            };
        const parts = splitHeaderBlock(f, maxFrameSize);
        const wire = parts.map((p) => encodeFrame(p));
        for (const w of wire) assert.ok(w.length - 9 <= maxFrameSize);
        const back = runStage(
          compose(new Deframer({ maxFrameSize }), new HeaderBlockAssembler({ maxContinuations: 100, maxBlockSize: 1 << 20 })),
          [Buffer.concat(wire)],
        );
        assert.strictEqual(back.length, 1);
        const b = back[0] as HeadersFrame | PushPromiseFrame;
        assert.ok(b.fragment.equals(fragment));
        assert.strictEqual(b.padLength, padLength);
        assert.strictEqual(b.continuations ?? 0, parts.length - 1);
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
