import test from 'ava';
import { backendRequestFields, frontendResponseFields } from '../../../lib/apps/nghttpx/headers';
import type { FrontendProtocol, ProxyRequest } from '../../../lib/apps/nghttpx/request';
import { defaultOptions } from '../../../lib/apps/nghttpx/options';
import { compileFormat, formatAccessLine, formatErrorLine, timeLocal, AccessRecord } from '../../../lib/apps/nghttpx/log';

const req = (fields: [string, string][], protocol: FrontendProtocol = 'h2'): ProxyRequest => ({
  method: 'GET',
  scheme: 'http',
  authority: 'a:1',
  path: '/',
  fields,
  body: undefined,
  remoteAddress: '127.0.0.1',
  remotePort: 1,
  serverPort: 2,
  protocol,
  alpn: 'h2c',
  tls: false,
  frontendIndex: 0,
});

test('request: hop-by-hop dropped, te only as trailers, x-forwarded-proto replaced, via appended (observed of Debian nghttpx)', (t) => {
  const o = defaultOptions();
  t.deepEqual(
    backendRequestFields(
      req([
        ['host', 'a:1'],
        ['connection', 'keep-alive'],
        ['keep-alive', '5'],
        ['te', 'gzip'],
        ['x-forwarded-proto', 'ftp'],
        ['x-forwarded-for', '1.2.3.4'],
        ['via', '1.0 x'],
        ['accept', '*/*'],
      ]),
      o,
    ),
    [
      ['x-forwarded-for', '1.2.3.4'],
      ['accept', '*/*'],
      ['x-forwarded-proto', 'http'],
      ['via', '1.0 x, 2 nghttpx'],
    ],
  );
  t.deepEqual(backendRequestFields(req([['te', 'trailers']], 'http/1.1'), o), [
    ['te', 'trailers'],
    ['x-forwarded-proto', 'http'],
    ['via', '1.1 nghttpx'],
  ]);
});

test('request: --add-x-forwarded-for appends, --strip-incoming-x-forwarded-for drops the incoming value, --no-via, --no-add-x-forwarded-proto, --add-request-header', (t) => {
  const o = { ...defaultOptions(), addXForwardedFor: true };
  t.deepEqual(backendRequestFields(req([['x-forwarded-for', '1.2.3.4']]), o), [
    ['x-forwarded-for', '1.2.3.4, 127.0.0.1'],
    ['x-forwarded-proto', 'http'],
    ['via', '2 nghttpx'],
  ]);
  const s = {
    ...o,
    stripIncomingXForwardedFor: true,
    noVia: true,
    noAddXForwardedProto: true,
    addRequestHeaders: [['x-a', 'b']] as [string, string][],
  };
  t.deepEqual(
    backendRequestFields(
      req([
        ['x-forwarded-for', '1.2.3.4'],
        ['via', 'v'],
      ]),
      s,
    ),
    [
      ['x-forwarded-for', '127.0.0.1'],
      ['via', 'v'],
      ['x-a', 'b'],
    ],
  );
});

test('response: server replaced unless --no-server-rewrite, via by backend protocol, hop-by-hop dropped', (t) => {
  const o = defaultOptions();
  const fields: [string, string][] = [
    ['content-length', '3'],
    ['server', 'x'],
    ['connection', 'keep-alive'],
    ['transfer-encoding', 'chunked'],
  ];
  t.deepEqual(frontendResponseFields(fields, 'http/1.1', o), [
    ['content-length', '3'],
    ['server', 'nghttpx'],
    ['via', '1.1 nghttpx'],
  ]);
  t.deepEqual(frontendResponseFields(fields, 'h2', { ...o, noServerRewrite: true, addResponseHeaders: [['x-r', '1']] }), [
    ['content-length', '3'],
    ['server', 'x'],
    ['via', '2 nghttpx'],
    ['x-r', '1'],
  ]);
  t.deepEqual(frontendResponseFields([['via', '1.1 up']], 'h2', { ...o, serverName: 'me' }), [
    ['server', 'me'],
    ['via', '1.1 up, 2 nghttpx'],
  ]);
});

const rec: AccessRecord = {
  remoteAddress: '127.0.0.1',
  remotePort: 5555,
  serverPort: 3000,
  start: Date.UTC(2026, 10, 24, 21, 52, 39),
  end: Date.UTC(2026, 10, 24, 21, 52, 39) + 1234,
  method: 'GET',
  path: '/1k?a=b',
  protocolVersion: 'HTTP/2',
  status: 200,
  bodyBytesSent: 1024,
  requestFields: [
    ['user-agent', 'nghttp2/1.52.0'],
    ['x-multi', 'a'],
    ['x-multi', 'b'],
  ],
  alpn: 'h2c',
  backendHost: '127.0.0.1',
  backendPort: 80,
  pid: 42,
};

test('access log: the default combined format as the reference sample prints it', (t) => {
  const line = formatAccessLine(compileFormat(defaultOptions().accesslogFormat), rec);
  t.is(line, `127.0.0.1 - - [${timeLocal(rec.start)}] "GET /1k?a=b HTTP/2" 200 1024 "-" "nghttp2/1.52.0"`);
  t.regex(timeLocal(rec.start), /^\d\d\/Nov\/2026:\d\d:\d\d:39 [+-]\d{4}$/);
});

test('access log: every variable, ${var} form, unknown ones print -', (t) => {
  const f = compileFormat(
    '$remote_port $server_port $method $path $path_without_query $protocol_version $status $body_bytes_sent $alpn $backend_host:$backend_port $request_time $pid ${http_x_multi}|$http_referer|$tls_protocol',
  );
  t.is(formatAccessLine(f, rec), '5555 3000 GET /1k?a=b /1k HTTP/2 200 1024 h2c 127.0.0.1:80 1.234 42 a, b|-|-');
  t.is(formatAccessLine(compileFormat('$backend_host:$backend_port'), { ...rec, backendHost: undefined, backendPort: undefined }), '-:-');
});

test('error log line format', (t) => {
  t.is(
    formatErrorLine(Date.UTC(2026, 10, 24, 21, 52, 38, 955), 1, 2, '20f6dd3a', 'NOTICE', 'shrpx.cc:1012', 'Listening on 127.0.0.1:3000'),
    '2026-11-24T21:52:38.955Z 1 2 20f6dd3a NOTICE (shrpx.cc:1012) Listening on 127.0.0.1:3000',
  );
});
