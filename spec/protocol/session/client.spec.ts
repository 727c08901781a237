import test from 'ava';
import { ErrorCode } from '../../../lib/protocol/errors';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame } from '../../../lib/protocol/frame/types';
import { endpoint, RawPeer, req } from './harness';

/** A client session facing a scripted server that has sent its SETTINGS and ACKed ours. */
function client(opts = {}) {
  const ep = endpoint('client', opts);
  const peer = new RawPeer(ep.session, 'server');
  peer.read();
  peer.preface();
  peer.send({ type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as Frame);
  peer.read();
  return { ...ep, peer };
}
const goaway = (fs: Frame[]) => fs.find((f) => f.type === FrameType.GOAWAY) as any;
const rst = (fs: Frame[]) => fs.filter((f) => f.type === FrameType.RST_STREAM).map((f: any) => [f.streamId, f.errorCode]);

test('the server preface must be SETTINGS', (t) => {
  const ep = endpoint('client');
  const peer = new RawPeer(ep.session, 'server');
  peer.read();
  peer.send({ type: FrameType.PING, flags: 0, streamId: 0, opaqueData: Buffer.alloc(8) } as Frame);
  t.is(goaway(peer.read()).errorCode, ErrorCode.PROTOCOL_ERROR);
});

test('a server may not open streams with HEADERS, nor set ENABLE_PUSH', (t) => {
  const a = client();
  a.peer.headers(2, [[':status', '200']], true);
  t.is(goaway(a.peer.read()).errorCode, ErrorCode.PROTOCOL_ERROR);
  const b = client();
  b.peer.headers(1, [[':status', '200']], true); // stream 1 never opened by the client
  t.is(goaway(b.peer.read()).errorCode, ErrorCode.PROTOCOL_ERROR);
  const c = client();
  c.peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [{ id: 2, value: 1 }] } as Frame);
  t.is(goaway(c.peer.read()).errorCode, ErrorCode.PROTOCOL_ERROR);
});

test('PUSH_PROMISE: refused when push is disabled, an odd promised id is a connection error', (t) => {
  const a = client({ settings: { enablePush: false } });
  const id = a.session.request(req('/'), { endStream: true });
  a.peer.read();
  a.peer.send({
    type: FrameType.PUSH_PROMISE,
    flags: Flag.END_HEADERS,
    streamId: id,
    promisedStreamId: 2,
    fragment: a.peer.enc.encode(req('/p')),
  } as Frame);
  t.is(goaway(a.peer.read()).errorCode, ErrorCode.PROTOCOL_ERROR);
  const b = client();
  const id2 = b.session.request(req('/'), { endStream: true });
  b.peer.read();
  b.peer.send({
    type: FrameType.PUSH_PROMISE,
    flags: Flag.END_HEADERS,
    streamId: id2,
    promisedStreamId: 3,
    fragment: b.peer.enc.encode(req('/p')),
  } as Frame);
  t.is(goaway(b.peer.read()).errorCode, ErrorCode.PROTOCOL_ERROR);
});

test('a promised request that is not safe is a stream error on the promised stream', (t) => {
  const a = client();
  const id = a.session.request(req('/'), { endStream: true });
  a.peer.read();
  a.peer.send({
    type: FrameType.PUSH_PROMISE,
    flags: Flag.END_HEADERS,
    streamId: id,
    promisedStreamId: 2,
    fragment: a.peer.enc.encode(req('/p', 'POST')),
  } as Frame);
  const fs = a.peer.read();
  t.deepEqual(rst(fs), [[2, ErrorCode.PROTOCOL_ERROR]]);
  t.falsy(goaway(fs));
});

test('malformed responses are stream errors: no :status, DATA first, HEADERS without END_STREAM after the final one', (t) => {
  const a = client();
  const s1 = a.session.request(req('/1'), { endStream: true });
  const s3 = a.session.request(req('/3'), { endStream: true });
  const s5 = a.session.request(req('/5'), { endStream: true });
  a.peer.read();
  a.peer.headers(s1, [['server', 'x']], true);
  a.peer.data(s3, 'early');
  a.peer.headers(s5, [[':status', '200']]);
  a.peer.headers(s5, [['x-more', '1']]);
  const fs = a.peer.read();
  t.deepEqual(rst(fs), [
    [s1, 1],
    [s3, 1],
    [s5, 1],
  ]);
  t.false(a.session.closed);
});

test('GOAWAY: streams above the last id are refused (retryable), the rest complete, queued requests are refused', (t) => {
  const a = client();
  a.peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [{ id: 3, value: 2 }] } as Frame);
  const ids = [1, 2, 3].map((i) => a.session.request(req(`/${i}`), { endStream: true }));
  a.peer.read();
  a.peer.send({ type: FrameType.GOAWAY, flags: 0, streamId: 0, lastStreamId: 1, errorCode: 0, debugData: Buffer.alloc(0) } as Frame);
  const closed = a.events.filter((e) => e.type === 'streamClosed').map((e: any) => [e.streamId, e.errorCode]);
  t.deepEqual(closed, [
    [ids[1], ErrorCode.REFUSED_STREAM],
    [ids[2], ErrorCode.REFUSED_STREAM],
  ]);
  t.false(a.session.closed);
  a.peer.headers(ids[0], [[':status', '200']], true);
  t.true(a.session.closed);
  const term = a.events.find((e) => e.type === 'connectionTerminated') as any;
  t.deepEqual([term.errorCode, term.remote], [0, true]);
  // Its own class (not a literal sharing V8's map with five-field frames; see shutdown.ts), with
  // the keys and values a literal had.
  t.deepEqual({ ...term }, { type: 'connectionTerminated', errorCode: 0, lastStreamId: 1, remote: true, error: undefined });
  t.deepEqual(Object.keys(term), ['type', 'errorCode', 'lastStreamId', 'remote', 'error']);
});

test('late frames after the peer reset a stream are stream errors; after our reset they are ignored', (t) => {
  const a = client();
  const s1 = a.session.request(req('/1'), { endStream: true });
  const s3 = a.session.request(req('/3'), { endStream: true });
  a.peer.read();
  a.peer.send({ type: FrameType.RST_STREAM, flags: 0, streamId: s1, errorCode: ErrorCode.CANCEL } as Frame);
  a.peer.headers(s1, [[':status', '200']], true);
  a.session.reset(s3);
  a.peer.read();
  a.peer.headers(s3, [[':status', '200']]);
  a.peer.data(s3, 'ignored', true);
  const fs = a.peer.read();
  t.deepEqual(rst(fs), []);
  t.falsy(goaway(fs));
  // Earlier reads: our CANCEL on s3, and STREAM_CLOSED for the HEADERS after the peer's reset of s1.
  t.deepEqual(
    rst(a.peer.received).sort((x, y) => x[0] - y[0]),
    [
      [s1, ErrorCode.STREAM_CLOSED],
      [s3, ErrorCode.CANCEL],
    ],
  );
});

test('content-length on responses: HEAD and 304 carry none, a body longer than announced is malformed', (t) => {
  const a = client();
  const head = a.session.request(req('/', 'HEAD'), { endStream: true });
  const get = a.session.request(req('/'), { endStream: true });
  a.peer.read();
  a.peer.headers(
    head,
    [
      [':status', '200'],
      ['content-length', '1000'],
    ],
    true,
  );
  a.peer.headers(get, [
    [':status', '200'],
    ['content-length', '2'],
  ]);
  a.peer.data(get, 'abc', true);
  const fs = a.peer.read();
  t.deepEqual(rst(fs), [[get, ErrorCode.PROTOCOL_ERROR]]);
  t.true(a.events.some((e) => e.type === 'streamClosed' && e.streamId === head && e.errorCode === 0));
});

test('before the server SETTINGS a client assumes 100 concurrent streams, then uses what the server says', (t) => {
  const ep = endpoint('client');
  const peer = new RawPeer(ep.session, 'server');
  for (let i = 0; i < 150; i++) ep.session.request(req(`/${i}`), { endStream: true });
  const early = peer.read().filter((f) => f.type === FrameType.HEADERS);
  t.is(early.length, 100, 'only the assumed 100 go out before the server SETTINGS');
  // A server SETTINGS without MAX_CONCURRENT_STREAMS means "no limit" (RFC 9113 section 6.5.2).
  peer.preface();
  t.is(peer.read().filter((f) => f.type === FrameType.HEADERS).length, 50);

  const capped = endpoint('client', { peerMaxConcurrentStreams: 2 });
  const peer2 = new RawPeer(capped.session, 'server');
  for (let i = 0; i < 5; i++) capped.session.request(req(`/${i}`), { endStream: true });
  t.is(peer2.read().filter((f) => f.type === FrameType.HEADERS).length, 2);
  peer2.preface([{ id: 3, value: 3 }]);
  t.is(peer2.read().filter((f) => f.type === FrameType.HEADERS).length, 1, 'the server limit of 3 applies once known');
});
