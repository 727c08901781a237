import test from 'ava';
import { ErrorCode } from '../../../lib/protocol/errors';
import { Flag, FrameType } from '../../../lib/protocol/frame/constants';
import type { Frame } from '../../../lib/protocol/frame/types';
import type { ResponseCounter } from '../../../lib/protocol/session/session';
import { endpoint, RawPeer, req } from './harness';

// SessionOptions.responseCounter (h2load's lean receive path): the counter is told what a
// response carried instead of the responseReceived / dataReceived / streamEnded events.

function counting() {
  const calls: (string | number)[][] = [];
  const counter: ResponseCounter = {
    response: (id, status, blockLength, fieldOctets) => calls.push(['response', id, status, blockLength, fieldOctets]),
    data: (id, length) => calls.push(['data', id, length]),
  };
  const ep = endpoint('client', { responseCounter: counter });
  const peer = new RawPeer(ep.session, 'server');
  peer.read();
  peer.preface();
  peer.send({ type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as Frame);
  peer.read();
  return { ...ep, peer, calls };
}

test('a counted response: status, block and field octets, body lengths; only streamClosed as an event', (t) => {
  const c = counting();
  const id = c.session.request(req('/'), { endStream: true });
  c.peer.read();
  const fields: [string, string][] = [
    [':status', '200'],
    ['content-length', '5'],
    ['server', 'x'],
  ];
  const before = c.app().length;
  const block = c.peer.enc.encode(fields);
  c.peer.send({ type: FrameType.HEADERS, flags: Flag.END_HEADERS, streamId: id, fragment: block } as Frame);
  c.peer.data(id, 'ab');
  c.peer.data(id, 'cde', true);
  t.deepEqual(c.calls, [
    ['response', id, 200, block.length, ':status'.length + 3 + 'content-length'.length + 1 + 'server'.length + 1],
    ['data', id, 2],
    ['data', id, 3],
  ]);
  t.deepEqual(
    c
      .app()
      .slice(before)
      .map((e) => e.type),
    ['streamClosed'],
  );
  t.is(c.session.unacknowledgedData(0), 5, 'counted octets are consumed: they wait only for the WINDOW_UPDATE batch');
});

test('a malformed counted response is still reset, and never counted', (t) => {
  const c = counting();
  const id = c.session.request(req('/'), { endStream: true });
  c.peer.read();
  c.peer.headers(id, [
    [':status', '200'],
    ['content-length', '4'],
  ]);
  c.peer.data(id, 'too long', true);
  const rst = c.peer.read().filter((f) => f.type === FrameType.RST_STREAM) as { streamId: number; errorCode: number }[];
  t.deepEqual(
    rst.map((f) => [f.streamId, f.errorCode]),
    [[id, ErrorCode.PROTOCOL_ERROR]],
  );
  t.deepEqual(
    c.calls.map((x) => x[0]),
    ['response'],
  );
  const id2 = c.session.request(req('/'), { endStream: true });
  c.peer.read();
  c.peer.headers(id2, [[':status', 'abc']], true);
  t.is(c.calls.length, 1, 'a malformed header block is not counted');
});
