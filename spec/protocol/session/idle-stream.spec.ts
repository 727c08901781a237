/**
 * Frame-local codec errors on idle streams are judged by the state table (RFC 9113 section 5.1):
 * a WINDOW_UPDATE there is a connection error whatever its increment.
 */
import test from 'ava';
import { FrameType } from '../../../lib/protocol/frame/constants';
import type { GoawayFrame, RstStreamFrame } from '../../../lib/protocol/frame/types';
import { ErrorCode } from '../../../lib/protocol/errors';
import { endpoint, RawPeer } from './harness';

function answering() {
  return endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') s.respond(ev.streamId, [[':status', '200']], { endStream: true });
  });
}

test('WINDOW_UPDATE of 0 on an idle stream is a connection PROTOCOL_ERROR (RFC 9113 5.1), not a stream error', (t) => {
  const ep = answering();
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.read();
  peer.bytes(Buffer.from([0, 0, 4, FrameType.WINDOW_UPDATE, 0, 0, 0, 0, 5, 0, 0, 0, 0]));
  const out = peer.read();
  const g = out.find((f) => f.type === FrameType.GOAWAY) as GoawayFrame | undefined;
  t.is(g?.errorCode, ErrorCode.PROTOCOL_ERROR);
  t.falsy(out.find((f) => f.type === FrameType.RST_STREAM));
  t.true(ep.session.closed);
});

test('a PRIORITY of bad length on an idle stream stays the stream error RFC 9113 6.3 names (PRIORITY is allowed on idle streams)', (t) => {
  const ep = answering();
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.read();
  peer.bytes(Buffer.from([0, 0, 4, FrameType.PRIORITY, 0, 0, 0, 0, 7, 0, 0, 0, 0]));
  const out = peer.read();
  const r = out.find((f) => f.type === FrameType.RST_STREAM) as RstStreamFrame | undefined;
  t.is(r?.errorCode, ErrorCode.FRAME_SIZE_ERROR);
  t.falsy(out.find((f) => f.type === FrameType.GOAWAY));
  t.false(ep.session.closed);
});
