/** fast-check arbitraries for valid frames of every type, shared by the frame specs. */
import fc from 'fast-check';
import { FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame, PrioritySpec } from '../../../lib/protocol/frame/types';

const sid = fc.integer({ min: 1, max: 0x7fffffff });
const u31 = fc.integer({ min: 0, max: 0x7fffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const ascii = (max: number) => fc.string({ maxLength: max, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const padLength = fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined });
const prio = (self: number): fc.Arbitrary<PrioritySpec> =>
  fc.record({ exclusive: fc.boolean(), dependsOn: u31.filter((d) => d !== self), weight: fc.integer({ min: 1, max: 256 }) });

/** Flags with the bits the encoder derives (PADDED, PRIORITY) left to it. */
const flagsBits = (mask: number) => fc.integer({ min: 0, max: 255 }).map((f) => f & mask);

/** Any valid frame; PADDED/PRIORITY follow from padLength/priority as the encoder derives them. */
export const arbFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({ streamId: sid, flags: flagsBits(~0x08 & 0xff), data: bytes(300), padLength })
    .map((r) => ({ type: FrameType.DATA, ...r }) as Frame),
  sid.chain((streamId) =>
    fc
      .record({ flags: flagsBits(~0x28 & 0xff), fragment: bytes(300), padLength, priority: fc.option(prio(streamId), { nil: undefined }) })
      .map((r) => ({ type: FrameType.HEADERS, streamId, ...r }) as Frame),
  ),
  sid.chain((streamId) => prio(streamId).map((priority) => ({ type: FrameType.PRIORITY, flags: 0, streamId, priority }) as Frame)),
  fc.record({ streamId: sid, errorCode: u32 }).map((r) => ({ type: FrameType.RST_STREAM, flags: 0, ...r }) as Frame),
  fc.oneof(
    fc.constant({ type: FrameType.SETTINGS, flags: 1, streamId: 0, settings: [] } as Frame),
    fc
      .array(
        fc.oneof(
          fc.record({ id: fc.constantFrom(1, 3, 6), value: u32 }),
          fc.record({ id: fc.constantFrom(2, 8, 9), value: fc.integer({ min: 0, max: 1 }) }),
          fc.record({ id: fc.constant(4), value: u31 }),
          fc.record({ id: fc.constant(5), value: fc.integer({ min: 16384, max: 16777215 }) }),
          fc.record({ id: fc.integer({ min: 10, max: 0xffff }), value: u32 }),
        ),
        { maxLength: 10 },
      )
      .map((settings) => ({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings }) as Frame),
  ),
  fc
    .record({ streamId: sid, flags: flagsBits(~0x08 & 0xff), promisedStreamId: sid, fragment: bytes(100), padLength })
    .map((r) => ({ type: FrameType.PUSH_PROMISE, ...r }) as Frame),
  fc
    .record({ flags: flagsBits(0xff), opaqueData: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((a) => Buffer.from(a)) })
    .map((r) => ({ type: FrameType.PING, streamId: 0, ...r }) as Frame),
  fc
    .record({ lastStreamId: u31, errorCode: u32, debugData: bytes(50) })
    .map((r) => ({ type: FrameType.GOAWAY, flags: 0, streamId: 0, ...r }) as Frame),
  fc
    .record({ streamId: fc.integer({ min: 0, max: 0x7fffffff }), windowSizeIncrement: fc.integer({ min: 1, max: 0x7fffffff }) })
    .map((r) => ({ type: FrameType.WINDOW_UPDATE, flags: 0, ...r }) as Frame),
  fc.record({ streamId: sid, flags: flagsBits(0xff), fragment: bytes(100) }).map((r) => ({ type: FrameType.CONTINUATION, ...r }) as Frame),
  fc.record({ streamId: u31, origin: ascii(40), fieldValue: ascii(40) }).map((r) => ({ type: FrameType.ALTSVC, flags: 0, ...r }) as Frame),
  fc.array(ascii(30), { maxLength: 4 }).map((origins) => ({ type: FrameType.ORIGIN, flags: 0, streamId: 0, origins }) as Frame),
  fc
    .record({ prioritizedStreamId: sid, priorityFieldValue: ascii(30) })
    .map((r) => ({ type: FrameType.PRIORITY_UPDATE, flags: 0, streamId: 0, ...r }) as Frame),
  fc
    .record({ type: fc.integer({ min: 0x11, max: 0xff }), flags: flagsBits(0xff), streamId: u31, payload: bytes(100) })
    .map((r) => r as Frame),
);

/** A random sequence of valid frames, and its bytes. */
export const arbFrames = fc.array(arbFrame, { minLength: 1, maxLength: 12 });
