/** updateSettings({ maxHeaderListSize }) changes what the decoder accepts, once the peer ACKs. */
import test from 'ava';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame, HeaderField } from '../../../lib/protocol/frame/types';
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

test('updateSettings({ maxHeaderListSize }) lowers the decoder limit once the peer ACKs', (t) => {
  const ep = answering();
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.read();
  peer.send(ACK);
  ep.session.updateSettings({ maxHeaderListSize: 2000 });
  peer.read();
  const big = req('/', 'GET', [['x-pad', 'p'.repeat(3000)]]);
  // Not ACKed yet: the old limit holds.
  sendBlock(peer, 1, big, true);
  t.is(statusOf(peer, peer.read(), 1), '200');
  peer.send(ACK);
  sendBlock(peer, 3, big, true);
  t.is(statusOf(peer, peer.read(), 3), '431');
  t.false(ep.session.closed);
});

test('updateSettings({ maxHeaderListSize }) can raise the limit above the default', (t) => {
  const ep = answering({ settings: { maxHeaderListSize: 1000 } });
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.read();
  peer.send(ACK);
  const big = req('/', 'GET', [['x-pad', 'p'.repeat(80000)]]);
  sendBlock(peer, 1, big, true);
  t.is(statusOf(peer, peer.read(), 1), '431');
  ep.session.updateSettings({ maxHeaderListSize: 200000 });
  peer.read();
  peer.send(ACK);
  sendBlock(peer, 3, big, true);
  t.is(statusOf(peer, peer.read(), 3), '200');
});
