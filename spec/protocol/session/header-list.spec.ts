/**
 * A header list over our limit stays a stream-level matter (RFC 9113 section 10.5.1: 431 once the
 * block was decoded, HPACK table in step), however long its fields.
 */
import test from 'ava';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame, HeaderField, RstStreamFrame } from '../../../lib/protocol/frame/types';
import { ErrorCode } from '../../../lib/protocol/errors';
import { endpoint, RawPeer, req } from './harness';

/** Send a header block split into HEADERS + CONTINUATION frames of at most 16384 octets. */
function sendBlock(peer: RawPeer, id: number, headers: HeaderField[], endStream: boolean): void {
  const block = peer.enc.encode(headers);
  const parts: Buffer[] = [];
  for (let i = 0; i < block.length; i += 16384) parts.push(block.subarray(i, i + 16384));
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if (i === 0) peer.send({ type: FrameType.HEADERS, flags: (endStream ? Flag.END_STREAM : 0) | (last ? Flag.END_HEADERS : 0), streamId: id, fragment: p } as Frame);
    else peer.send({ type: FrameType.CONTINUATION, flags: last ? Flag.END_HEADERS : 0, streamId: id, fragment: p } as Frame);
  });
}

const ACK = { type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as Frame;

function answering(opts = {}) {
  return endpoint('server', opts, (ev, s) => {
    if (ev.type === 'requestReceived') s.respond(ev.streamId, [[':status', '200']], { endStream: true });
  });
}

function statusOf(peer: RawPeer, frames: Frame[], id: number): string | undefined {
  const h = frames.find((f) => f.type === FrameType.HEADERS && f.streamId === id);
  return h ? peer.decode(h).find((x) => x[0] === ':status')?.[1] : undefined;
}

test('a 70 KB header field (longer than any HPACK string cap) gets 431 on its stream; the connection and its HPACK table go on', (t) => {
  const ep = answering();
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.read();
  // Indexed fields before and after: the table must stay in step across the refused block.
  sendBlock(peer, 1, req('/', 'GET', [['x-big', 'a'.repeat(70000)], ['x-kept', 'v1']]), false);
  sendBlock(peer, 3, req('/ok', 'GET', [['x-kept', 'v1']]), true);
  const out = peer.read();
  t.is(statusOf(peer, out, 1), '431');
  t.is(statusOf(peer, out, 3), '200');
  t.falsy(out.find((f) => f.type === FrameType.GOAWAY));
  // The request had a body coming: the server asks the client to stop with RST_STREAM NO_ERROR.
  const rst = out.find((f) => f.type === FrameType.RST_STREAM && f.streamId === 1) as RstStreamFrame | undefined;
  t.is(rst?.errorCode, ErrorCode.NO_ERROR);
  t.false(ep.session.closed);
});
