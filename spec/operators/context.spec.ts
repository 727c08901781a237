/**
 * ConnectionContext joins a connection's reading and writing layers: the peer's SETTINGS read on
 * one side bound what the other side writes (HPACK table, frame size); our SETTINGS written bound
 * what is read once the peer ACKs them. Without a shared context a rewriting relay breaks the
 * peer's decoder (the issue-12 bug: GOAWAY(COMPRESSION_ERROR) with `nghttp -c 0`).
 */
import test from 'ava';
import { ConnectionContext } from '../../lib/protocol/context';
import { CompressionError } from '../../lib/protocol/errors';
import { Flag, FrameType, Setting } from '../../lib/protocol/frame/constants';
import { encodeFrame } from '../../lib/protocol/frame/codec';
import type { Frame, HeadersFrame } from '../../lib/protocol/frame/types';
import { HeaderBlockSplitter } from '../../lib/protocol/frame/header-block';
import { HeaderEncodingStage } from '../../lib/protocol/frame/pipeline';
import { HpackDecoder } from '../../lib/protocol/hpack/decoder';
import { HpackEncoder } from '../../lib/protocol/hpack/encoder';
import { runStage } from '../../lib/protocol/stage';
import { Session } from '../../lib/protocol/session/session';
import { lastValueFrom, of, toArray } from 'rxjs';
import { createFrameReader, createFrameWriter, frameReaderTransform, readFrames, writeFrames } from '../../operators/layers';

const settings = (entries: [number, number][], ack = false): Frame =>
  ({ type: FrameType.SETTINGS, flags: ack ? Flag.ACK : 0, streamId: 0, settings: entries.map(([id, value]) => ({ id, value })) }) as Frame;
const response = (id: number): Frame =>
  ({
    type: FrameType.HEADERS,
    flags: Flag.END_HEADERS,
    streamId: id,
    fragment: Buffer.alloc(0),
    headers: [
      [':status', '200'],
      ['x-a', 'a'.repeat(40)],
    ],
  }) as HeadersFrame;

/** What a peer whose decoder allows no dynamic table makes of the bytes a writer produced. */
function peerDecodes(bytes: Buffer): Error | null {
  const peer = createFrameReader({ decoder: new HpackDecoder({ maxTableSize: 0 }) });
  try {
    runStage(peer, [bytes]);
    return null;
  } catch (err) {
    return err as Error;
  }
}

test('a peer SETTINGS_HEADER_TABLE_SIZE=0 read on one side makes the writer of the other side use no dynamic table', (t) => {
  const ctx = new ConnectionContext();
  const reader = createFrameReader({ context: ctx });
  const writer = createFrameWriter({ context: ctx });
  runStage(reader, [encodeFrame(settings([[Setting.HEADER_TABLE_SIZE, 0]]))]);
  t.is(ctx.remote.headerTableSize, 0);
  const bytes = Buffer.concat(runStage(writer, [response(1), response(3)]));
  t.is(peerDecodes(bytes), null);
  // Without the shared context (the bug this fixes), the writer indexes and the peer fails.
  const alone = Buffer.concat(runStage(createFrameWriter(), [response(1), response(3)]));
  t.true(peerDecodes(alone) instanceof CompressionError);
});

test('our SETTINGS written take effect on the reading side when the ACK is read (frame size)', (t) => {
  const ctx = new ConnectionContext();
  const reader = frameReaderTransform({ context: ctx });
  const writer = createFrameWriter({ context: ctx });
  runStage(writer, [settings([[Setting.MAX_FRAME_SIZE, 32768]])]);
  t.is(reader.stage.deframer.maxFrameSize, 16384, 'not before the ACK');
  runStage(reader.stage, [encodeFrame(settings([], true))]);
  t.is(reader.stage.deframer.maxFrameSize, 32768);
  t.is(reader.context, ctx);
  t.is(readFrames({ context: ctx }).context, ctx);
});

test('as RxJS operators too: SETTINGS read through readFrames reconfigure a writeFrames of the same context', async (t) => {
  const ctx = new ConnectionContext();
  const peerSettings = encodeFrame(
    settings([
      [Setting.HEADER_TABLE_SIZE, 0],
      [Setting.MAX_FRAME_SIZE, 32768],
    ]),
  );
  const read = await lastValueFrom(of(peerSettings).pipe(readFrames({ context: ctx }), toArray()));
  t.is(read.length, 1);
  t.is(ctx.remote.headerTableSize, 0);
  // writeFrames makes its stage when subscribed, after the SETTINGS went by: it starts from them.
  const written = await lastValueFrom(of(response(1), response(3)).pipe(writeFrames({ context: ctx }), toArray()));
  t.is(peerDecodes(Buffer.concat(written)), null);
  const big = {
    ...response(5),
    headers: [
      [':status', '200'],
      ['x-big', 'b'.repeat(20000)],
    ],
  } as HeadersFrame;
  const one = Buffer.concat(await lastValueFrom(of(big as Frame).pipe(writeFrames({ context: ctx }), toArray())));
  t.is(one.readUIntBE(0, 3) + 9, one.length, "one HEADERS frame up to the peer's 32768, no CONTINUATION");
  // The stand-alone splitter and encoding stage made late start from the context's frame size too.
  const bigFrame = { ...big, fragment: Buffer.alloc(20000), headers: undefined } as unknown as Frame;
  t.is(runStage(new HeaderBlockSplitter(undefined, ctx), [bigFrame]).length, 1);
  t.is(new HeaderEncodingStage(new HpackEncoder(), undefined, ctx).maxFrameSize, 32768);
  // The same operators without the shared context index the fields, and such a peer fails.
  const alone = await lastValueFrom(of(response(1), response(3)).pipe(writeFrames(), toArray()));
  t.true(peerDecodes(Buffer.concat(alone)) instanceof CompressionError);
});

test('connection windows: DATA and WINDOW_UPDATE seen either way move the shared windows', (t) => {
  const ctx = new ConnectionContext();
  const reader = createFrameReader({ context: ctx });
  const writer = createFrameWriter({ context: ctx });
  runStage(writer, [{ type: FrameType.DATA, flags: 0, streamId: 1, data: Buffer.alloc(1000) } as Frame]);
  runStage(reader, [encodeFrame({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: 500 } as Frame)]);
  t.is(ctx.sendWindow, 65535 - 1000 + 500);
  runStage(reader, [encodeFrame({ type: FrameType.DATA, flags: 0, streamId: 2, data: Buffer.alloc(10), padLength: 5 } as Frame)]);
  t.is(ctx.recvWindow, 65535 - 16);
});

test("the Session is bound to its context: the peer's SETTINGS and the ACK of ours land there", (t) => {
  const s = new Session({ role: 'client', onEvent: () => {}, settings: { maxFrameSize: 20000, headerTableSize: 0 } });
  s.dataToSend();
  s.receive(
    encodeFrame(
      settings([
        [Setting.HEADER_TABLE_SIZE, 100],
        [Setting.MAX_FRAME_SIZE, 65536],
      ]),
    ),
  );
  t.is(s.context.remote.headerTableSize, 100);
  t.is(s.context.remote.maxFrameSize, 65536);
  t.is(s.context.local.maxFrameSize, 16384);
  s.receive(encodeFrame(settings([], true)));
  t.is(s.context.local.maxFrameSize, 20000);
  t.is(s.context.local.headerTableSize, 0);
  t.false(s.closed);
});
