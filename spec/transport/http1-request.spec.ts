/**
 * The sans-IO HTTP/1.1 request parser (lib/transport/http1-request.ts): pipelined requests in
 * order with hold/release, every split of the input, bodies by Content-Length and chunked with
 * trailers, tunnels handed over, and the 400/431 errors.
 */
import test from 'ava';
import { Http1ParseError, Http1RequestHead } from '../../lib/transport/http1';
import { Http1RequestInfo, Http1RequestParser } from '../../lib/transport/http1-request';

const LIMITS = { maxHeadSize: 4096, maxFields: 20 };

/** A parser that logs its events as strings. */
function logged(opts: { holdOnEnd?: boolean } = {}) {
  const log: string[] = [];
  const heads: { head: Http1RequestHead; info: Http1RequestInfo }[] = [];
  const p: Http1RequestParser = new Http1RequestParser(
    {
      head: (head, info) => {
        heads.push({ head, info });
        log.push(`head ${head.method} ${head.target} ${head.version} ${JSON.stringify(head.fields)} ${JSON.stringify(info.framing)}`);
      },
      data: (c) => log.push(`data ${c.toString('latin1')}`),
      end: (t) => {
        log.push(`end ${JSON.stringify(t ?? null)}`);
        if (opts.holdOnEnd) p.hold();
      },
    },
    LIMITS,
  );
  return { p, log, heads };
}

/** Merge consecutive data events (a split input splits the body too). */
function merged(log: string[]): string[] {
  const out: string[] = [];
  for (const e of log) {
    const last = out[out.length - 1];
    if (e.startsWith('data ') && last?.startsWith('data ')) out[out.length - 1] = last + e.slice(5);
    else out.push(e);
  }
  return out;
}

const PIPELINE =
  'GET /a HTTP/1.1\r\nHost: x\r\n\r\n' +
  'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
  'PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n' +
  'GET /d HTTP/1.0\r\n\r\n';

const EXPECTED = [
  'head GET /a HTTP/1.1 [["host","x"]] 0',
  'end null',
  'head POST /b HTTP/1.1 [["host","x"],["content-length","5"]] 5',
  'data hello',
  'end null',
  'head PUT /c HTTP/1.1 [["host","x"],["transfer-encoding","chunked"]] "chunked"',
  'data abcde',
  'end [["x-sum","9"]]',
  'head GET /d HTTP/1.0 [] 0',
  'end null',
];

test('pipelined requests in one read come out in order: bodies by length and chunked, trailers', (t) => {
  const { p, log, heads } = logged();
  p.feed(Buffer.from(PIPELINE, 'latin1'));
  t.deepEqual(merged(log), EXPECTED);
  t.true(heads[0].info.keepAlive);
  t.false(heads[3].info.keepAlive, 'HTTP/1.0 without keep-alive');
  t.is(p.buffered, 0);
});

test('every split of the input gives the same requests (a read may end anywhere, even in a CRLF)', (t) => {
  const all = Buffer.from(PIPELINE, 'latin1');
  for (let cut = 1; cut < all.length; cut++) {
    const { p, log } = logged();
    p.feed(all.subarray(0, cut));
    p.feed(all.subarray(cut));
    t.deepEqual(merged(log), EXPECTED, `split at ${cut}`);
  }
  const { p, log } = logged();
  for (let i = 0; i < all.length; i++) p.feed(all.subarray(i, i + 1));
  t.deepEqual(merged(log), EXPECTED, 'one byte at a time');
});

test('held after each request: the next one waits in the buffer until release()', (t) => {
  const { p, log } = logged({ holdOnEnd: true });
  p.feed(Buffer.from(PIPELINE, 'latin1'));
  t.deepEqual(log, ['head GET /a HTTP/1.1 [["host","x"]] 0', 'end null']);
  t.true(p.buffered > 0);
  p.release();
  t.is(log.length, 5);
  p.release();
  p.release();
  t.deepEqual(merged(log), EXPECTED);
  const n = log.length;
  p.feed(Buffer.from('GET /e HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.is(log.length, n, 'held after the last request: new input is kept');
  p.release();
  t.is(log[n], 'head GET /e HTTP/1.1 [["host","x"]] 0');
});

test('CONNECT and Upgrade stop the parser; the bytes after the head are handed over', (t) => {
  for (const head of [
    'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n',
    'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  ]) {
    const { p, heads } = logged();
    p.feed(Buffer.from(`${head}\x01\x02tunnel bytes`, 'latin1'));
    p.feed(Buffer.from(' and more'));
    t.true(heads[0].info.tunnel);
    t.is(p.detach().toString('latin1'), '\x01\x02tunnel bytes and more');
  }
  const { p, heads } = logged();
  p.feed(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n'));
  t.false(heads[0].info.tunnel, 'Upgrade without Connection: upgrade is a plain request');
});

test('Expect: 100-continue is reported on HTTP/1.1 requests with a body', (t) => {
  const { p, heads } = logged();
  p.feed(Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nz'));
  p.feed(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n'));
  t.true(heads[0].info.expectContinue);
  t.false(heads[1].info.expectContinue);
});

/** The error `input` makes the parser throw (fed whole, then byte by byte). */
function failure(t: import('ava').ExecutionContext, input: string, status: number, what: string): void {
  for (const split of [false, true]) {
    const { p } = logged();
    const b = Buffer.from(input, 'latin1');
    const err = t.throws(
      () => {
        if (!split) p.feed(b);
        else for (let i = 0; i < b.length; i++) p.feed(b.subarray(i, i + 1));
      },
      { instanceOf: Http1ParseError },
      what,
    );
    t.is(err?.status, status, what);
  }
}

test('malformed requests: 400 (a bad request line as soon as it shows), 431 for a head over the limits', (t) => {
  failure(t, 'GET / HTTP/1.1\nHost: x\n', 400, 'bare LF after the request line');
  failure(t, 'GET /\r\n', 400, 'HTTP/0.9 request line');
  failure(t, '\x16\x03\x01\x02\x00', 400, 'a TLS ClientHello on a cleartext port');
  failure(t, 'GET / HTTP/1.1\r\nHo st: x\r\n\r\n', 400, 'space in a field name');
  failure(t, 'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'Content-Length and chunked');
  failure(t, 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 400, 'chunked not last');
  failure(t, 'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 400, 'conflicting lengths');
  failure(t, 'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400, 'bad length');
  failure(t, 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'bad chunk size');
  failure(t, 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n', 400, 'chunk data longer than its size');
  failure(t, `GET / HTTP/1.1\r\nX: ${'a'.repeat(5000)}\r\n\r\n`, 431, 'head over maxHeadSize');
  failure(t, `GET / HTTP/1.1\r\n${'X: 1\r\n'.repeat(21)}\r\n`, 431, 'more fields than maxFields');
  // After a good request, the next one's errors come the same way.
  failure(t, 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET  / HTTP/1.1\r\n', 400, 'a pipelined request with two spaces');
});

test('eof: a body cut short throws, a partial head or an idle connection does not', (t) => {
  const a = logged();
  a.p.feed(Buffer.from('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc'));
  t.throws(() => a.p.eof(), { instanceOf: Http1ParseError });
  const b = logged();
  b.p.feed(Buffer.from('GET / HTTP/1.1\r\nHo'));
  t.notThrows(() => b.p.eof());
  const c = logged();
  c.p.feed(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.notThrows(() => c.p.eof());
});
