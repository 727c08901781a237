/**
 * dataToSendParts: the same bytes as dataToSend, with large DATA payloads passed through uncopied
 * (the application's own Buffers) and small pieces coalesced.
 */
import test from 'ava';
import { FRAME_HEADER_LENGTH, FrameType } from '../../../lib/protocol/frame/constants';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import { ApiMisuseError } from '../../../lib/protocol/errors';
import type { DataFrame, Frame, HeadersFrame } from '../../../lib/protocol/frame/types';
import { OutputQueue } from '../../../lib/protocol/session/output-queue';
import { ZERO_COPY_MIN } from '../../../lib/protocol/session/session';
import { endpoint, RawPeer, req } from './harness';

function serverWithBody(body: Buffer): { ep: ReturnType<typeof endpoint>; peer: RawPeer } {
  const ep = endpoint('server', {}, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, body, true);
    }
  });
  const peer = new RawPeer(ep.session, 'client').preface([{ id: 4, value: 1 << 20 }]);
  peer.send({ type: FrameType.WINDOW_UPDATE, flags: 0, streamId: 0, windowSizeIncrement: 1 << 20 } as Frame);
  peer.headers(1, req('/'), true);
  return { ep, peer };
}

test('dataToSendParts: large DATA payloads pass through uncopied, small pieces are coalesced, bytes equal dataToSend', (t) => {
  const body = Buffer.alloc(100 * 1024, 7);
  const a = serverWithBody(body);
  const b = serverWithBody(body);
  const parts = a.ep.session.dataToSendParts()!;
  const whole = b.ep.session.dataToSend()!;
  t.true(Buffer.concat(parts).equals(whole));
  // Every 16 KiB DATA payload is a view of the application's Buffer (same memory), not a copy.
  const views = parts.filter((p) => p.buffer === body.buffer);
  t.true(views.length >= 6, `${views.length} payload views`);
  t.is(
    views.reduce((n, p) => n + p.length, 0),
    body.length,
  );
  // Between two payloads there is exactly one small piece: the next frame header.
  for (const p of parts) if (p.buffer !== body.buffer) t.true(p.length < ZERO_COPY_MIN || p === parts[0]);
  t.is(a.ep.session.dataToSendParts(), null);
});

test('dataToSendParts: a small response is one coalesced Buffer', (t) => {
  const { ep } = serverWithBody(Buffer.alloc(1024, 1));
  const parts = ep.session.dataToSendParts()!;
  t.is(parts.length, 1);
  const frames: Frame[] = [];
  new Deframer({ expectPreface: false }).push(parts[0], (f) => frames.push(f));
  t.deepEqual(
    frames.map((f) => f.type),
    [FrameType.SETTINGS, FrameType.SETTINGS, FrameType.HEADERS, FrameType.DATA],
  );
});

test('a padded DATA frame whose Pad Length octet starts a new slab: the octet lands in the new slab, the handed-out one is untouched', (t) => {
  const body = Buffer.alloc(100, 7);
  const ep = endpoint('server', { padding: { fixed: 6 } }, (ev, s) => {
    if (ev.type === 'requestReceived') {
      s.respond(ev.streamId, [[':status', '200']]);
      s.sendData(ev.streamId, body, true);
    }
  });
  new RawPeer(ep.session, 'client').preface().headers(1, req('/'), true);
  // Fill the shared slab so that exactly one frame header still fits: whatever the slab held
  // before, a 64 KiB copy leaves a full one, then 64 KiB - 9 octets start the next.
  const filler = () => new OutputQueue({ onEvent: () => {}, onWantWrite: undefined, frameEvents: false, maxQueuedControlFrames: 10 });
  const full = filler();
  full.copy(Buffer.alloc(64 * 1024, 0x55));
  full.take();
  const neighbour = filler();
  neighbour.copy(Buffer.alloc(64 * 1024 - FRAME_HEADER_LENGTH, 0xaa));
  const handedOut = neighbour.take()!;
  const frames: Frame[] = [];
  new Deframer({ expectPreface: false }).push(ep.session.dataToSend()!, (f) => frames.push(f));
  const data = frames.filter((f): f is DataFrame => f.type === FrameType.DATA);
  t.is(data.length, 1);
  t.is(data[0].padLength, 5);
  t.true(data[0].data.equals(body));
  t.true(
    handedOut.every((b) => b === 0xaa),
    'octets handed out earlier are never written again',
  );
});

test('a request HEADERS with a priority, framed straight into the output, is octet for octet what the generic encoder writes', (t) => {
  const priorities = [
    { exclusive: false, dependsOn: 0, weight: 16 },
    { exclusive: true, dependsOn: 11, weight: 1 },
    { exclusive: false, dependsOn: 0x7fffffff, weight: 256 },
    { exclusive: true, dependsOn: 0x12345678, weight: 201 },
  ];
  // frameEvents: the generic path (a frame object for the event, encodeFrame for the bytes).
  const wire = (frameEvents: boolean) => {
    const { session } = endpoint('client', { frameEvents });
    for (const [i, priority] of priorities.entries()) session.request(req(`/${i}`), { endStream: i % 2 === 0, priority });
    return session.dataToSend()!;
  };
  const fast = wire(false);
  t.true(fast.equals(wire(true)));
  const frames: Frame[] = [];
  new Deframer({ expectPreface: true }).push(fast, (f) => frames.push(f));
  t.deepEqual(
    frames.filter((f) => f.type === FrameType.HEADERS).map((f) => (f as HeadersFrame).priority),
    priorities,
  );
});

test('a request priority the HEADERS fields cannot carry is still refused', (t) => {
  for (const priority of [
    { exclusive: false, dependsOn: 0, weight: 0 },
    { exclusive: false, dependsOn: 0, weight: 257 },
    { exclusive: false, dependsOn: 1.5, weight: 16 },
  ]) {
    const { session } = endpoint('client');
    t.throws(() => session.request(req('/'), { endStream: true, priority }), { instanceOf: ApiMisuseError });
  }
});
