/** Every command that queues bytes signals onWantWrite, so the transport needs no flush of its own. */
import test from 'ava';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame } from '../../../lib/protocol/frame/types';
import { Session } from '../../../lib/protocol/session/session';
import { endpoint, pump, RawPeer, req } from './harness';

test('request() signals onWantWrite (and not while it waits for a concurrency slot)', (t) => {
  let wants = 0;
  const c = new Session({ role: 'client', onEvent: () => undefined, onWantWrite: () => wants++ });
  const s = endpoint('server', { settings: { maxConcurrentStreams: 1 } });
  pump(c, s.session);
  wants = 0;
  c.request(req('/'), { endStream: true });
  t.is(wants, 1);
  t.truthy(c.dataToSend());
  // The second request waits for the slot: nothing queued, no signal.
  c.request(req('/2'), { endStream: true });
  t.is(wants, 1);
});

test('a request waiting for a concurrency slot signals onWantWrite when the slot frees', (t) => {
  let wants = 0;
  const c = new Session({ role: 'client', onEvent: () => undefined, onWantWrite: () => wants++ });
  const peer = new RawPeer(c, 'server');
  peer.read();
  peer.preface([{ id: 3, value: 1 }]); // the server allows one stream at a time
  peer.read();
  c.request(req('/1'), { endStream: true });
  c.request(req('/2'), { endStream: true });
  t.deepEqual(
    peer
      .read()
      .filter((f) => f.type === FrameType.HEADERS)
      .map((f) => f.streamId),
    [1],
  );
  wants = 0;
  // Stream 1 closes: stream 3's HEADERS are queued now, and the transport must hear of it.
  peer.headers(1, [[':status', '204']], true);
  t.is(wants, 1);
  t.deepEqual(
    peer
      .read()
      .filter((f) => f.type === FrameType.HEADERS)
      .map((f) => f.streamId),
    [3],
  );
});

test('the final GOAWAY of a graceful shutdown signals onWantWrite when the PING ACK arrives', (t) => {
  let wants = 0;
  const server = new Session({ role: 'server', onEvent: () => undefined, onWantWrite: () => wants++ });
  const peer = new RawPeer(server, 'client').preface();
  // A request in flight: the final GOAWAY does not end the session, so nothing else signals.
  peer.headers(1, req('/'), true);
  peer.read();
  server.goaway();
  const first = peer.read();
  const ping = first.find((f) => f.type === FrameType.PING) as Frame & { opaqueData: Buffer };
  t.truthy(ping);
  wants = 0;
  peer.send({ type: FrameType.PING, flags: Flag.ACK, streamId: 0, opaqueData: ping.opaqueData } as Frame);
  t.is(wants, 1);
  const out = peer.read();
  t.deepEqual(
    out.map((f) => f.type),
    [FrameType.GOAWAY],
  );
  t.false(server.closed);
  server.respond(1, [[':status', '204']], { endStream: true });
  t.true(server.closed);
});
