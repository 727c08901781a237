import test from 'ava';
import {
  altSvcValue,
  forwardedElement,
  forwardedNode,
  httpsRedirect,
  obfuscatedNode,
  parseAltSvc,
  rewriteLocation,
} from '../../../lib/apps/nghttpx/rewrite';
import { encodeProxyV1, encodeProxyV2Ipv4, parseProxyHeader } from '../../../lib/apps/nghttpx/proxyproto';
import { handleApiRequest, ApiHost } from '../../../lib/apps/nghttpx/api';
import { timeIso8601 } from '../../../lib/apps/nghttpx/log';

// Cases below are what Debian's nghttpx 1.52 answered (request authority 127.0.0.1:39502,
// backend 127.0.0.1:39501, Location from the backend -> Location at the client).
test('Location rewrite: the request host is what counts (not scheme, not port); others untouched', (t) => {
  const rw = (loc: string) => rewriteLocation(loc, '127.0.0.1:39502', '127.0.0.1:39502', 'http');
  t.is(rw('http://127.0.0.1:39501/z'), 'http://127.0.0.1:39502/z');
  t.is(rw('http://127.0.0.1/z'), 'http://127.0.0.1:39502/z');
  t.is(rw('http://127.0.0.1:1/z'), 'http://127.0.0.1:39502/z');
  t.is(rw('https://127.0.0.1:39501/z'), 'http://127.0.0.1:39502/z');
  t.is(rw('http://127.0.0.1:39501/x?y=1#f'), 'http://127.0.0.1:39502/x?y=1#f');
  t.is(rw('http://other:39501/z'), 'http://other:39501/z');
  t.is(rw('//127.0.0.1:39501/z'), '//127.0.0.1:39501/z');
  t.is(rw('/rel'), '/rel');
  t.is(rw('http://127.0.0.10/z'), 'http://127.0.0.10/z', 'a longer host is another host');
  t.is(rewriteLocation('http://127.0.0.1:39501', '127.0.0.1:39501', 'example.com', 'https'), 'https://example.com/');
});

test('Alt-Svc as nghttpx writes it: h2=":443", h3="example.com:443"; ma=3600', (t) => {
  t.is(altSvcValue([parseAltSvc('h2,443'), parseAltSvc('h3,443,example.com,,ma=3600')]), 'h2=":443", h3="example.com:443"; ma=3600');
  t.is(altSvcValue([parseAltSvc('h2,443,,,ma=3600; persist=1')]), 'h2=":443"; ma=3600; persist=1');
  t.is(altSvcValue([parseAltSvc('w=x,80')]), 'w%3Dx=":80"');
  t.throws(() => parseAltSvc('h2'));
  t.throws(() => parseAltSvc('h2,0'));
});

test('Forwarded: by, for, host, proto in that order; non-tokens quoted (as nghttpx sent them)', (t) => {
  const all = new Set(['by', 'for', 'host', 'proto']);
  t.is(
    forwardedElement(all, {
      by: forwardedNode('127.0.0.1', 39502),
      for: forwardedNode('127.0.0.1'),
      host: '127.0.0.1:39502',
      proto: 'http',
    }),
    'by="127.0.0.1:39502";for=127.0.0.1;host="127.0.0.1:39502";proto=http',
  );
  t.is(forwardedElement(new Set(['for']), { for: forwardedNode('::1'), proto: 'http' }), 'for="[::1]"');
  t.is(forwardedElement(new Set(['host']), {}), undefined);
  t.is(forwardedNode(undefined), 'localhost');
  t.regex(obfuscatedNode(), /^_[A-Za-z0-9]{8}$/);
});

test('redirect-if-not-tls target: host without port, --redirect-https-port unless 443', (t) => {
  t.is(httpsRedirect('127.0.0.1:39502', '/tls/x?q', 8443), 'https://127.0.0.1:8443/tls/x?q');
  t.is(httpsRedirect('h.example:99', '/a', 443), 'https://h.example/a');
  t.is(httpsRedirect('[::1]:80', '/a', 443), 'https://[::1]/a');
});

test('PROXY v1 and v2 headers: the client address, the bytes taken; incomplete and bad input told apart', (t) => {
  const v1 = Buffer.concat([encodeProxyV1('192.0.2.7', 5555, '127.0.0.1', 3000), Buffer.from('GET / HTTP/1.1\r\n')]);
  const r1 = parseProxyHeader(v1);
  t.like(r1, { kind: 'done', source: { address: '192.0.2.7', port: 5555 } });
  if (r1.kind === 'done') t.is(v1.subarray(r1.consumed).toString(), 'GET / HTTP/1.1\r\n');
  t.like(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 ::1 1 2\r\n')), {
    kind: 'done',
    source: { address: '2001:db8::1', port: 1 },
  });
  t.like(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { kind: 'done', consumed: 15, source: undefined });
  const v2 = encodeProxyV2Ipv4('198.51.100.9', 4242, '127.0.0.1', 3000);
  t.like(parseProxyHeader(v2), { kind: 'done', consumed: 28, source: { address: '198.51.100.9', port: 4242 } });
  // Split at every offset: "more" until complete.
  for (const h of [v2, encodeProxyV1('192.0.2.7', 5555, '127.0.0.1', 3000)]) {
    for (let i = 0; i < h.length; i++) t.is(parseProxyHeader(h.subarray(0, i)).kind, 'more', `offset ${i}`);
  }
  t.is(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'error');
  t.is(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.999 1.2.3.4 1 2\r\n')).kind, 'error');
  t.is(parseProxyHeader(Buffer.from('PROXY TCP4 ' + 'x'.repeat(120))).kind, 'error');
  const bad = Buffer.from(v2);
  bad[12] = 0x31;
  t.is(parseProxyHeader(bad).kind, 'error');
});

test('API: backendconfig replaces backends (other names ignored), 405 with Allow, 404, configrevision', (t) => {
  const replaced: string[][] = [];
  const logs: string[] = [];
  const host: ApiHost<string> = {
    parseBackend: (v) => {
      if (!v.includes(',')) throw new Error(`bad backend ${v}`);
      return v;
    },
    validate: (b) => {
      if (!b.length) throw new Error('no catch-all');
    },
    replace: (b) => replaced.push(b),
    configRevision: () => 0,
    maxRequestBody: 100,
    log: (_l, m) => logs.push(m),
  };
  const ok = handleApiRequest(
    host,
    'POST',
    '/api/v1beta1/backendconfig',
    Buffer.from('backend=127.0.0.1,1\nbogus=1\n# c\nbackend=127.0.0.1,2;/x/\n'),
  );
  t.deepEqual(ok, { status: 200, fields: [], body: '{"status":"Success","code":200}', close: false });
  t.deepEqual(replaced, [['127.0.0.1,1', '127.0.0.1,2;/x/']]);
  t.like(handleApiRequest(host, 'GET', '/api/v1beta1/backendconfig', Buffer.alloc(0)), {
    status: 405,
    fields: [['allow', 'POST, PUT']],
    body: '{"status":"Failure","code":405}',
    close: true,
  });
  t.like(handleApiRequest(host, 'PUT', '/api/v1beta1/backendconfig', Buffer.from('backend=nonsense')), { status: 400 });
  t.like(handleApiRequest(host, 'PUT', '/api/v1beta1/backendconfig', Buffer.alloc(101, 'a')), { status: 413 });
  t.is(replaced.length, 1, 'a rejected config changes nothing');
  t.like(handleApiRequest(host, 'GET', '/nope', Buffer.alloc(0)), { status: 404, body: '{"status":"Failure","code":404}', close: false });
  t.is(
    handleApiRequest(host, 'GET', '/api/v1beta1/configrevision', Buffer.alloc(0)).body,
    '{"status":"Success","code":200,"data":{"configRevision":0}}',
  );
});

test('$time_iso8601 has milliseconds and Z in UTC, as nghttpx 1.52 logs 2026-12-06T10:03:48.169Z', (t) => {
  const ms = Date.UTC(2026, 11, 6, 10, 3, 48, 169);
  const s = timeIso8601(ms);
  if (new Date(ms).getTimezoneOffset() === 0) t.is(s, '2026-12-06T10:03:48.169Z');
  else t.regex(s, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.169[+-]\d\d:\d\d$/);
});
