import test from 'ava';
import { ErrorCode } from '../../../lib/protocol/errors';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame } from '../../../lib/protocol/frame/types';
import type { SessionEvent } from '../../../lib/protocol/session/types';
import { endpoint, RawPeer, req, types } from './harness';

/** A server that answers every request with 200 "ok"; `clock` drives the rate limits. */
function server(limits: object = {}, clock = { t: 0 }) {
  const ep = endpoint('server', { limits, now: () => clock.t }, (ev, s) => {
    if (ev.type === 'requestReceived' && ev.endStream) {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, Buffer.from('ok'), true);
    }
  });
  const peer = new RawPeer(ep.session, 'client').preface();
  return { ...ep, peer, clock };
}

const goaway = (frames: Frame[]) => frames.find((f) => f.type === FrameType.GOAWAY) as any;

/** A well-behaved stream 1 is answered even though the flood that follows ends the connection. */
function wellBehavedAnswered(t: any, frames: Frame[]) {
  const data = frames.find((f) => f.type === FrameType.DATA && f.streamId === 1) as any;
  t.truthy(data, 'stream 1 got its response');
  t.is(data.data.toString(), 'ok');
}

test('rapid reset (CVE-2023-44487): a flood of HEADERS+RST_STREAM ends in GOAWAY ENHANCE_YOUR_CALM, the good stream completes', (t) => {
  const s = server({ resetBurst: 50, resetPerSecond: 10 });
  s.peer.headers(1, req('/good'), true);
  for (let id = 3; id < 3 + 2 * 200; id += 2) {
    s.peer.headers(id, req('/evil'), false);
    s.peer.send({ type: FrameType.RST_STREAM, flags: 0, streamId: id, errorCode: ErrorCode.CANCEL } as Frame);
  }
  const frames = s.peer.read();
  wellBehavedAnswered(t, frames);
  const g = goaway(frames);
  t.is(g.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
  t.true(g.lastStreamId >= 1);
  t.true(s.session.closed);
  const term = s.events.find((e) => e.type === 'connectionTerminated') as any;
  t.is(term.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('resets at a sustainable rate are fine', (t) => {
  const s = server({ resetBurst: 10, resetPerSecond: 100 });
  for (let i = 0; i < 100; i++) {
    const id = 1 + 2 * i;
    s.clock.t += 20; // 50 resets per second
    s.peer.headers(id, req('/'), false);
    s.peer.send({ type: FrameType.RST_STREAM, flags: 0, streamId: id, errorCode: ErrorCode.CANCEL } as Frame);
  }
  s.peer.read();
  t.false(s.session.closed);
});

test('PING flood while not reading: queued control frames trip ENHANCE_YOUR_CALM', (t) => {
  const s = server({ maxQueuedControlFrames: 100 });
  s.peer.headers(1, req('/good'), true);
  const ping = { type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) } as Frame;
  for (let i = 0; i < 150; i++) s.peer.send(ping);
  const frames = s.peer.read();
  wellBehavedAnswered(t, frames);
  t.is(goaway(frames).errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('PING flood at a rate: the bucket trips even when the peer reads', (t) => {
  const s = server({ pingBurst: 20, pingPerSecond: 1 });
  s.peer.headers(1, req('/good'), true);
  const ping = { type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) } as Frame;
  let frames: Frame[] = [];
  for (let i = 0; i < 50; i++) {
    s.peer.send(ping);
    frames = frames.concat(s.peer.read());
  }
  wellBehavedAnswered(t, frames);
  t.is(frames.filter((f) => f.type === FrameType.PING).length, 20);
  t.is(goaway(frames).errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('SETTINGS flood trips ENHANCE_YOUR_CALM', (t) => {
  const s = server({ settingsBurst: 20, settingsPerSecond: 1 });
  s.peer.headers(1, req('/good'), true);
  let frames: Frame[] = [];
  for (let i = 0; i < 50; i++) {
    s.peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] } as Frame);
    frames = frames.concat(s.peer.read());
  }
  wellBehavedAnswered(t, frames);
  t.is(goaway(frames).errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('empty DATA flood (CVE-2019-9518) trips ENHANCE_YOUR_CALM', (t) => {
  const s = server({ emptyDataBurst: 30, emptyDataPerSecond: 1 });
  s.peer.headers(1, req('/good'), true);
  s.peer.headers(3, req('/upload', 'POST'), false);
  for (let i = 0; i < 100; i++) s.peer.data(3, '');
  const frames = s.peer.read();
  wellBehavedAnswered(t, frames);
  t.is(goaway(frames).errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('CONTINUATION flood (CVE-2024-27316) trips ENHANCE_YOUR_CALM', (t) => {
  const s = server({ maxContinuations: 8 });
  s.peer.headers(1, req('/good'), true);
  const block = s.peer.enc.encode(req('/evil'));
  s.peer.send({ type: FrameType.HEADERS, flags: 0, streamId: 3, fragment: block.subarray(0, 1) } as Frame);
  for (let i = 0; i < 20; i++) s.peer.send({ type: FrameType.CONTINUATION, flags: 0, streamId: 3, fragment: Buffer.alloc(0) } as Frame);
  const frames = s.peer.read();
  wellBehavedAnswered(t, frames);
  t.is(goaway(frames).errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('concurrent streams beyond our limit get REFUSED_STREAM; the others complete', (t) => {
  const held: number[] = [];
  const ep = endpoint('server', { settings: { maxConcurrentStreams: 2 } }, (ev) => {
    if (ev.type === 'requestReceived') held.push(ev.streamId);
  });
  const peer = new RawPeer(ep.session, 'client').preface();
  for (let id = 1; id <= 9; id += 2) peer.headers(id, req('/'), true);
  let frames = peer.read();
  const rst = frames.filter((f) => f.type === FrameType.RST_STREAM) as any[];
  t.deepEqual(
    rst.map((f) => [f.streamId, f.errorCode]),
    [
      [5, 7],
      [7, 7],
      [9, 7],
    ],
  );
  t.deepEqual(held, [1, 3]);
  for (const id of held) ep.session.respond(id, [[':status', '204']], { endStream: true });
  frames = peer.read();
  t.deepEqual(types(frames), ['HEADERS', 'HEADERS']);
  t.false(ep.session.closed);
});

test('a header list over the limit: 431 on that stream only, the connection lives', (t) => {
  const s = server({ maxHeaderListSize: 1000 });
  s.peer.headers(1, req('/big', 'GET', [['x-big', 'a'.repeat(2000)]]), true);
  s.peer.headers(3, req('/good'), true);
  const frames = s.peer.read();
  const h1 = frames.find((f) => f.type === FrameType.HEADERS && f.streamId === 1);
  t.deepEqual(s.peer.decode(h1!), [[':status', '431']]);
  const d3 = frames.find((f) => f.type === FrameType.DATA && f.streamId === 3) as any;
  t.is(d3.data.toString(), 'ok');
  t.falsy(goaway(frames));
});

test('the header list limit also resets responses on a client', (t) => {
  const client = endpoint('client', { limits: { maxHeaderListSize: 500 } });
  const peer = new RawPeer(client.session, 'server');
  const id = client.session.request(req('/'), { endStream: true });
  peer.read();
  peer.preface();
  peer.headers(
    id,
    [
      [':status', '200'],
      ['x-big', 'b'.repeat(1000)],
    ],
    true,
  );
  const frames = peer.read();
  const rst = frames.find((f) => f.type === FrameType.RST_STREAM) as any;
  t.is(rst.streamId, id);
  t.false(client.session.closed);
  t.true(client.events.some((e: SessionEvent) => e.type === 'streamClosed' && e.streamId === id));
});

test('SETTINGS timeout via tick()', (t) => {
  const clock = { t: 0 };
  const ep = endpoint('server', { now: () => clock.t, settingsTimeoutMs: 1000 });
  const peer = new RawPeer(ep.session, 'client');
  ep.session.receive(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'));
  peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [] } as Frame);
  clock.t = 500;
  ep.session.tick(clock.t);
  t.false(ep.session.closed);
  clock.t = 1500;
  ep.session.tick(clock.t);
  t.is(goaway(peer.read()).errorCode, ErrorCode.SETTINGS_TIMEOUT);
  void Flag;
});

test('PRIORITY flood (CVE-2019-9513) trips ENHANCE_YOUR_CALM; a deep dependency chain stays cheap', (t) => {
  const s = server({ priorityBurst: 200, priorityPerSecond: 1 });
  s.peer.headers(1, req('/good'), true);
  // A 150-deep chain of idle streams, then churn on it.
  for (let i = 0; i < 300; i++) {
    const id = 3 + 2 * (i % 150);
    s.peer.send({
      type: FrameType.PRIORITY,
      flags: 0,
      streamId: id,
      priority: { exclusive: i % 2 === 0, dependsOn: id === 3 ? 1 : id - 2, weight: 1 + (i % 256) },
    } as Frame);
  }
  const frames = s.peer.read();
  wellBehavedAnswered(t, frames);
  t.is(goaway(frames).errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});
