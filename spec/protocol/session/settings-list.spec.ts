/** SessionOptions.settingsList: the first SETTINGS as ordered entries, ids possibly repeated. */
import test from 'ava';
import { Flag, FrameType, Setting } from '../../../lib/protocol/frame/constants';
import type { Frame, SettingsFrame } from '../../../lib/protocol/frame/types';
import { ErrorCode } from '../../../lib/protocol/errors';
import { endpoint, RawPeer, req } from './harness';

const LIST = [
  { id: Setting.MAX_CONCURRENT_STREAMS, value: 100 },
  { id: Setting.HEADER_TABLE_SIZE, value: 0 },
  { id: Setting.HEADER_TABLE_SIZE, value: 4096 },
];

/** A client that sent LIST, got the server's SETTINGS and an ACK, and has request 1 open. */
function started() {
  const ep = endpoint('client', { settingsList: LIST });
  const peer = new RawPeer(ep.session, 'server');
  const first = peer.read().find((f) => f.type === FrameType.SETTINGS) as SettingsFrame;
  peer.preface();
  peer.send({ type: FrameType.SETTINGS, flags: Flag.ACK, streamId: 0, settings: [] } as Frame);
  ep.session.request(req(), { endStream: true });
  peer.read();
  return { ep, peer, first };
}

const respond = (peer: RawPeer, block: number[]) =>
  peer.send({ type: FrameType.HEADERS, flags: Flag.END_HEADERS | Flag.END_STREAM, streamId: 1, fragment: Buffer.from(block) } as Frame);
const terminated = (ep: ReturnType<typeof started>['ep']) =>
  ep.events.find((e) => e.type === 'connectionTerminated') as { errorCode: number } | undefined;

test('settingsList: sent exactly as listed, in one SETTINGS frame, repeated ids included', (t) => {
  const { first, ep } = started();
  t.deepEqual(first.settings, LIST);
  t.is(ep.session.localSettings.headerTableSize, 4096);
});

test('RFC 7541 4.2: after 0 then 4096 in one frame, a response opening with updates to 0 then 4096 decodes', (t) => {
  const { ep, peer } = started();
  // size update 0 (0x20), size update 4096 (0x3f 0xe1 0x1f), :status 200 (static index 8)
  respond(peer, [0x20, 0x3f, 0xe1, 0x1f, 0x88]);
  t.truthy(ep.events.find((e) => e.type === 'responseReceived'));
  t.is(terminated(ep), undefined);
});

test('RFC 7541 4.2: a response without a table size update after the change is a COMPRESSION_ERROR', (t) => {
  const { ep, peer } = started();
  respond(peer, [0x88]);
  t.is(terminated(ep)?.errorCode, ErrorCode.COMPRESSION_ERROR);
});

test('RFC 7541 4.2: a response opening with an update to 4096 alone (hiding the shrink to 0) is a COMPRESSION_ERROR', (t) => {
  const { ep, peer } = started();
  respond(peer, [0x3f, 0xe1, 0x1f, 0x88]);
  t.is(terminated(ep)?.errorCode, ErrorCode.COMPRESSION_ERROR);
});

test('settingsList: invalid entries and mixing with settings are refused', (t) => {
  t.throws(() => endpoint('client', { settingsList: [{ id: Setting.INITIAL_WINDOW_SIZE, value: 2 ** 31 }] }));
  t.throws(() => endpoint('client', { settingsList: [{ id: Setting.ENABLE_PUSH, value: 2 }] }));
  t.throws(() => endpoint('client', { settingsList: [], settings: { enablePush: false } }));
});
