/** Our first SETTINGS lists the entries in the caller's order (nghttp2's tools each have their own). */
import test from 'ava';
import { FrameType } from '../../../lib/protocol/frame/constants';
import { Deframer } from '../../../lib/protocol/frame/deframer';
import type { Frame, SettingsFrame } from '../../../lib/protocol/frame/types';
import { Session } from '../../../lib/protocol/session/session';

function firstSettings(s: Session): SettingsFrame {
  const frames: Frame[] = [];
  const bytes = s.dataToSend()!;
  new Deframer({ expectPreface: s.role === 'client' }).push(bytes, (f) => frames.push(f));
  return frames.find((f) => f.type === FrameType.SETTINGS) as SettingsFrame;
}

test('our first SETTINGS keeps the order the caller gave (nghttp: MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, ...)', (t) => {
  const c = new Session({
    role: 'client',
    onEvent: () => undefined,
    settings: { maxConcurrentStreams: 100, initialWindowSize: 65535, headerTableSize: 8192 },
  });
  t.deepEqual(
    firstSettings(c).settings.map((e) => [e.id, e.value]),
    [
      [3, 100],
      [4, 65535],
      [1, 8192],
    ],
  );
  // The h2c HTTP2-Settings payload carries the same entries as the frame, in the same order.
  const p = c.settingsPayload();
  t.deepEqual([p.readUInt16BE(0), p.readUInt16BE(6), p.readUInt16BE(12)], [3, 4, 1]);
  t.is(p.readUInt32BE(8), 65535);
  const s = new Session({ role: 'server', onEvent: () => undefined, settings: { initialWindowSize: 1023, maxConcurrentStreams: 100 } });
  t.deepEqual(
    firstSettings(s).settings.map((e) => e.id),
    [4, 3],
  );
  // Defaults not named by the caller follow, by id (a server's MAX_CONCURRENT_STREAMS from limits).
  const d = new Session({ role: 'server', onEvent: () => undefined, settings: { initialWindowSize: 1023 } });
  t.deepEqual(
    firstSettings(d).settings.map((e) => e.id),
    [4, 3],
  );
});
