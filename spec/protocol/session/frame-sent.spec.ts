/**
 * frameSent fires when a frame's bytes are handed out by dataToSend (when nghttp2 prints `send`),
 * in wire order; nothing is emitted inside the constructor.
 */
import test from 'ava';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import type { Frame } from '../../../lib/protocol/frame/types';
import { Session } from '../../../lib/protocol/session/session';
import type { SessionEvent } from '../../../lib/protocol/session/types';
import { RawPeer, req } from './harness';

test('frameSent fires when dataToSend hands the bytes out, in wire order; nothing fires in the constructor', (t) => {
  const events: SessionEvent[] = [];
  const server = new Session({ role: 'server', onEvent: (ev) => events.push(ev) });
  t.deepEqual(events, []);
  const peer = new RawPeer(server, 'client').preface();
  // Received frames are reported at once; the SETTINGS ACK (queued) and our SETTINGS wait.
  t.deepEqual(
    events.filter((e) => e.type === 'frameSent'),
    [],
  );
  const bytes = server.dataToSend()!;
  const wire: Frame[] = [];
  new Deframer({ expectPreface: false }).push(bytes, (f) => wire.push(f));
  const sent = events.filter((e) => e.type === 'frameSent').map((e) => (e as { frame: Frame }).frame);
  t.deepEqual(
    sent.map((f) => [f.type, f.flags]),
    wire.map((f) => [f.type, f.flags]),
  );
  t.is(sent[0].type, FrameType.SETTINGS);
  t.is(sent[0].flags & Flag.ACK, 0);
  // A command's frames too: reported at hand-out, not when queued.
  events.length = 0;
  server.ping(Buffer.alloc(8));
  t.deepEqual(events, []);
  server.dataToSend();
  t.deepEqual(
    events.map((e) => e.type),
    ['frameSent'],
  );
  void peer;
});

test('frameSent of an END_STREAM DATA frame comes before its streamClosed', (t) => {
  const events: SessionEvent[] = [];
  const s2 = new Session({ role: 'server', onEvent: (ev) => events.push(ev) });
  const p2 = new RawPeer(s2, 'client').preface();
  p2.headers(1, req('/'), true);
  s2.respond(1, [[':status', '200']]);
  s2.sendData(1, Buffer.from('hi'), true);
  s2.dataToSend();
  const order = events
    .filter((e) => e.type === 'frameSent' || e.type === 'streamClosed')
    .map((e) => (e.type === 'frameSent' ? FrameType[(e as { frame: Frame }).frame.type] : 'closed'));
  t.deepEqual(order.slice(-3), ['HEADERS', 'DATA', 'closed']);
});
