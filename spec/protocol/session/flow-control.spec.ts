import test from 'ava';
import { ErrorCode } from '../../../lib/protocol/errors';
import { FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame } from '../../../lib/protocol/frame/types';
import { endpoint, RawPeer, req } from './harness';

function serverWithUpload(opts = {}) {
  const data: any[] = [];
  const ep = endpoint('server', opts, (ev) => {
    if (ev.type === 'dataReceived') data.push(ev);
  });
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.headers(1, req('/', 'POST'));
  peer.read();
  return { ...ep, peer, data };
}
const wu = (frames: Frame[], id: number) =>
  frames.filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === id).map((f: any) => f.windowSizeIncrement);

test('padding counts toward flow control and is released at once; data is released as consumed, batched', (t) => {
  const s = serverWithUpload();
  s.peer.data(1, Buffer.alloc(10000), false, 200); // 10000 + 201 flow-controlled
  t.is(s.data[0].flowControlledLength, 10201);
  t.is(s.data[0].data.length, 10000);
  t.deepEqual(wu(s.peer.read(), 1), []); // 201 padding octets released: below the batching threshold
  s.session.consume(1, 10000);
  t.deepEqual(wu(s.peer.read(), 1), []); // 10201 < 32767: still batched
  s.peer.data(1, Buffer.alloc(16000), false, 255);
  s.session.consume(1, 16000);
  t.deepEqual(wu(s.peer.read(), 1), []); // 26457 < 32767
  s.peer.data(1, Buffer.alloc(16000));
  s.session.consume(1, 16000);
  const frames = s.peer.read();
  t.deepEqual(wu(frames, 1), [10201 + 16256 + 16000]);
  t.deepEqual(wu(frames, 0), [10201 + 16256 + 16000]);
});

test('DATA beyond the stream window is a stream FLOW_CONTROL_ERROR; beyond the connection window, a connection one', (t) => {
  const s = serverWithUpload({ settings: { initialWindowSize: 100 } });
  s.peer.send({ type: FrameType.SETTINGS, flags: 1, streamId: 0, settings: [] } as Frame); // ACK our settings
  s.peer.data(1, Buffer.alloc(101));
  const rst = s.peer.read().find((f) => f.type === FrameType.RST_STREAM) as any;
  t.is(rst.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
  t.false(s.session.closed);
  const c = serverWithUpload({ settings: { initialWindowSize: 1 << 20 } });
  c.peer.send({ type: FrameType.SETTINGS, flags: 1, streamId: 0, settings: [] } as Frame);
  for (let i = 0; i < 4; i++) c.peer.data(1, Buffer.alloc(16384));
  c.peer.data(1, Buffer.alloc(100)); // 65636 > 65535 connection window
  const g = c.peer.read().find((f) => f.type === FrameType.GOAWAY) as any;
  t.is(g.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
});

test('WINDOW_UPDATE overflow past 2^31-1: stream error on a stream, connection error on stream 0', (t) => {
  const s = serverWithUpload();
  s.peer.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 1, windowSizeIncrement: 0x7fffffff } as Frame);
  const rst = s.peer.read().find((f) => f.type === FrameType.RST_STREAM) as any;
  t.is(rst.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
  s.peer.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: 0x7fffffff } as Frame);
  const g = s.peer.read().find((f) => f.type === FrameType.GOAWAY) as any;
  t.is(g.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
});

test('INITIAL_WINDOW_SIZE change mid-stream applies to open streams, including a negative window', (t) => {
  const ep = endpoint('server');
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.headers(1, req('/'), true);
  peer.read();
  ep.session.respond(1, [[':status', '200']]);
  ep.session.sendData(1, Buffer.alloc(100000), true);
  let frames = peer.read();
  const sent = () => frames.filter((f) => f.type === FrameType.DATA).reduce((n, f: any) => n + f.data.length, 0);
  t.is(sent(), 65535);
  // Shrink the window by 10000: the stream's window is now -10000.
  peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [{ id: 4, value: 55535 }] } as Frame);
  peer.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: 1 << 20 } as Frame);
  peer.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 1, windowSizeIncrement: 10000 } as Frame);
  frames = peer.read();
  t.is(sent(), 0, 'window back to 0: nothing may be sent');
  peer.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 1, windowSizeIncrement: 5 } as Frame);
  frames = peer.read();
  t.is(sent(), 5);
  // Grow it: the delta opens the window for the rest.
  peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [{ id: 4, value: 200000 }] } as Frame);
  frames = peer.read();
  t.is(sent(), 100000 - 65540);
  t.false(ep.session.closed);
});

test('an INITIAL_WINDOW_SIZE change that overflows a stream window is a connection FLOW_CONTROL_ERROR', (t) => {
  const ep = endpoint('server');
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.headers(1, req('/'), true);
  peer.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 1, windowSizeIncrement: 0x7fffffff - 65535 } as Frame);
  peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [{ id: 4, value: 65536 }] } as Frame);
  const g = peer.read().find((f) => f.type === FrameType.GOAWAY) as any;
  t.is(g.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
});

test('content-length disagreeing with DATA is a stream PROTOCOL_ERROR', (t) => {
  const ep = endpoint('server');
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.headers(1, req('/', 'POST', [['content-length', '3']]));
  peer.data(1, 'abcd', true);
  peer.headers(3, req('/', 'POST', [['content-length', '3']]));
  peer.data(3, 'ab', true);
  peer.headers(5, req('/', 'POST', [['content-length', '3']]));
  peer.data(5, 'abc', true);
  const rst = peer
    .read()
    .filter((f) => f.type === FrameType.RST_STREAM)
    .map((f: any) => [f.streamId, f.errorCode]);
  t.deepEqual(rst, [
    [1, ErrorCode.PROTOCOL_ERROR],
    [3, ErrorCode.PROTOCOL_ERROR],
  ]);
});

test('consume() never releases more than was delivered', (t) => {
  const s = serverWithUpload();
  s.peer.data(1, Buffer.alloc(1000));
  s.session.consume(1, 1_000_000);
  s.session.consume(99, 1_000_000);
  // Only 1000 octets were delivered: nothing reaches a batching threshold, so no WINDOW_UPDATE.
  t.deepEqual(wu(s.peer.read(), 1), []);
  for (let i = 0; i < 4; i++) s.peer.data(1, Buffer.alloc(10000));
  s.session.consume(1, 1_000_000);
  const frames = s.peer.read();
  t.deepEqual(wu(frames, 1), [41000]);
  t.deepEqual(wu(frames, 0), [41000]);
});
