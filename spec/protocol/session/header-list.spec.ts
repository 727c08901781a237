/**
 * A header list over our limit stays a stream-level matter (RFC 9113 section 10.5.1: 431 once the
 * block was decoded, HPACK table in step), however long its fields.
 */
import test from 'ava';
import { FrameType } from '../../../lib/protocol/frame/constants';
import type { RstStreamFrame } from '../../../lib/protocol/frame/types';
import { ErrorCode } from '../../../lib/protocol/errors';
import { answering, RawPeer, req, sendBlock, statusOf } from './harness';

test('a 70 KB header field (longer than any HPACK string cap) gets 431 on its stream; the connection and its HPACK table go on', (t) => {
  const ep = answering();
  const peer = new RawPeer(ep.session, 'client').preface();
  peer.read();
  // Indexed fields before and after: the table must stay in step across the refused block.
  sendBlock(
    peer,
    1,
    req('/', 'GET', [
      ['x-big', 'a'.repeat(70000)],
      ['x-kept', 'v1'],
    ]),
    false,
  );
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
