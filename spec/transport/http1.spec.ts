import test from 'ava';
import {
  sniffPreface,
  parseRequestHead,
  parseResponseHead,
  type FieldLineMemo,
  h2cUpgradeOf,
  Http1ParseError,
  requestHeadersFromHttp1,
  encodeSettingsPayload,
  encodeHttp2SettingsHeader,
  decodeHttp2SettingsHeader,
} from '../../lib/transport/http1';
import fc from 'fast-check';
import { CONNECTION_PREFACE } from '../../lib/protocol/frame/constants';

test('sniffPreface: prefix is undecided, full preface is h2, anything else http1', (t) => {
  for (let i = 0; i < CONNECTION_PREFACE.length; i++) t.is(sniffPreface(CONNECTION_PREFACE.subarray(0, i)), 'undecided');
  t.is(sniffPreface(CONNECTION_PREFACE), 'h2');
  t.is(sniffPreface(Buffer.concat([CONNECTION_PREFACE, Buffer.from([0, 0, 0, 4])])), 'h2');
  t.is(sniffPreface(Buffer.from('GET / HTTP/1.1\r\n')), 'http1');
  t.is(sniffPreface(Buffer.from('PRI * HTTP/1.1')), 'http1');
});

const upgradeReq =
  'GET /index.html?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nConnection: Upgrade, HTTP2-Settings\r\n' +
  'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nAccept: */*\r\n\r\n';

test('parseRequestHead: incomplete at every split point, then whole', (t) => {
  const buf = Buffer.from(upgradeReq + 'PRI', 'latin1');
  const headLen = upgradeReq.length;
  for (let i = 0; i < headLen; i++) t.is(parseRequestHead(buf.subarray(0, i)), null);
  const p = parseRequestHead(buf)!;
  t.is(p.consumed, headLen);
  t.is(p.head.method, 'GET');
  t.is(p.head.target, '/index.html?x=1');
  t.deepEqual(p.head.fields[0], ['host', 'example.com:8080']);
});

test('h2cUpgradeOf: accepts a proper upgrade; maps to HTTP/2 request headers without hop-by-hop fields', (t) => {
  const p = parseRequestHead(Buffer.from(upgradeReq))!;
  const up = h2cUpgradeOf(p.head);
  t.true('settingsPayload' in up);
  if ('settingsPayload' in up) t.is(up.settingsPayload.length, 18);
  t.deepEqual(requestHeadersFromHttp1(p.head, 'http'), [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', 'example.com:8080'],
    [':path', '/index.html?x=1'],
    ['accept', '*/*'],
  ]);
});

test('h2cUpgradeOf: refuses missing/duplicate HTTP2-Settings, missing Connection tokens, bodies, bad base64url', (t) => {
  const mk = (s: string) => parseRequestHead(Buffer.from(s + '\r\n'))!.head;
  const base = 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n';
  t.true('reason' in h2cUpgradeOf(mk(base + 'Connection: Upgrade, HTTP2-Settings\r\n')));
  t.true('reason' in h2cUpgradeOf(mk(base + 'Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: \r\nHTTP2-Settings: \r\n')));
  t.true('reason' in h2cUpgradeOf(mk(base + 'Connection: Upgrade\r\nHTTP2-Settings: \r\n')));
  const withBody = mk(base + 'Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: \r\nContent-Length: 5\r\n');
  t.true('reason' in h2cUpgradeOf(withBody));
  const ok = h2cUpgradeOf(withBody, 5);
  t.true('bodyLength' in ok && ok.bodyLength === 5);
  t.true(
    'reason' in h2cUpgradeOf(mk(base + 'Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: \r\nTransfer-Encoding: chunked\r\n'), 1e6),
  );
  t.true(
    'reason' in
      h2cUpgradeOf(mk(base + 'Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: \r\nContent-Length: 5\r\nContent-Length: 6\r\n'), 1e6),
  );
  t.true('reason' in h2cUpgradeOf(mk(base + 'Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAA\r\n')));
  t.true('settingsPayload' in h2cUpgradeOf(mk(base + 'Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: \r\n')));
});

test('parse errors are typed, with the HTTP status to answer', (t) => {
  const e1 = t.throws(() => parseRequestHead(Buffer.from('GET /\r\n\r\n')), { instanceOf: Http1ParseError });
  t.is(e1.status, 400);
  const e2 = t.throws(() => parseRequestHead(Buffer.from('GET / HTTP/1.1\r\n' + 'a'.repeat(70000))), { instanceOf: Http1ParseError });
  t.is(e2.status, 431);
  const many = 'GET / HTTP/1.1\r\n' + 'x: y\r\n'.repeat(101) + '\r\n';
  t.is(t.throws(() => parseRequestHead(Buffer.from(many)), { instanceOf: Http1ParseError }).status, 431);
  t.throws(() => parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nbad name: x\r\n\r\n')), { instanceOf: Http1ParseError });
  t.throws(() => parseRequestHead(Buffer.from('GET / HTTP/1.1\r\n folded\r\n\r\n')), { instanceOf: Http1ParseError });
  t.is(t.throws(() => parseRequestHead(Buffer.from('GET / HTTP/2.0\r\n\r\n')), { instanceOf: Http1ParseError }).status, 505);
});

test('parseResponseHead: 101 with leftover HTTP/2 bytes', (t) => {
  const buf = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04', 'latin1');
  const p = parseResponseHead(buf)!;
  t.is(p.head.status, 101);
  t.is(buf.length - p.consumed, 4);
});

test('HTTP2-Settings round-trips a SETTINGS payload as unpadded base64url', (t) => {
  const payload = encodeSettingsPayload([
    { id: 3, value: 100 },
    { id: 4, value: 0xffffffff },
  ]);
  const v = encodeHttp2SettingsHeader(payload);
  t.false(v.includes('='));
  t.deepEqual(decodeHttp2SettingsHeader(v), payload);
  t.throws(() => decodeHttp2SettingsHeader('a+b/'), { instanceOf: Http1ParseError });
});

test('parseResponseHead: status line forms, fields lowercased and trimmed of SP/HTAB only', (t) => {
  const head = (s: string) => parseResponseHead(Buffer.from(s + '\r\n\r\n', 'latin1'))!.head;
  const h = head('HTTP/1.1 200 OK\r\nContent-Type:  text/plain \t\r\nX-Empty:\r\nx-sp: \xa0a b\xa0');
  t.deepEqual([h.version, h.status, h.reason], ['HTTP/1.1', 200, 'OK']);
  t.deepEqual(h.fields, [
    ['content-type', 'text/plain'],
    ['x-empty', ''],
    ['x-sp', '\xa0a b\xa0'],
  ]);
  // Common names (a table) and others alike, in any case; near misses are not taken for them.
  t.deepEqual(head('HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 1\r\nhOsT: h\r\nhosts: x\r\nVia2: v\r\nX-Forwarded-FOR: f').fields, [
    ['content-length', '1'],
    ['host', 'h'],
    ['hosts', 'x'],
    ['via2', 'v'],
    ['x-forwarded-for', 'f'],
  ]);
  t.deepEqual([head('HTTP/1.0 404').version, head('HTTP/1.0 404').reason], ['HTTP/1.0', '']);
  t.is(head('HTTP/1.1 502 Bad  Gateway ').reason, 'Bad  Gateway ');
  t.is(head('HTTP/1.1 204 ').reason, '');
  t.is(head('HTTP/2.0 200 x').version, 'HTTP/2.0');
  for (const bad of ['HTTP/1.1 2000 OK', 'HTTP/1.1 20 OK', 'HTTP/1.1  200', 'HTTX/1.1 200', 'HTTP/1.1 200 O\x00K', 'HTTP/1.1 200 O\rK', ''])
    t.throws(() => head(bad), { instanceOf: Http1ParseError }, JSON.stringify(bad));
});

test('parse: CR, LF and NUL in a value, colons and spaces in names are malformed', (t) => {
  for (const f of ['a: b\x00c', 'a: b\rc', 'a: b\nc', 'a: b\r', 'a b: c', ': c', 'a', 'a\t: b', ' a: b', '\ta: b']) {
    const e = t.throws(
      () => parseResponseHead(Buffer.from(`HTTP/1.1 200 OK\r\n${f}\r\n\r\n`, 'latin1')),
      { instanceOf: Http1ParseError },
      JSON.stringify(f),
    );
    t.is(e.status, 400);
    t.throws(
      () => parseRequestHead(Buffer.from(`GET / HTTP/1.1\r\n${f}\r\n\r\n`, 'latin1')),
      { instanceOf: Http1ParseError },
      JSON.stringify(f),
    );
  }
  t.regex(t.throws(() => parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nX-A: b\x00\r\n\r\n', 'latin1')))!.message, /value of X-A/);
});

test('parse: the one-pass field parser agrees with a split-and-regex reading on generated heads', (t) => {
  // The reading the parser replaced (split on CRLF, a regex per name, trim of SP/HTAB), as the reference.
  const reference = (lines: string[]): [string, string][] =>
    lines.map((l) => {
      const colon = l.indexOf(':');
      return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')];
    });
  const known = fc.constantFrom('Content-Length', 'content-type', 'HOST', 'Date', 'via', 'Set-Cookie', 'X-Forwarded-Proto', 'te', 'Tea');
  const name = fc.oneof(fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/), known);
  const value = fc.stringMatching(/^[ \t\x21-\x7e\x80-\xff]{0,20}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { maxLength: 12 }), (pairs) => {
      const lines = pairs.map(([n, v]) => `${n}:${v}`);
      const text = ['HTTP/1.1 200 OK', ...lines].join('\r\n') + '\r\n\r\n';
      const got = parseResponseHead(Buffer.from(text, 'latin1'))!;
      t.deepEqual(got.head.fields, reference(lines));
      t.is(got.consumed, Buffer.byteLength(text, 'latin1'));
      const req = parseRequestHead(Buffer.from(['GET / HTTP/1.1', ...lines].join('\r\n') + '\r\n\r\n', 'latin1'))!;
      t.deepEqual(req.head.fields, reference(lines));
    }),
    { numRuns: 300 },
  );
});

test('parse: with a FieldLineMemo, heads in sequence read as without one; a line equal to the last head line at its place is its pair', (t) => {
  const reference = (lines: string[]): [string, string][] =>
    lines.map((l) => {
      const colon = l.indexOf(':');
      return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')];
    });
  // Few distinct lines, so that consecutive heads share many at the same place.
  const line = fc.constantFrom(
    'Content-Length: 5',
    'content-type: text/plain',
    'Date: a',
    'Date: b',
    'X-Count: 1',
    'x-count:2 ',
    'Via: 1.1 x',
  );
  fc.assert(
    fc.property(fc.array(fc.array(line, { maxLength: 6 }), { minLength: 1, maxLength: 6 }), (heads) => {
      const memo: FieldLineMemo = { lineBytes: undefined, spans: undefined, pairs: undefined };
      let last: { lines: string[]; fields: [string, string][] } | undefined;
      for (const lines of heads) {
        const got = parseResponseHead(Buffer.from(['HTTP/1.1 200 OK', ...lines].join('\r\n') + '\r\n\r\n', 'latin1'), undefined, memo)!;
        t.deepEqual(got.head.fields, reference(lines));
        if (last)
          for (let k = 0; k < lines.length && k < last.lines.length; k++)
            if (lines[k] === last.lines[k]) t.is(got.head.fields[k], last.fields[k], 'the same pair object');
        last = { lines, fields: got.head.fields };
      }
    }),
    { numRuns: 200 },
  );
  // The field count limit holds for reused lines too.
  const memo: FieldLineMemo = { lineBytes: undefined, spans: undefined, pairs: undefined };
  const head = Buffer.from('HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n', 'latin1');
  parseResponseHead(head, { maxHeadSize: 8192, maxFields: 3 }, memo);
  t.throws(() => parseResponseHead(head, { maxHeadSize: 8192, maxFields: 2 }, memo), { message: /more than 2 header fields/ });
});
