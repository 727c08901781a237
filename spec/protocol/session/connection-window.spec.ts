/** Session.setConnectionWindowSize: when and how much connection window is granted. */
import test from 'ava';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame, WindowUpdateFrame } from '../../../lib/protocol/frame/types';
import { endpoint, RawPeer, req } from './harness';

function client(opts = {}) {
  const ep = endpoint('client', opts);
  const peer = new RawPeer(ep.session, 'server');
  peer.read();
  peer.preface();
  peer.send({ type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as Frame);
  peer.read();
  return { ep, peer };
}
const connUpdates = (fs: Frame[]) =>
  fs.filter((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 0).map((f) => (f as WindowUpdateFrame).windowSizeIncrement);

test('growing: one WINDOW_UPDATE on stream 0 for the difference, queued when called (after earlier frames)', (t) => {
  const { ep, peer } = client();
  ep.session.sendPriority(3, { exclusive: false, dependsOn: 0, weight: 201 });
  ep.session.setConnectionWindowSize(2 ** 20 - 1);
  const out = peer.read();
  t.deepEqual(
    out.map((f) => f.type),
    [FrameType.PRIORITY, FrameType.WINDOW_UPDATE],
  );
  t.deepEqual(connUpdates(out), [2 ** 20 - 65536]);
  ep.session.setConnectionWindowSize(2 ** 20 - 1);
  t.deepEqual(peer.read(), []);
});

test('shrinking: no frame; the octets the peer may still send are absorbed before WINDOW_UPDATEs resume (nghttp2 recv_reduction)', (t) => {
  const { ep, peer } = client();
  ep.session.setConnectionWindowSize(1023);
  t.deepEqual(peer.read(), []);
  const id = ep.session.request(req(), { endStream: true });
  peer.read();
  peer.headers(id, [[':status', '200']]);
  // The peer keeps within its window: 65535 at first, plus what it is granted.
  let peerWindow = 65535;
  let total = 0;
  let granted = 0;
  let maxAfterFirst = 0;
  for (let i = 0; i < 400; i++) {
    const n = Math.min(500, peerWindow);
    if (n === 0) break;
    peer.data(id, Buffer.alloc(n));
    peerWindow -= n;
    total += n;
    ep.session.consume(id, n);
    for (const inc of connUpdates(peer.read())) {
      granted += inc;
      peerWindow += inc;
    }
    if (granted > 0) maxAfterFirst = Math.max(maxAfterFirst, peerWindow);
  }
  t.false(ep.session.closed);
  // 64512 octets (65535 - 1023) were taken back first; then updates resumed, half a window at a time.
  t.true(total > 65535 + 10000);
  const unreturned = total - 64512 - granted;
  t.true(unreturned >= 0 && unreturned < 512, String(unreturned));
  t.true(maxAfterFirst <= 1023, String(maxAfterFirst));
});

test('out of range values are refused', (t) => {
  const { ep } = client();
  t.throws(() => ep.session.setConnectionWindowSize(2 ** 31));
  t.throws(() => ep.session.setConnectionWindowSize(-1));
});

test('unacknowledgedData: octets received (padding included) and not yet given back, per stream and for the connection, 0 again once the WINDOW_UPDATE is queued', (t) => {
  const { ep, peer } = client();
  const s = ep.session;
  const id = s.request(req(), { endStream: true });
  peer.read();
  peer.headers(id, [[':status', '200']]);
  t.is(s.unacknowledgedData(id), 0);
  // 1000 octets of data + 9 of padding + the pad length octet.
  peer.data(id, Buffer.alloc(1000), false, 9);
  t.is(s.unacknowledgedData(id), 1010);
  t.is(s.unacknowledgedData(0), 1010);
  // Consuming alone does not give octets back: the WINDOW_UPDATE waits for half a window.
  s.consume(id, 1000);
  t.is(s.unacknowledgedData(id), 1010);
  for (let i = 0; i < 3; i++) {
    peer.data(id, Buffer.alloc(10000));
    s.consume(id, 10000);
  }
  t.is(s.unacknowledgedData(id), 31010);
  peer.data(id, Buffer.alloc(2000));
  s.consume(id, 2000);
  t.deepEqual(connUpdates(peer.read()), [33010]);
  t.is(s.unacknowledgedData(id), 0);
  t.is(s.unacknowledgedData(0), 0);
  t.is(s.unacknowledgedData(99), 0, 'a stream that is not open');
});

test('unacknowledgedData(0) after a shrink stays 0 until the octets taken back have arrived (nghttp2 clamps its negative recv window)', (t) => {
  const { ep, peer } = client();
  const s = ep.session;
  s.setConnectionWindowSize(1023);
  const id = s.request(req(), { endStream: true });
  peer.read();
  peer.headers(id, [[':status', '200']]);
  peer.data(id, Buffer.alloc(16000));
  s.consume(id, 16000);
  t.is(s.unacknowledgedData(0), 0);
  t.is(s.unacknowledgedData(id), 16000);
});
