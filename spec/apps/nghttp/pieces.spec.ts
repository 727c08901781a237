import test from 'ava';
import { buildRequestHeaders, buildTrailers, userAgent } from '../../../lib/apps/nghttp/headers';
import { parseHeaderArg } from '../../../lib/apps/common/headers';
import { anchorPriorities, resourcePriority, uriPriority } from '../../../lib/apps/nghttp/priority';
import { findAssets, AssetParser } from '../../../lib/apps/nghttp/assets';
import { formatDuration, formatSizeUnit, formatStats } from '../../../lib/apps/nghttp/stats';
import {
  buildUpgradeRequest,
  http2SettingsToken,
  initialSettings,
  parseUpgradeResponse,
  upgradeAccepted,
  UpgradeResponseError,
  connectionWindow,
} from '../../../lib/apps/nghttp/settings';
import { parseTargetUri, groupByOrigin } from '../../../lib/apps/nghttp/uri';
import { PlanQueue } from '../../../lib/apps/nghttp/plan-queue';
import { planRequests, planRuns } from '../../../lib/apps/nghttp/plan';
import { Setting } from '../../../lib/protocol/frame/constants';
import type { RequestRecord } from '../../../lib/apps/nghttp/records';

const base = { scheme: 'http' as const, authority: '127.0.0.1:47180', path: '/', headers: [], trailers: [] };

test('default request header list, in the reference order', (t) => {
  const b = buildRequestHeaders(base);
  t.deepEqual(
    b.fields.map(([n, v]) => `${n}: ${v}`),
    [
      ':method: GET',
      ':path: /',
      ':scheme: http',
      ':authority: 127.0.0.1:47180',
      'accept: */*',
      'accept-encoding: gzip, deflate',
      `user-agent: ${userAgent()}`,
    ],
  );
  t.regex(userAgent(), /^nghttp2-ts\/\d+\.\d+\.\d+/);
  t.is(b.method, 'GET');
});

test('-H replaces defaults in place (pseudo-headers too) and appends the rest', (t) => {
  const b = buildRequestHeaders({
    ...base,
    headers: [
      parseHeaderArg(':method: PUT'),
      parseHeaderArg('User-Agent: foo'),
      parseHeaderArg('host: example.org'),
      parseHeaderArg('x-a: 1'),
      parseHeaderArg(':authority: auth.example'),
      parseHeaderArg('accept:   text/*'),
    ],
  });
  t.deepEqual(
    b.fields.map(([n, v]) => `${n}: ${v}`),
    [
      ':method: PUT',
      ':path: /',
      ':scheme: http',
      ':authority: auth.example',
      'accept: text/*',
      'accept-encoding: gzip, deflate',
      'user-agent: foo',
      'host: example.org',
      'x-a: 1',
    ],
  );
  t.is(b.method, 'PUT');
});

test('a body brings POST and content-length; trailer names come last; --no-content-length; expect', (t) => {
  const b = buildRequestHeaders({
    ...base,
    path: '/1k',
    bodyLength: 15,
    trailers: [
      ['x-cli-trailer', 'yes'],
      ['b', '2'],
    ],
    headers: [['x-z', '9']],
  });
  t.deepEqual(
    b.fields.slice(7).map(([n, v]) => `${n}: ${v}`),
    ['content-length: 15', 'x-z: 9', 'trailer: x-cli-trailer, b'],
  );
  t.is(b.method, 'POST');
  t.is(b.recorded.length, b.fields.length - 1);
  t.deepEqual(buildTrailers([['x-cli-trailer', 'yes']]), [['x-cli-trailer', 'yes']]);
  const n = buildRequestHeaders({ ...base, bodyLength: 3, noContentLength: true, expectContinue: true });
  t.deepEqual(n.fields.slice(7), [['expect', '100-continue']]);
  t.true(n.expectContinue);
});

test('--continuation adds six 4 KiB fields right after the defaults', (t) => {
  const b = buildRequestHeaders({ ...base, continuation: true });
  t.is(b.fields.length, 13);
  t.is(b.fields[7][0], 'continuation-test-1');
  t.is(b.fields[12][1].length, 4096);
});

test('header values are sent as UTF-8 octets', (t) => {
  const b = buildRequestHeaders({ ...base, headers: [['x-u', 'é']] });
  t.is(b.fields[7][1], '\xc3\xa9');
});

test('anchor streams and priorities', (t) => {
  t.deepEqual(
    anchorPriorities(false).map((a) => [a.streamId, a.priority.dependsOn, a.priority.weight]),
    [
      [3, 0, 201],
      [5, 0, 101],
      [7, 0, 1],
      [9, 7, 1],
      [11, 3, 1],
    ],
  );
  t.deepEqual(anchorPriorities(true), []);
  t.deepEqual(uriPriority(16, false), { exclusive: false, dependsOn: 11, weight: 16 });
  t.deepEqual(uriPriority(7, true), { exclusive: false, dependsOn: 0, weight: 7 });
  t.deepEqual(resourcePriority('css', false), { exclusive: false, dependsOn: 3, weight: 32 });
  t.deepEqual(resourcePriority('js', false), { exclusive: false, dependsOn: 3, weight: 32 });
  t.deepEqual(resourcePriority('unblocked-js', false), { exclusive: false, dependsOn: 5, weight: 32 });
  t.deepEqual(resourcePriority('img', false), { exclusive: false, dependsOn: 11, weight: 12 });
  t.deepEqual(resourcePriority('other', false), { exclusive: false, dependsOn: 11, weight: 32 });
});

test('assets: same-origin css, js, icons and images in document order, fragments dropped', (t) => {
  const html = `<html><head><link rel="stylesheet" href="/style.css"><script src="app.js"></script>
    <link rel="shortcut icon" href="/fav.ico"><LINK REL="StyleSheet" HREF="b.css"><link rel="preload" href="/no.css"></head>
    <body><img src="/1k"><script src="/late.js#frag"></script><img src="http://example.com/x.png">
    <img src="//127.0.0.1:47180/same.png"><img src="https://127.0.0.1:47180/tls.png"><img src="http://127.0.0.1:80/p.png">
    <script>inline()</script><img alt="nosrc"></body></html>`;
  const links = findAssets(html, 'http://127.0.0.1:47180/dir/index.html');
  t.deepEqual(links, [
    { uri: 'http://127.0.0.1:47180/style.css', type: 'css' },
    { uri: 'http://127.0.0.1:47180/dir/app.js', type: 'js' },
    { uri: 'http://127.0.0.1:47180/fav.ico', type: 'other' },
    { uri: 'http://127.0.0.1:47180/dir/b.css', type: 'css' },
    { uri: 'http://127.0.0.1:47180/1k', type: 'img' },
    { uri: 'http://127.0.0.1:47180/late.js', type: 'unblocked-js' },
    { uri: 'http://127.0.0.1:47180/same.png', type: 'img' },
  ]);
});

test('assets: the parser takes the page in arbitrary chunks, even split inside a tag or a UTF-8 sequence', (t) => {
  const html = Buffer.from('<head><link rel="stylesheet" href="/é.css"></head><body><img src="/a.png"></body>');
  const whole = findAssets(html, 'http://h/');
  for (let cut = 1; cut < html.length; cut++) {
    const p = new AssetParser('http://h/');
    p.write(html.subarray(0, cut));
    p.write(html.subarray(cut));
    p.end();
    t.deepEqual(p.takeLinks(), whole);
  }
  t.is(whole[0].uri, 'http://h/%C3%A9.css');
});

test('stat formatting helpers match the reference', (t) => {
  t.is(formatDuration(240), '240us');
  t.is(formatDuration(1390), '1.39ms');
  t.is(formatDuration(2_000_000), '2.00s');
  t.is(formatSizeUnit(971), '971');
  t.is(formatSizeUnit(1024), '1K');
  t.is(formatSizeUnit(1536), '1K');
  t.is(formatSizeUnit(3 * 1024 * 1024), '3M');
});

function rec(p: Partial<RequestRecord>): RequestRecord {
  return {
    streamId: 13,
    uri: 'http://h/',
    path: '/',
    method: 'GET',
    pushed: false,
    requestHeaders: [],
    responseHeaders: [],
    status: 200,
    responseLength: 0,
    completed: true,
    ...p,
  };
}

test('stat table: layout, push marker, sorted by completion, unfinished rows left out', (t) => {
  const timing = { startWallMs: 0, start: 0, dnsEnd: 0, connectEnd: 1000 };
  const out = formatStats(timing, [
    rec({ streamId: 13, requestStart: 1093, responseEnd: 1333, responseLength: 971 }),
    rec({ streamId: 4, pushed: true, path: '/app.js', requestStart: 1283, responseEnd: 1342, responseLength: 15 }),
    rec({ streamId: 2, pushed: true, path: '/style.css', requestStart: 1266, responseEnd: 1335, responseLength: 17 }),
    rec({ streamId: 15, completed: false, requestStart: 1300 }),
  ]);
  const lines = out.split('\n');
  t.is(lines[0], '***** Statistics *****');
  const tail = lines.slice(lines.indexOf('id  responseEnd requestStart  process code size request path'));
  t.deepEqual(tail, [
    'id  responseEnd requestStart  process code size request path',
    ' 13      +333us        +93us    240us  200  971 /',
    '  2      +335us *     +266us     69us  200   17 /style.css',
    '  4      +342us *     +283us     59us  200   15 /app.js',
    '',
  ]);
});

test('initial SETTINGS in the reference order; -c twice announces the smaller first', (t) => {
  const o = { maxConcurrentStreams: 100, windowBits: 16, headerTableSizes: [] as number[], noPush: false, noRfc7540Pri: false };
  t.deepEqual(initialSettings(o), [
    { id: Setting.MAX_CONCURRENT_STREAMS, value: 100 },
    { id: Setting.INITIAL_WINDOW_SIZE, value: 65535 },
  ]);
  t.is(http2SettingsToken(initialSettings(o)), 'AAMAAABkAAQAAP__');
  const all = initialSettings({
    maxConcurrentStreams: 7,
    windowBits: 10,
    headerTableSizes: [4096, 100, 200],
    noPush: true,
    noRfc7540Pri: true,
  });
  t.deepEqual(
    all.map((e) => [e.id, e.value]),
    [
      [3, 7],
      [4, 1023],
      [1, 100],
      [1, 200],
      [2, 0],
      [9, 1],
    ],
  );
  t.deepEqual(initialSettings({ ...o, headerTableSizes: [0] }).slice(2), [{ id: 1, value: 0 }]);
  t.deepEqual(initialSettings({ ...o, headerTableSizes: [100, 4096, 50] }).slice(2), [{ id: 1, value: 50 }]);
  t.is(connectionWindow({ connectionWindowBits: 18 }), 262143);
  t.is(connectionWindow({}), undefined);
});

test('Upgrade request as the reference writes it (GET, or OPTIONS * with a body)', (t) => {
  const settings = [
    { id: 3, value: 100 },
    { id: 4, value: 65535 },
  ];
  const r = buildUpgradeRequest({
    authority: '127.0.0.1:47190',
    path: '/',
    withBody: false,
    settings,
    headers: [
      ['x-y', 'z'],
      [':method', 'HEAD'],
      ['accept', 'text/html'],
    ],
  });
  t.is(
    r.text,
    `HEAD / HTTP/1.1\r\nhost: 127.0.0.1:47190\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAAQAAP__\r\naccept: text/html\r\nuser-agent: ${userAgent()}\r\nx-y: z\r\n\r\n`,
  );
  const o = buildUpgradeRequest({ authority: 'h', path: '/x', withBody: true, settings, headers: [] });
  t.true(o.text.startsWith('OPTIONS * HTTP/1.1\r\n'));
});

test('Upgrade response parsing', (t) => {
  const ok = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00');
  for (let cut = 1; cut < ok.length - 3; cut++) t.is(parseUpgradeResponse(ok.subarray(0, cut)), null);
  const r = parseUpgradeResponse(ok)!;
  t.is(r.statusCode, 101);
  t.true(upgradeAccepted(r));
  t.is(r.rest.length, 3);
  t.false(upgradeAccepted(parseUpgradeResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))!));
  // nghttpd answers an HTTP/1.1 request with its binary SETTINGS: not HTTP at all
  t.throws(() => parseUpgradeResponse(Buffer.from([0, 0, 6, 4, 0, 0, 0, 0, 0])), {
    instanceOf: UpgradeResponseError,
    message: /Expected HTTP\//,
  });
  t.throws(() => parseUpgradeResponse(Buffer.from('HTTP/1.1 abc\r\n\r\n')), { instanceOf: UpgradeResponseError });
});

test('URIs: authority and path as written, default ports, grouping by origin', (t) => {
  const u = parseTargetUri('http://127.0.0.1:80?q=1#frag');
  t.is(u.authority, '127.0.0.1:80');
  t.is(u.path, '/?q=1');
  t.is(u.port, 80);
  const v = parseTargetUri('https://[::1]/a/../b');
  t.is(v.host, '::1');
  t.is(v.port, 443);
  t.is(v.path, '/a/../b');
  t.is(v.authority, '[::1]');
  const g = groupByOrigin(['http://a/1', 'http://a:80/2', 'http://b/3', 'http://a/4'].map((s) => ({ uri: parseTargetUri(s) })));
  t.deepEqual(
    g.map((x) => x.length),
    [2, 1, 1],
  );
});

test('connection failures read as something to act on', (t) => {
  const { describeConnectError, verifyErrorText } = require('../../../lib/apps/nghttp/errors');
  const e = (code: string | undefined, message: string) => Object.assign(new Error(message), { code });
  t.regex(describeConnectError(e('ECONNREFUSED', 'x'), '127.0.0.1', 1), /127\.0\.0\.1:1: connection refused/);
  t.regex(
    describeConnectError(e('ERR_SSL_WRONG_VERSION_NUMBER', 'x:ssl3_get_record:wrong version number'), 'h', 443),
    /does not speak TLS there/,
  );
  // Told by the typed fields, not the text: OpenSSL's library/reason, Node's ERR_TLS_* codes.
  const alert = Object.assign(e('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', '80:error:0A00042E:SSL routines:x\n'), {
    library: 'SSL routines',
    reason: 'tlsv1 alert protocol version',
  });
  t.is(describeConnectError(alert, 'h', 443), 'TLS handshake with h:443 failed: tlsv1 alert protocol version');
  t.regex(describeConnectError(e('ERR_TLS_HANDSHAKE_TIMEOUT', 'TLS handshake timeout'), 'h', 443), /^TLS handshake with h:443 failed/);
  t.regex(describeConnectError(e('EFOO', 'a TLS-looking text'), 'h', 443), /^Could not connect to the address h:443: a TLS-looking text/);
  t.regex(describeConnectError(new TypeError('x is not a function'), 'h', 1), /internal error/);
  t.is(verifyErrorText('DEPTH_ZERO_SELF_SIGNED_CERT'), 'self-signed certificate');
  t.is(verifyErrorText('ERR_TLS_CERT_ALTNAME_INVALID'), 'hostname mismatch');
  t.is(verifyErrorText('SOMETHING_NEW'), 'SOMETHING_NEW');
});

// Seen in a full-suite run: nghttpd -m 1 refused three requests whose RST_STREAMs came in one read
// while stream 1 held the only slot; each went to the front, so they were sent again in reverse.
test('PlanQueue: refused requests go ahead of the rest in the order they were refused; FIFO otherwise', (t) => {
  const q = new PlanQueue<string>();
  for (const x of ['d', 'e']) q.push(x);
  for (const x of ['a', 'b', 'c']) q.unshift(x);
  t.is(q.length, 5);
  t.is(q.shift(), 'a');
  q.unshift('a2'); // refused again once taken: after the refused ones still waiting, ahead of the rest
  const rest: (string | undefined)[] = [];
  while (q.length) rest.push(q.shift());
  t.deepEqual(rest, ['b', 'c', 'a2', 'd', 'e']);
  t.is(q.shift(), undefined);
  // The fast path: taken entries leave room at the front.
  const r = new PlanQueue<number>();
  for (let i = 0; i < 2000; i++) r.push(i);
  for (let i = 0; i < 1500; i++) r.shift();
  r.unshift(-1);
  r.unshift(-2);
  t.deepEqual([r.shift(), r.shift(), r.shift()], [-1, -2, 1500]);
  t.is(r.length, 499);
});

// -m N: one planned request stands for N sends (one object, not N), refusals still go first.
test('PlanQueue: an entry pushed with a count is taken that many times in a row', (t) => {
  const q = new PlanQueue<string>();
  q.push('a', 3);
  q.push('b');
  q.push('none', 0);
  t.is(q.length, 4);
  t.is(q.shift(), 'a');
  q.unshift('r');
  t.is(q.length, 4);
  const got: (string | undefined)[] = [];
  while (q.length) got.push(q.shift());
  t.deepEqual(got, ['r', 'a', 'a', 'b']);
  t.is(q.shift(), undefined);
  const big = new PlanQueue<number>();
  big.push(7, 20000);
  big.push(8);
  let n = 0;
  while (big.shift() === 7) n++;
  t.is(n, 20000);
  t.is(big.length, 0);
});

test('planRuns: -m N is one run of N; planRequests expands it', (t) => {
  const o = { uris: [parseTargetUri('http://a/1'), parseTargetUri('http://a/2')], multiply: 3, weights: [], noDep: false };
  const runs = planRuns(o);
  t.deepEqual(
    runs.map((r) => [r.uri.raw, r.count]),
    [
      ['http://a/1', 3],
      ['http://a/2', 3],
    ],
  );
  const flat = planRequests(o);
  t.is(flat.length, 6);
  t.deepEqual(flat[0], runs[0].planned);
  t.is(flat[2].priority, flat[0].priority);
});
