/** updateSettings({ maxHeaderListSize }) changes what the decoder accepts, once the peer ACKs. */
import test from 'ava';
import { ACK, answering, RawPeer, req, sendBlock, statusOf } from './harness';

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
