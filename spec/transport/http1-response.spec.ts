/** The incremental HTTP/1.1 response parser: framing, trailers, 1xx, persistence, any split of the input. */
import test from 'ava';
import { Http1ParseError } from '../../lib/transport/http1';
import { Http1HeadMemo, Http1ResponseParser } from '../../lib/transport/http1-response';

interface Seen {
  status: number[];
  info: number[];
  body: string;
  trailers: [string, string][] | undefined;
  ends: number;
  keepAlive: boolean[];
}

/** A parser recording what it reports; `ranges`: body pieces through `dataRange` (never `data`). */
function parser(ranges = false): { p: Http1ResponseParser; seen: Seen } {
  const seen: Seen = { status: [], info: [], body: '', trailers: undefined, ends: 0, keepAlive: [] };
  const p = new Http1ResponseParser(
    {
      informational: (h) => seen.info.push(h.status),
      head: (h) => seen.status.push(h.status),
      data: (c) => {
        if (ranges) throw new Error('data() with dataRange given');
        seen.body += c.toString('latin1');
      },
      dataRange: ranges
        ? (buf, start, end) => {
            seen.body += buf.toString('latin1', start, end);
          }
        : undefined,
      end: (t, k) => {
        seen.trailers = t;
        seen.ends++;
        seen.keepAlive.push(k);
      },
    },
    { maxHeadSize: 8192, maxFields: 100 },
  );
  return { p, seen };
}

/**
 * Feed `wire` split at every offset (two pieces), and whole: each must give the same events, with
 * the body reported through `data` views and through `dataRange` ranges alike.
 */
function everySplit(
  t: import('ava').ExecutionContext,
  wire: string,
  method: string,
  check: (s: Seen, p: Http1ResponseParser) => void,
): void {
  const buf = Buffer.from(wire, 'latin1');
  for (const ranges of [false, true]) {
    for (let cut = 0; cut <= buf.length; cut++) {
      const { p, seen } = parser(ranges);
      p.expect(method);
      p.feed(buf.subarray(0, cut));
      p.feed(buf.subarray(cut));
      check(seen, p);
    }
    // And one byte at a time.
    const { p, seen } = parser(ranges);
    p.expect(method);
    for (let i = 0; i < buf.length; i++) p.feed(buf.subarray(i, i + 1));
    check(seen, p);
  }
  t.pass();
}

test('Content-Length body at every split; the connection persists', (t) => {
  everySplit(t, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 'GET', (s, p) => {
    t.deepEqual(s.status, [200]);
    t.is(s.body, 'hello');
    t.deepEqual(s.keepAlive, [true]);
    t.true(p.idle);
  });
});

test('chunked body with extensions and trailers at every split', (t) => {
  const wire =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Sum: abc\r\nX-Two: 2\r\n\r\n';
  everySplit(t, wire, 'GET', (s) => {
    t.is(s.body, 'hello, world!!!');
    t.deepEqual(s.trailers, [
      ['x-sum', 'abc'],
      ['x-two', '2'],
    ]);
    t.is(s.ends, 1);
  });
});

test('1xx heads before the final one; HEAD, 204 and 304 have no body', (t) => {
  everySplit(
    t,
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
    'GET',
    (s) => {
      t.deepEqual(s.info, [100, 103]);
      t.deepEqual(s.status, [204]);
      t.is(s.ends, 1);
    },
  );
  everySplit(t, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'HEAD', (s) => {
    t.is(s.body, '');
    t.is(s.ends, 1);
  });
  everySplit(t, 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', 'GET', (s) => t.is(s.ends, 1));
});

test('a body without length runs until the close; Connection: close and HTTP/1.0 do not persist', (t) => {
  const { p, seen } = parser();
  p.expect('GET');
  p.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome'));
  p.feed(Buffer.from(' bytes'));
  t.is(seen.ends, 0);
  p.eof();
  t.is(seen.body, 'some bytes');
  t.deepEqual(seen.keepAlive, [false]);
  const a = parser();
  a.p.expect('GET');
  a.p.feed(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
  t.deepEqual(a.seen.keepAlive, [false]);
  const b = parser();
  b.p.expect('GET');
  b.p.feed(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'));
  b.p.expect('GET');
  b.p.feed(Buffer.from('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n'));
  t.deepEqual(b.seen.keepAlive, [false, true]);
});

test('malformed input throws Http1ParseError: status line, Content-Length, chunk size, CRLF after chunk, a cut-short body, stray bytes', (t) => {
  const bad = [
    'garbage\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX',
    'HTTP/1.1 101 Switching Protocols\r\n\r\n',
  ];
  for (const wire of bad) {
    const { p } = parser();
    p.expect('GET');
    t.throws(() => p.feed(Buffer.from(wire, 'latin1')), { instanceOf: Http1ParseError }, wire);
  }
  const { p } = parser();
  p.expect('GET');
  p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'));
  t.throws(() => p.eof(), { instanceOf: Http1ParseError });
  const idle = parser();
  t.throws(() => idle.p.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), { instanceOf: Http1ParseError });
});

test('bytes past a whole answer with no request outstanding are refused; the answer stood', (t) => {
  const { p, seen } = parser();
  p.expect('GET');
  t.throws(() => p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb')), {
    instanceOf: Http1ParseError,
  });
  // Bytes past the answer with no request outstanding are refused; the first response stood.
  t.is(seen.ends, 1);
  t.is(seen.body, 'a');
});

test('a head repeated byte for byte is the same head object; any other byte, a HEAD request or a split head parse afresh', (t) => {
  const heads: import('../../lib/transport/http1').Http1ResponseHead[] = [];
  const bodies: string[] = [];
  const keep: boolean[] = [];
  const p = new Http1ResponseParser(
    {
      head: (h) => heads.push(h),
      data: (c) => bodies.push(c.toString('latin1')),
      end: (_t, k) => keep.push(k),
    },
    { maxHeadSize: 8192, maxFields: 100 },
  );
  const a = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Mon, 07 Dec 2026 04:00:00 GMT\r\n\r\n';
  const b = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Mon, 07 Dec 2026 04:00:01 GMT\r\n\r\n';
  const send = (wire: string, method = 'GET', cut?: number) => {
    p.expect(method);
    const buf = Buffer.from(wire, 'latin1');
    if (cut === undefined) p.feed(buf);
    else {
      p.feed(buf.subarray(0, cut));
      p.feed(buf.subarray(cut));
    }
  };
  send(`${a}hello`);
  send(`${a}world`);
  t.is(heads[1], heads[0], 'the repeat is the same object');
  send(`${b}again`);
  t.not(heads[2], heads[1]);
  t.is(heads[2].fields[1][1], 'Mon, 07 Dec 2026 04:00:01 GMT');
  // HEAD: no body whatever the head says (the cached framing is for other methods).
  send(b, 'HEAD');
  t.not(heads[3], heads[2]);
  t.true(p.idle);
  // Split inside the head: parsed from the gathered bytes, then cached again.
  send(`${b}split`, 'GET', 20);
  send(`${b}whole`);
  t.is(heads[5], heads[4]);
  // The same head followed by a longer one that starts alike: not taken for the cached head.
  const longer = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Mon, 07 Dec 2026 04:00:01 GMT\r\nX-More: 1\r\n\r\n';
  send(`${longer}extra`);
  t.not(heads[6], heads[5]);
  t.deepEqual(heads[6].fields[2], ['x-more', '1']);
  t.deepEqual(bodies, ['hello', 'world', 'again', 'split', 'whole', 'extra']);
  t.deepEqual(keep, [true, true, true, true, true, true, true]);
  // A repeated "Connection: close" head still ends persistence.
  const close = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
  const q = new Http1ResponseParser(
    { head: () => undefined, data: () => undefined, end: (_t, k) => keep.push(k) },
    { maxHeadSize: 8192, maxFields: 100 },
  );
  for (let i = 0; i < 2; i++) {
    q.expect('GET');
    q.feed(Buffer.from(close, 'latin1'));
  }
  t.deepEqual(keep.slice(-2), [false, false]);
});

test('feed(buf, end) reads only the first end bytes (a shared read buffer with stale bytes after them), at every split', (t) => {
  const wire = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n', 'latin1');
  // Each piece sits at the start of a larger buffer whose tail is garbage the parser must not see.
  const inRoom = (piece: Buffer) => {
    const room = Buffer.alloc(piece.length + 64, 'Z');
    piece.copy(room);
    return room;
  };
  for (let cut = 0; cut <= wire.length; cut++) {
    const { p, seen } = parser();
    p.expect('GET');
    for (const piece of [wire.subarray(0, cut), wire.subarray(cut)]) p.feed(inRoom(piece), piece.length);
    t.is(seen.body, 'hello');
    t.deepEqual(seen.trailers, [['x-t', '1']]);
    t.true(p.idle);
    // The same head again (taken from the cache), then a Content-Length body, both bounded by `end`.
    const again = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', 'latin1');
    p.expect('GET');
    p.feed(inRoom(again), again.length);
    const sized = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc', 'latin1');
    p.expect('GET');
    p.feed(inRoom(sized), sized.length);
    t.is(seen.body, 'hellookabc');
    t.deepEqual(seen.status, [200, 200, 200]);
    t.is(seen.ends, 3);
    t.true(p.idle);
  }
});

test('parsers sharing one Http1HeadMemo hand out one head object for a head any of them read last', (t) => {
  const memo = new Http1HeadMemo();
  const heads: import('../../lib/transport/http1').Http1ResponseHead[][] = [[], []];
  const parsers = heads.map(
    (seen) =>
      new Http1ResponseParser(
        { head: (h) => seen.push(h), data: () => undefined, end: () => undefined },
        { maxHeadSize: 8192, maxFields: 100 },
        memo,
      ),
  );
  const wire = (date: string) => Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: ${date}\r\n\r\nok`, 'latin1');
  const send = (i: number, date: string) => {
    parsers[i].expect('GET');
    parsers[i].feed(wire(date));
  };
  send(0, 'a');
  send(1, 'a');
  t.is(heads[1][0], heads[0][0], 'the second connection takes the head the first parsed');
  send(1, 'b');
  send(0, 'b');
  t.is(heads[0][1], heads[1][1]);
  t.not(heads[0][1], heads[0][0]);
  t.deepEqual(heads[0][1].fields[1], ['date', 'b']);
});
