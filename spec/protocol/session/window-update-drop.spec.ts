/**
 * WINDOW_UPDATEs queued by consume() but not yet handed out are dropped, bytes and frameSent
 * event, once we queued a GOAWAY that ends the connection or (stream-level ones) once their stream
 * closed: nghttp2's session_predicate_window_update_send refuses them at send time.
 */
import test from 'ava';
import { ErrorCode } from '../../../lib/protocol/errors';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame, RstStreamFrame, WindowUpdateFrame } from '../../../lib/protocol/frame/types';
import type { SessionEvent } from '../../../lib/protocol/session/types';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import { ACK, endpoint, RawPeer, req } from './harness';

/** A client with frame events, past the handshake, with one request answered by HEADERS. */
function client() {
  const ep = endpoint('client', { frameEvents: true });
  const peer = new RawPeer(ep.session, 'server');
  peer.read();
  peer.preface();
  peer.send(ACK);
  peer.read();
  const id = ep.session.request(req(), { endStream: true });
  peer.read();
  peer.headers(id, [[':status', '200']]);
  ep.events.length = 0;
  return { ep, peer, id };
}

/** 40000 octets in frames within the default maximum frame size (END_STREAM on the last one if asked). */
function body(peer: RawPeer, id: number, endStream = false): void {
  for (let i = 0; i < 4; i++) peer.data(id, Buffer.alloc(10000), endStream && i === 3);
}

const sentFrames = (evs: SessionEvent[]): Frame[] => evs.flatMap((e) => (e.type === 'frameSent' ? [e.frame] : []));
const updates = (fs: Frame[]) =>
  fs.filter((f) => f.type === FrameType.WINDOW_UPDATE).map((f) => `${f.streamId}+${(f as WindowUpdateFrame).windowSizeIncrement}`);

function parse(parts: Buffer[]): Frame[] {
  const d = new Deframer({ expectPreface: false, maxFrameSize: 16777215 });
  const out: Frame[] = [];
  for (const b of parts) d.push(b, (f) => out.push(f));
  return out;
}

test('control: consumed DATA is returned in WINDOW_UPDATEs on the stream and the connection', (t) => {
  const { ep, peer, id } = client();
  body(peer, id);
  ep.session.consume(id, 40000);
  const out = peer.read();
  t.deepEqual(updates(out), ['0+40000', `${id}+40000`]);
  t.deepEqual(updates(sentFrames(ep.events)), ['0+40000', `${id}+40000`]);
});

for (const how of ['dataToSend', 'dataToSendParts'] as const) {
  test(`client consumes the last DATA then goaway(): no WINDOW_UPDATE in the bytes nor in frameSent (${how})`, (t) => {
    const { ep, peer, id } = client();
    body(peer, id, true);
    // The stream is half-closed (remote): only the connection-level one is queued.
    ep.session.consume(id, 40000);
    ep.session.goaway();
    const parts = how === 'dataToSend' ? [ep.session.dataToSend()!] : ep.session.dataToSendParts()!;
    const out = parse(parts);
    t.deepEqual(
      out.map((f) => f.type),
      [FrameType.GOAWAY],
    );
    t.deepEqual(
      sentFrames(ep.events).map((f) => f.type),
      [FrameType.GOAWAY],
    );
    t.is(ep.session.dataToSend(), null);
  });
}

test('a connection error drops queued WINDOW_UPDATEs too (stream and connection)', (t) => {
  const { ep, peer, id } = client();
  body(peer, id);
  ep.session.consume(id, 40000);
  ep.session.goaway(ErrorCode.INTERNAL_ERROR);
  const out = peer.read();
  t.deepEqual(
    out.map((f) => f.type),
    [FrameType.GOAWAY],
  );
  t.deepEqual(
    sentFrames(ep.events).map((f) => f.type),
    [FrameType.GOAWAY],
  );
});

test('a stream-level WINDOW_UPDATE is dropped once its stream is closed; the connection one goes out', (t) => {
  const { ep, peer, id } = client();
  body(peer, id);
  ep.session.consume(id, 40000);
  peer.send({ type: FrameType.RST_STREAM, flags: 0, streamId: id, errorCode: ErrorCode.CANCEL } as RstStreamFrame);
  const out = peer.read();
  t.deepEqual(updates(out), ['0+40000']);
  t.deepEqual(updates(sentFrames(ep.events)), ['0+40000']);
});

test("WINDOW_UPDATEs handed out before goaway() stay sent; the server's graceful first GOAWAY drops nothing", (t) => {
  const { ep, peer, id } = client();
  body(peer, id);
  ep.session.consume(id, 40000);
  t.deepEqual(updates(peer.read()), ['0+40000', `${id}+40000`]);
  ep.session.goaway();
  t.deepEqual(
    peer.read().map((f) => f.type),
    [FrameType.GOAWAY],
  );

  const srv = endpoint('server', { frameEvents: true });
  const cli = new RawPeer(srv.session, 'client');
  cli.preface();
  cli.send(ACK);
  cli.headers(1, req('/', 'POST'));
  cli.read();
  body(cli, 1);
  srv.session.consume(1, 40000);
  srv.session.goaway();
  const out = cli.read();
  t.deepEqual(updates(out), ['0+40000', '1+40000']);
  t.true(out.some((f) => f.type === FrameType.GOAWAY && !(f.flags & Flag.ACK)));
});
