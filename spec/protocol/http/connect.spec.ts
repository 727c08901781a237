/** RFC 8441 / RFC 9113 section 8.5 rules for CONNECT requests we send (lib/protocol/http/connect.ts). */
import test from 'ava';
import type { HeaderField } from '../../../lib/protocol/frame/types';
import {
  checkConnectSettingChange,
  checkOutgoingConnect,
  isConnectRequest,
  opensTunnel,
  pseudoHeadersFirst,
} from '../../../lib/protocol/http/connect';

const ext: HeaderField[] = [
  [':method', 'CONNECT'],
  [':protocol', 'websocket'],
  [':scheme', 'https'],
  [':authority', 'h'],
  [':path', '/chat'],
];

test('extended CONNECT needs the server setting, CONNECT, :scheme, :path and :authority', (t) => {
  t.is(checkOutgoingConnect(ext, true), null);
  t.regex(checkOutgoingConnect(ext, false)!, /SETTINGS_ENABLE_CONNECT_PROTOCOL/);
  t.regex(checkOutgoingConnect([[':method', 'GET'], ...ext.slice(1)], true)!, /only CONNECT/);
  t.regex(
    checkOutgoingConnect(
      ext.filter(([n]) => n !== ':path'),
      true,
    )!,
    /:scheme and :path/,
  );
  t.regex(
    checkOutgoingConnect(
      ext.filter(([n]) => n !== ':scheme'),
      true,
    )!,
    /:scheme and :path/,
  );
  t.regex(
    checkOutgoingConnect(
      ext.filter(([n]) => n !== ':authority'),
      true,
    )!,
    /:authority/,
  );
  t.regex(checkOutgoingConnect([[':method', 'CONNECT'], [':protocol', ''], ...ext.slice(2)], true)!, /empty/);
});

test('plain CONNECT omits :scheme and :path and names an authority; other requests pass', (t) => {
  t.is(
    checkOutgoingConnect(
      [
        [':method', 'CONNECT'],
        [':authority', 'example.org:443'],
      ],
      false,
    ),
    null,
  );
  t.regex(
    checkOutgoingConnect(
      [
        [':method', 'CONNECT'],
        [':authority', 'h:1'],
        [':path', '/'],
      ],
      true,
    )!,
    /omit/,
  );
  t.regex(checkOutgoingConnect([[':method', 'CONNECT']], true)!, /:authority/);
  t.is(
    checkOutgoingConnect(
      [
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/'],
        [':authority', 'h'],
      ],
      false,
    ),
    null,
  );
  t.true(isConnectRequest(ext));
  t.false(isConnectRequest([[':method', 'GET']]));
});

test('SETTINGS_ENABLE_CONNECT_PROTOCOL may not go from 1 to 0; 2xx to CONNECT opens a tunnel', (t) => {
  t.is(checkConnectSettingChange(false, false), null);
  t.is(checkConnectSettingChange(false, true), null);
  t.is(checkConnectSettingChange(true, true), null);
  t.is(checkConnectSettingChange(true, undefined), null);
  t.regex(checkConnectSettingChange(true, false)!, /1 back to 0/);
  t.true(opensTunnel(true, 200));
  t.false(opensTunnel(true, 403));
  t.false(opensTunnel(false, 200));
});

test('pseudoHeadersFirst keeps each group in order', (t) => {
  t.deepEqual(
    pseudoHeadersFirst([
      [':method', 'CONNECT'],
      ['accept', '*/*'],
      [':protocol', 'websocket'],
      ['x', 'y'],
    ] as [string, string][]),
    [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      ['accept', '*/*'],
      ['x', 'y'],
    ],
  );
});

test('a session that sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 refuses to send 0 (RFC 8441 section 3)', (t) => {
  const { Session } = require('../../../lib/protocol/session/session') as typeof import('../../../lib/protocol/session/session');
  const s = new Session({ role: 'server', onEvent: () => undefined, settings: { enableConnectProtocol: true } });
  t.throws(() => s.updateSettings({ enableConnectProtocol: false }), { name: 'ApiMisuseError', message: /1 back to 0/ });
  t.notThrows(() => s.updateSettings({ enableConnectProtocol: true }));
  const off = new Session({ role: 'server', onEvent: () => undefined });
  t.notThrows(() => off.updateSettings({ enableConnectProtocol: false }));
});

test('a client whose server sends SETTINGS_ENABLE_CONNECT_PROTOCOL 1 then 0 ends the connection with PROTOCOL_ERROR (RFC 8441 section 3)', (t) => {
  const { endpoint, RawPeer } = require('../session/harness') as typeof import('../session/harness');
  const { FrameType } = require('../../../lib/protocol/frame/constants') as typeof import('../../../lib/protocol/frame/constants');
  const ENABLE_CONNECT_PROTOCOL = 0x8;
  const client = endpoint('client');
  const peer = new RawPeer(client.session, 'server').preface([{ id: ENABLE_CONNECT_PROTOCOL, value: 1 }]);
  t.true(client.session.remoteSettings.enableConnectProtocol);
  t.falsy(peer.read().find((f) => f.type === FrameType.GOAWAY));
  peer.send({ type: FrameType.SETTINGS, flags: 0, streamId: 0, settings: [{ id: ENABLE_CONNECT_PROTOCOL, value: 0 }] } as never);
  const goaway = peer.read().find((f) => f.type === FrameType.GOAWAY) as { errorCode: number } | undefined;
  t.is(goaway?.errorCode, 1);
});
