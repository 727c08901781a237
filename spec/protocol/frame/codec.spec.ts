import test from 'ava';
import assert from 'assert';
import fc from 'fast-check';
import {
  encodeFrame,
  encodeFrameParts,
  flowControlledLength,
  parseFrame,
  parseFrameBytes,
  payloadLength,
  validateSetting,
  wireFlags,
  withPadding,
} from '../../../lib/protocol/frame/codec';
import { choosePadding } from '../../../lib/protocol/frame/padding';
import { ApiMisuseError, ConnectionError, ErrorCode, H2Error, StreamError } from '../../../lib/protocol/errors';
import { FrameType } from '../../../lib/protocol/frame/constants';
import { isKnownFrame, type DataFrame, type Frame, type HeadersFrame } from '../../../lib/protocol/frame/types';
import { hex, loadVectors, plain } from './helpers';
import { arbFrame } from './arbitraries';

const vectors = loadVectors();

test('the vector file covers every frame type', (t) => {
  const types = new Set(vectors.map((v) => v.frame.type));
  for (const ty of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xa, 0xc, 0x10, 0x2a]) t.true(types.has(ty), `type ${ty}`);
  t.true(vectors.length >= 50);
});

for (const v of vectors) {
  test(`parse byte-exact: ${v.name}`, (t) => {
    const f = parseFrameBytes(Buffer.from(v.hex, 'hex'));
    t.deepEqual(plain(f), plain(v.frame));
  });
  if (!v.parseOnly) {
    test(`encode byte-exact: ${v.name}`, (t) => {
      t.is(encodeFrame(v.frame).toString('hex'), v.hex);
      t.is(Buffer.concat(encodeFrameParts(v.frame)).toString('hex'), v.hex);
      t.is(payloadLength(v.frame), v.frame.length!);
      t.is(wireFlags(v.frame), v.frame.flags);
    });
  }
}

test('parsed payloads are views into the input, not copies', (t) => {
  const raw = hex('000005 00 01 00000001 68656c6c6f');
  const f = parseFrameBytes(raw) as DataFrame;
  t.is(f.data.buffer, raw.buffer);
  raw[9] = 0x48;
  t.is(f.data.toString(), 'Hello');
});

/** [name, frame bytes, code, scope, streamId for stream errors] */
const invalid: [string, string, ErrorCode, 'connection' | 'stream', number?][] = [
  // lengths
  ['PRIORITY length 4', '000004 02 00 00000003 00000000', ErrorCode.FRAME_SIZE_ERROR, 'stream', 3],
  ['PRIORITY length 6', '000006 02 00 00000003 000000000000', ErrorCode.FRAME_SIZE_ERROR, 'stream', 3],
  ['RST_STREAM length 3', '000003 03 00 00000001 000000', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['RST_STREAM length 5', '000005 03 00 00000001 0000000000', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['SETTINGS length 5', '000005 04 00 00000000 0003000000', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['SETTINGS ACK with payload', '000006 04 01 00000000 000300000064', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['PING length 7', '000007 06 00 00000000 01020304050607', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['PING length 9', '000009 06 00 00000000 010203040506070809', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['GOAWAY length 7', '000007 07 00 00000000 00000000000000', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['WINDOW_UPDATE length 3', '000003 08 00 00000000 000001', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['WINDOW_UPDATE length 5 on a stream', '000005 08 00 00000001 0000000100', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['HEADERS PRIORITY too short', '000004 01 24 00000001 00000000', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['PUSH_PROMISE too short', '000003 05 04 00000001 000000', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['DATA PADDED with empty payload', '000000 00 08 00000001', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  ['PRIORITY_UPDATE too short', '000003 10 00 00000000 000001', ErrorCode.FRAME_SIZE_ERROR, 'connection'],
  // stream id rules
  ['DATA on stream 0', '000001 00 00 00000000 61', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['HEADERS on stream 0', '000001 01 04 00000000 82', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['PRIORITY on stream 0', '000005 02 00 00000000 0000000010', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['RST_STREAM on stream 0', '000004 03 00 00000000 00000008', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['SETTINGS on stream 1', '000000 04 00 00000001', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['PUSH_PROMISE on stream 0', '000004 05 04 00000000 00000002', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['PUSH_PROMISE promising stream 0', '000004 05 04 00000001 00000000', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['PING on stream 1', '000008 06 00 00000001 0102030405060708', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['GOAWAY on stream 1', '000008 07 00 00000001 0000000000000000', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['CONTINUATION on stream 0', '000001 09 04 00000000 82', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['PRIORITY_UPDATE on stream 1', '000004 10 00 00000001 00000003', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['PRIORITY_UPDATE for stream 0', '000004 10 00 00000000 00000000', ErrorCode.PROTOCOL_ERROR, 'connection'],
  // self-dependency
  ['PRIORITY depending on itself', '000005 02 00 00000003 0000000310', ErrorCode.PROTOCOL_ERROR, 'stream', 3],
  ['HEADERS depending on itself', '000006 01 24 00000003 0000000310 82', ErrorCode.PROTOCOL_ERROR, 'connection'],
  // padding
  ['DATA Pad Length = payload length', '000002 00 08 00000001 0261', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['DATA Pad Length > payload', '000001 00 08 00000001 05', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['HEADERS Pad Length eats the priority fields', '000007 01 2c 00000001 03 0000000010 00', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['HEADERS Pad Length = payload', '000002 01 0c 00000001 0282', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['PUSH_PROMISE Pad Length eats the promised id', '000005 05 0c 00000001 01 00000002', ErrorCode.PROTOCOL_ERROR, 'connection'],
  // zero window increment
  ['WINDOW_UPDATE 0 on the connection', '000004 08 00 00000000 00000000', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['WINDOW_UPDATE 0 on a stream', '000004 08 00 00000005 00000000', ErrorCode.PROTOCOL_ERROR, 'stream', 5],
  ['WINDOW_UPDATE 0 with only the reserved bit set', '000004 08 00 00000005 80000000', ErrorCode.PROTOCOL_ERROR, 'stream', 5],
  // SETTINGS values
  ['ENABLE_PUSH 2', '000006 04 00 00000000 000200000002', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['INITIAL_WINDOW_SIZE 2^31', '000006 04 00 00000000 000480000000', ErrorCode.FLOW_CONTROL_ERROR, 'connection'],
  ['MAX_FRAME_SIZE 16383', '000006 04 00 00000000 000500003fff', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['MAX_FRAME_SIZE 2^24', '000006 04 00 00000000 000501000000', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['ENABLE_CONNECT_PROTOCOL 2', '000006 04 00 00000000 000800000002', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['NO_RFC7540_PRIORITIES 2', '000006 04 00 00000000 000900000002', ErrorCode.PROTOCOL_ERROR, 'connection'],
  ['a bad value after a good one', '00000c 04 00 00000000 000300000064 000200000007', ErrorCode.PROTOCOL_ERROR, 'connection'],
];

for (const [name, bytes, code, scope, streamId] of invalid) {
  test(`invalid: ${name} -> ${ErrorCode[code]} (${scope})`, (t) => {
    const err = t.throws(() => parseFrameBytes(hex(bytes)), { instanceOf: H2Error }) as H2Error;
    t.is(err.code, code);
    t.is(err.scope, scope);
    t.true(err instanceof (scope === 'connection' ? ConnectionError : StreamError));
    t.is(err.streamId, streamId ?? 0);
  });
}

test('frame larger than our SETTINGS_MAX_FRAME_SIZE is FRAME_SIZE_ERROR on the connection', (t) => {
  const payload = Buffer.alloc(16385);
  const err = t.throws(() => parseFrame(0, 0, 1, payload, { maxFrameSize: 16384 }), { instanceOf: ConnectionError });
  t.is(err!.code, ErrorCode.FRAME_SIZE_ERROR);
  t.notThrows(() => parseFrame(0, 0, 1, payload, { maxFrameSize: 16385 }));
});

test('edge values that are legal parse', (t) => {
  for (const s of [
    '000200000000',
    '000200000001',
    '000400000000',
    '00047fffffff',
    '000500004000',
    '000500ffffff',
    '000800000000',
    '000900000001',
    '0003ffffffff',
  ]) {
    t.notThrows(() => parseFrameBytes(hex('000006 04 00 00000000' + s)), s);
  }
  t.notThrows(() => validateSetting(0x1234, 0xffffffff));
  // padding exactly filling the rest of the payload
  const f = parseFrameBytes(hex('000003 00 08 00000001 020000')) as DataFrame;
  t.is(f.data.length, 0);
  t.is(f.padLength, 2);
});

test('malformed ORIGIN and ALTSVC come back as UnknownFrame (advisory frames: receivers ignore them)', (t) => {
  for (const bytes of ['000004 0c 00 00000000 000961 62', '000001 0a 00 00000000 00', '000003 0a 00 00000000 000561']) {
    const f = parseFrameBytes(hex(bytes));
    t.false(isKnownFrame(f));
    t.true('payload' in f);
    t.is(f.type, hex(bytes)[3]);
  }
});

test('isKnownFrame tells known variants from pass-through ones', (t) => {
  t.true(isKnownFrame(parseFrameBytes(hex('000000 04 01 00000000'))));
  t.false(isKnownFrame(parseFrameBytes(hex('000000 2a 00 00000000'))));
});

test('padding policies: none, fixed (as nghttp -b), upTo, function, clamping', (t) => {
  const data: DataFrame = { type: FrameType.DATA, flags: 1, streamId: 1, data: Buffer.from('abc') };
  const parse = (b: Buffer) => parseFrameBytes(b) as DataFrame;
  t.is(encodeFrame(data).length, 9 + 3);
  t.is(encodeFrame(data, 'none').length, 9 + 3);
  // -b 8: 8 octets of overhead, Pad Length 7, PADDED set; nghttp prints padlen=8.
  const fixed = parse(encodeFrame(data, { fixed: 8 }));
  t.is(fixed.length, 11);
  t.is(fixed.padLength, 7);
  t.is(fixed.flags, 0x09);
  t.is(flowControlledLength(fixed), 11);
  t.is(parse(encodeFrame(data, { fixed: 1 })).padLength, 0);
  t.is(parse(encodeFrame(data, { fixed: 0 })).padLength, undefined);
  t.is(parse(encodeFrame(data, { fixed: 1000 })).padLength, 255);
  for (let i = 0; i < 50; i++) {
    const n = parse(encodeFrame(data, { upTo: 10 })).length! - 3;
    t.true(n >= 0 && n <= 10);
  }
  t.is(parse(encodeFrame(data, () => 4)).padLength, 3);
  // a frame's own padLength round-trips when no policy is given; a policy overrides it
  t.is(parse(encodeFrame({ ...data, padLength: 9 })).padLength, 9);
  t.is(parse(encodeFrame({ ...data, padLength: 9 }, { fixed: 0 })).padLength, undefined);
  // clamped to the frame size
  const big: DataFrame = { ...data, data: Buffer.alloc(16380) };
  t.is(choosePadding({ fixed: 100 }, big, 16380, 16384), 4);
  t.is(parse(encodeFrame(big, { fixed: 100 })).length, 16384);
  // padding octets are zero
  const raw = encodeFrame(data, { fixed: 20 });
  t.true(raw.subarray(9 + 1 + 3).every((b) => b === 0));
});

test('HEADERS and PUSH_PROMISE take padding; other frames ignore the policy', (t) => {
  const hf: HeadersFrame = {
    type: FrameType.HEADERS,
    flags: 4,
    streamId: 1,
    fragment: Buffer.from([0x82]),
    priority: { exclusive: false, dependsOn: 0, weight: 16 },
  };
  const p = parseFrameBytes(encodeFrame(hf, { fixed: 16 })) as HeadersFrame;
  t.is(p.flags, 0x2c);
  t.is(p.padLength, 15);
  t.is(p.length, 1 + 5 + 1 + 15);
  const ping = { type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) } as Frame;
  t.is(encodeFrame(ping, { fixed: 16 }).length, 17);
});

test('withPadding fixes flags, length and padLength once, so a random policy is drawn once', (t) => {
  const data: DataFrame = { type: FrameType.DATA, flags: 0, streamId: 1, data: Buffer.from('abcdef') };
  const w = withPadding(data, { upTo: 200 });
  const bytes = encodeFrame(w);
  t.deepEqual(plain(parseFrameBytes(bytes)), plain(w));
  t.is(flowControlledLength(w), bytes.length - 9);
});

test('fast-check: encode then parse gives the frame back, for random frames of every type', (t) => {
  fc.assert(
    fc.property(arbFrame, (f) => {
      const bytes = encodeFrame(f);
      const back = parseFrameBytes(bytes);
      const expected = { ...f, length: bytes.length - 9, flags: wireFlags(f) };
      if ('payload' in f) (expected as any).payload = (f as any).payload;
      assert.deepStrictEqual(plain(back), plain(expected));
      assert.deepStrictEqual(encodeFrame(back), bytes);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('encoding a frame whose fields do not fit the wire is ApiMisuseError, not a RangeError', (t) => {
  const bad: [string, unknown][] = [
    ['stream id 2^31', { type: 0, flags: 0, streamId: 2 ** 31, data: Buffer.alloc(0) }],
    ['negative stream id', { type: 0, flags: 0, streamId: -1, data: Buffer.alloc(0) }],
    ['flags 256', { type: 0, flags: 256, streamId: 1, data: Buffer.alloc(0) }],
    ['padLength 256', { type: 0, flags: 0, streamId: 1, data: Buffer.alloc(0), padLength: 256 }],
    ['weight 0', { type: 2, flags: 0, streamId: 1, priority: { exclusive: false, dependsOn: 0, weight: 0 } }],
    [
      'weight 257',
      { type: 1, flags: 4, streamId: 1, fragment: Buffer.alloc(0), priority: { exclusive: false, dependsOn: 0, weight: 257 } },
    ],
    ['error code 2^32', { type: 3, flags: 0, streamId: 1, errorCode: 2 ** 32 }],
    ['setting id 0x10000', { type: 4, flags: 0, streamId: 0, settings: [{ id: 0x10000, value: 1 }] }],
    ['setting value -1', { type: 4, flags: 0, streamId: 0, settings: [{ id: 1, value: -1 }] }],
    ['increment 2^31', { type: 8, flags: 0, streamId: 0, windowSizeIncrement: 2 ** 31 }],
    ['fractional id', { type: 8, flags: 0, streamId: 1.5, windowSizeIncrement: 1 }],
    ['data not a Buffer', { type: 0, flags: 0, streamId: 1, data: 'abc' }],
    ['fragment not a Buffer', { type: 1, flags: 4, streamId: 1, fragment: [0x82] }],
    ['payload not a Buffer', { type: 0xfa, flags: 0, streamId: 1, payload: 'raw' }],
    ['debugData not a Buffer', { type: 7, flags: 0, streamId: 0, lastStreamId: 0, errorCode: 0, debugData: undefined }],
    ['opaqueData not a Buffer', { type: 6, flags: 0, streamId: 0, opaqueData: 12345678 }],
    ['PING of 7 octets', { type: 6, flags: 0, streamId: 0, opaqueData: Buffer.alloc(7) }],
    ['payload over 2^24-1', { type: 0, flags: 0, streamId: 1, data: Buffer.alloc(2 ** 24) }],
  ];
  for (const [name, f] of bad) t.throws(() => encodeFrame(f as Frame), { instanceOf: ApiMisuseError }, name);
  // protocol-invalid but representable frames still encode (tests need them)
  t.notThrows(() => encodeFrame({ type: 0, flags: 0, streamId: 0, data: Buffer.alloc(1) } as Frame));
  t.notThrows(() => encodeFrame({ type: 8, flags: 0, streamId: 0, windowSizeIncrement: 0 } as Frame));
});
