/**
 * nghttpd's engine seen from the wire: static answers, push, echo upload, trailers, padding,
 * early response, flow control, the -v trace, HTTP/1.1 on the cleartext port.
 */
import test from 'ava';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { block, E, F, frame, headers, makeDocroot, RawClient, request, settings, startServer, T, u32 } from './raw';
import { expectQuietFor, until } from '../../helpers/wait';

let root: string;
test.before(() => {
  root = makeDocroot();
});
test.after.always(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const ACK = settings([], F.ACK);
const hv = (c: RawClient, id: number, name: string, n = 0) => c.headerLists.get(id)?.[n]?.find((h) => h[0] === name)?.[1];

test('GET serves the file with the reference headers; 404, 301, HEAD, 304', async (t) => {
  const s = await startServer(['-d', root]);
  const c = await RawClient.connect(s.port);
  try {
    const mtime = fs.statSync(path.join(root, '1k')).mtime;
    c.send(
      ACK,
      headers(1, request('/1k')),
      headers(3, request('/nope')),
      headers(5, request('/sub')),
      headers(7, request('/1k', [], 'HEAD')),
      headers(9, request('/1k', [['if-modified-since', new Date(mtime.getTime() + 1000).toUTCString()]])),
    );
    t.true(await c.until(() => [1, 3, 5, 7, 9].every((id) => c.body(id).ended)));
    t.deepEqual(
      c.headerLists.get(1)![0].map((h) => h[0]),
      [':status', 'server', 'cache-control', 'date', 'content-length', 'last-modified'],
    );
    t.is(c.body(1).data.length, 1024);
    t.is(c.status(3), '404');
    t.regex(c.body(3).data.toString(), /404 Not Found/);
    t.is(c.status(5), '301');
    t.is(hv(c, 5, 'location'), 'http://localhost/sub/');
    t.is(c.status(7), '200');
    t.is(hv(c, 7, 'content-length'), '1024');
    t.is(c.body(7).data.length, 0);
    t.is(c.status(9), '304');
  } finally {
    c.close();
    await s.close();
  }
});

test('-p pushes: PUSH_PROMISE (2, 4) before the response, then the pushed responses', async (t) => {
  const s = await startServer(['-d', root, '-p/=/style.css,/app.js']);
  const c = await RawClient.connect(s.port);
  try {
    c.send(ACK, headers(13, request('/')));
    t.true(await c.until(() => [13, 2, 4].every((id) => c.body(id).ended)));
    const order = c.frames
      .filter((f) => f.type === T.PUSH_PROMISE || f.type === T.HEADERS)
      .map((f) => `${f.type === T.PUSH_PROMISE ? 'PP' : 'H'}${f.streamId}`);
    t.deepEqual(order, ['PP13', 'PP13', 'H13', 'H2', 'H4']);
    const promised = c.frames.filter((f) => f.type === T.PUSH_PROMISE).map((f) => f.payload.readUInt32BE(0));
    t.deepEqual(promised, [2, 4]);
    t.deepEqual(c.headerLists.get(2)![0], [
      [':method', 'GET'],
      [':path', '/style.css'],
      [':scheme', 'http'],
      [':authority', 'localhost'],
    ]);
    t.is(c.body(2).data.toString(), 'body { color: red }\n');
    t.is(c.body(4).data.toString(), 'console.log(1);\n');
    t.is(hv(c, 2, 'content-type', 1), 'text/css');
  } finally {
    c.close();
    await s.close();
  }
});

test('-p does not push to a client that disabled push', async (t) => {
  const s = await startServer(['-d', root, '-p/=/style.css']);
  const c = await RawClient.connect(s.port);
  try {
    c.send(settings([[2, 0]]), ACK);
    await c.until(() => c.frames.filter((f) => f.type === T.SETTINGS && f.flags & F.ACK).length > 0);
    c.send(headers(1, request('/')));
    t.true(await c.until(() => c.body(1).ended));
    t.is(c.find(T.PUSH_PROMISE), undefined);
  } finally {
    c.close();
    await s.close();
  }
});

test('--echo-upload sends the body back (small in memory, large via a temp file) with nghttpd-response: echo', async (t) => {
  const s = await startServer(['-d', root, '--echo-upload']);
  const c = await RawClient.connect(s.port);
  try {
    const big = Buffer.alloc(200 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    c.send(
      ACK,
      headers(1, request('/echo', [['content-length', '5']], 'POST'), F.END_HEADERS),
      frame(T.DATA, F.END_STREAM, 1, Buffer.from('hello')),
    );
    // The big upload respects our 65535 window: send what fits, then what the WINDOW_UPDATEs allow.
    // Let the server send the echo back without waiting for us: big stream and connection windows.
    c.send(
      settings([[4, 2 ** 31 - 1]]),
      frame(T.WINDOW_UPDATE, 0, 0, u32(big.length)),
      headers(3, request('/echo', [], 'PUT'), F.END_HEADERS),
    );
    let sent = 0;
    let credit = 65535 - 5;
    const wu = (id: number) =>
      c.frames.filter((f) => f.type === T.WINDOW_UPDATE && f.streamId === id).reduce((a, f) => a + f.payload.readUInt32BE(0), 0);
    for (let i = 0; i < 200 && sent < big.length; i++) {
      const n = Math.min(16384, big.length - sent, credit);
      if (n > 0) {
        c.send(frame(T.DATA, sent + n === big.length ? F.END_STREAM : 0, 3, big.subarray(sent, sent + n)));
        sent += n;
        credit -= n;
        continue;
      }
      const before = c.frames.length;
      await c.until(() => c.frames.length > before, 2000);
      credit = Math.min(65535 - sent + wu(3), 65535 - 5 - sent + wu(0));
    }
    t.is(sent, big.length);
    t.true(await c.until(() => c.body(1).ended && c.body(3).ended));
    t.is(c.body(1).data.toString(), 'hello');
    t.is(hv(c, 1, 'nghttpd-response'), 'echo');
    t.deepEqual(
      c.headerLists.get(1)![0].map((h) => h[0]),
      [':status', 'server', 'date', 'nghttpd-response', 'content-length'],
    );
    t.is(hv(c, 3, 'content-length'), String(big.length));
    t.true(c.body(3).data.equals(big));
  } finally {
    c.close();
    await s.close();
  }
});

test('--trailer, -b padding and --no-content-length shape the response', async (t) => {
  const s = await startServer(['-d', root, '--trailer', 'x-srv-trailer: yes', '-b', '16', '--no-content-length']);
  const c = await RawClient.connect(s.port);
  try {
    c.send(ACK, headers(1, request('/1k')));
    t.true(await c.until(() => c.body(1).ended));
    t.is(hv(c, 1, 'trailer'), 'x-srv-trailer');
    t.is(hv(c, 1, 'content-length'), undefined);
    t.deepEqual(c.headerLists.get(1)![1], [['x-srv-trailer', 'yes']]);
    t.is(c.body(1).data.length, 1024);
    const data = c.frames.filter((f) => f.type === T.DATA && f.streamId === 1);
    t.true(
      data.every((f) => (f.flags & F.PADDED) !== 0),
      'DATA padded',
    );
    t.true(
      c.frames.filter((f) => f.type === T.HEADERS).every((f) => (f.flags & F.PADDED) !== 0),
      'HEADERS padded',
    );
  } finally {
    c.close();
    await s.close();
  }
});

test('--early-response answers before the request body ends; without it the answer waits', async (t) => {
  for (const early of [true, false]) {
    const s = await startServer(['-d', root, ...(early ? ['--early-response'] : [])]);
    const c = await RawClient.connect(s.port);
    try {
      c.send(ACK, headers(1, request('/1k', [], 'POST'), F.END_HEADERS), frame(T.DATA, 0, 1, Buffer.from('part')));
      const got = await c.until(() => c.status(1) !== undefined, early ? 20000 : 400);
      t.is(got, early, `early=${early}`);
      c.send(frame(T.DATA, F.END_STREAM, 1, Buffer.from('rest')));
      t.true(await c.until(() => c.body(1).ended));
      t.is(c.status(1), '200');
    } finally {
      c.close();
      await s.close();
    }
  }
});

test('a 100 KiB file is sent within the stream window the client grants', async (t) => {
  const s = await startServer(['-d', root]);
  const c = await RawClient.connect(s.port, { handshake: false });
  try {
    c.send(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings([[4, 1000]]), ACK, headers(1, request('/100k')));
    t.true(await c.until(() => c.body(1).data.length >= 1000));
    await expectQuietFor(100, () => (c.body(1).data.length > 1000 ? 'DATA past the window' : undefined));
    t.is(c.body(1).data.length, 1000, 'no more than the window');
    let granted = 1000;
    for (let i = 0; i < 20 && !c.body(1).ended; i++) {
      c.send(frame(T.WINDOW_UPDATE, 0, 1, u32(8000)), frame(T.WINDOW_UPDATE, 0, 0, u32(8000)));
      granted += 8000;
      await c.until(() => c.body(1).data.length >= Math.min(granted, 102400));
      t.true(c.body(1).data.length <= granted);
    }
    t.true(await c.until(() => c.body(1).ended));
    const expect = fs.readFileSync(path.join(root, '100k'));
    t.true(c.body(1).data.equals(expect));
  } finally {
    c.close();
    await s.close();
  }
});

test('-v prints the trace with [id=N], stream closes and closed', async (t) => {
  const out: string[] = [];
  const s = await startServer(['-d', root, '-v'], { out });
  const c = await RawClient.connect(s.port);
  try {
    c.send(ACK, headers(1, request('/1k')));
    t.true(await c.until(() => c.body(1).ended));
    c.send(frame(T.GOAWAY, 0, 0, Buffer.concat([u32(0), u32(0)])));
    c.socket.end();
    await c.until(() => c.closed);
    // The server logs the connection's end ("closed", last) when it sees the socket go.
    await until(() => /\] closed\n$/.test(out.join('')));
    const text = out.join('');
    t.regex(
      text,
      /^\[id=1\] \[ *\d+\.\d{3}\] send SETTINGS frame <length=6, flags=0x00, stream_id=0>\n {10}\(niv=1\)\n {10}\[SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):100\]/m,
    );
    t.regex(text, /\[id=1\] \[ *\d+\.\d{3}\] recv \(stream_id=1\) :path: \/1k/);
    t.regex(
      text,
      /recv HEADERS frame <length=\d+, flags=0x05, stream_id=1>\n {10}; END_STREAM \| END_HEADERS\n {10}\(padlen=0\)\n {10}; Open new stream/,
    );
    t.regex(
      text,
      /send HEADERS frame <length=\d+, flags=0x04, stream_id=1>\n {10}; END_HEADERS\n {10}\(padlen=0\)\n {10}; First response header\n {10}:status: 200/,
    );
    t.regex(text, /send DATA frame <length=1024, flags=0x01, stream_id=1>/);
    t.regex(text, /\[id=1\] \[ *\d+\.\d{3}\] stream_id=1 closed/);
    t.regex(text, /recv GOAWAY frame/);
    t.regex(text, /\[id=1\] \[ *\d+\.\d{3}\] closed\n$/);
  } finally {
    c.close();
    await s.close();
  }
});

test('--hexdump shows the received bytes', async (t) => {
  const out: string[] = [];
  const s = await startServer(['-d', root, '--hexdump'], { out });
  const c = await RawClient.connect(s.port);
  try {
    c.send(ACK, headers(1, request('/1k')));
    t.true(await c.until(() => c.body(1).ended));
    t.regex(out.join(''), /^00000000  [0-9a-f]{2} /m);
  } finally {
    c.close();
    await s.close();
  }
});

test('-c, -w, -W, -m and --no-rfc7540-pri go into the first SETTINGS and WINDOW_UPDATE', async (t) => {
  const s = await startServer(['-d', root, '-c', '8K', '-w', '20', '-W', '24', '-m', '7', '--no-rfc7540-pri']);
  const c = await RawClient.connect(s.port);
  try {
    t.true(await c.until(() => c.find(T.SETTINGS) !== undefined && c.find(T.WINDOW_UPDATE, 0) !== undefined));
    const p = c.find(T.SETTINGS)!.payload;
    const got = new Map<number, number>();
    for (let i = 0; i < p.length; i += 6) got.set(p.readUInt16BE(i), p.readUInt32BE(i + 2));
    t.is(got.get(1), 8192);
    t.is(got.get(3), 7);
    t.is(got.get(4), 2 ** 20 - 1);
    t.is(got.get(9), 1);
    t.is(c.find(T.WINDOW_UPDATE, 0)!.payload.readUInt32BE(0), 2 ** 24 - 1 - 65535);
  } finally {
    c.close();
    await s.close();
  }
});

function http1(port: number, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(text));
    const parts: Buffer[] = [];
    sock.on('data', (d) => parts.push(d));
    sock.on('close', () => resolve(Buffer.concat(parts)));
    sock.on('error', reject);
    setTimeout(() => sock.destroy(), 20_000).unref(); // a bound for a server that never answers, not a wait
  });
}

test('plain HTTP/1.1 on the cleartext port gets a readable answer, not frames', async (t) => {
  const s = await startServer(['-d', root]);
  try {
    const res = (await http1(s.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toString('latin1');
    t.regex(res, /^HTTP\/1\.1 505 /);
    t.regex(res, /HTTP\/2/);
  } finally {
    await s.close();
  }
});

test('HTTP/1.1 Upgrade: h2c: 101, then the response on stream 1', async (t) => {
  const s = await startServer(['-d', root]);
  try {
    const res = await new Promise<Buffer>((resolve, reject) => {
      const sock = net.connect(s.port, '127.0.0.1', () => {
        sock.write(
          'GET /1k HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
        );
        sock.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings([])]));
      });
      const parts: Buffer[] = [];
      sock.on('data', (d) => {
        parts.push(d);
        if (Buffer.concat(parts).length > 1100) sock.destroy();
      });
      sock.on('close', () => resolve(Buffer.concat(parts)));
      sock.on('error', reject);
      setTimeout(() => sock.destroy(), 20_000).unref(); // a bound for a server that never answers, not a wait
    });
    const text = res.toString('latin1');
    t.regex(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    const h2 = res.subarray(text.indexOf('\r\n\r\n') + 4);
    // Walk the frames: SETTINGS first, then HEADERS and 1024 bytes of DATA on stream 1.
    let off = 0;
    let data = 0;
    const types: number[] = [];
    while (off + 9 <= h2.length) {
      const len = h2.readUIntBE(off, 3);
      types.push(h2[off + 3]);
      if (h2[off + 3] === T.DATA && h2.readUInt32BE(off + 5) === 1) data += len;
      off += 9 + len;
    }
    t.is(types[0], T.SETTINGS);
    t.true(types.includes(T.HEADERS));
    t.is(data, 1024);
  } finally {
    await s.close();
  }
});

test('TLS: ALPN h2 is served', async (t) => {
  const s = await startServer(['-d', root], { tls: true });
  const c = await RawClient.connect(s.port, { tls: true });
  try {
    t.is((c.socket as import('tls').TLSSocket).alpnProtocol, 'h2');
    c.send(
      ACK,
      headers(1, [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'localhost'],
        [':path', '/1k'],
      ]),
    );
    t.true(await c.until(() => c.body(1).ended));
    t.is(c.status(1), '200');
    t.is(c.body(1).data.length, 1024);
  } finally {
    c.close();
    await s.close();
  }
});

test('a request the client resets mid-body is dropped quietly and the connection goes on', async (t) => {
  const s = await startServer(['-d', root]);
  const c = await RawClient.connect(s.port, { handshake: false });
  try {
    c.send(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings([[4, 100]]), ACK, headers(1, request('/100k')));
    await c.until(() => c.body(1).data.length > 0);
    c.send(frame(T.RST_STREAM, 0, 1, u32(E.CANCEL)), headers(3, block(request('/1k'))));
    c.send(frame(T.WINDOW_UPDATE, 0, 3, u32(2000)));
    t.true(await c.until(() => c.body(3).ended));
    t.is(c.status(3), '200');
    t.is(c.goaway(), undefined);
  } finally {
    c.close();
    await s.close();
  }
});

test('CONNECT (no :path) gets 405, not a file', async (t) => {
  const s = await startServer(['-d', root]);
  const c = await RawClient.connect(s.port);
  try {
    c.send(
      ACK,
      headers(1, [
        [':method', 'CONNECT'],
        [':authority', 'example.com:443'],
      ]),
    );
    t.true(await c.until(() => c.body(1).ended || c.rst(1) !== undefined));
    t.is(c.status(1), '405');
    t.regex(c.body(1).data.toString(), /405 Method Not Allowed/);
  } finally {
    c.close();
    await s.close();
  }
});

test('listen lines as nghttpd prints them', async (t) => {
  const { listenLines } = await import('../../../lib/apps/nghttpd/server');
  t.deepEqual(listenLines({ address: '127.0.0.1', family: 'IPv4', port: 8080 }, '127.0.0.1'), ['IPv4: listen 127.0.0.1:8080']);
  t.deepEqual(listenLines({ address: '::1', family: 'IPv6', port: 8080 }, '::1'), ['IPv6: listen ::1:8080']);
  t.deepEqual(listenLines({ address: '::', family: 'IPv6', port: 3000 }, undefined), ['IPv4: listen 0.0.0.0:3000', 'IPv6: listen :::3000']);
  t.deepEqual(listenLines({ address: '0.0.0.0', family: 'IPv4', port: 3000 }, undefined), ['IPv4: listen 0.0.0.0:3000']);
});

test('close(): GOAWAY(NO_ERROR) naming the last stream, the stream in flight still completes', async (t) => {
  const s = await startServer(['-d', root]);
  const c = await RawClient.connect(s.port, { handshake: false });
  try {
    c.send(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings([[4, 1000]]), ACK, headers(1, request('/100k')));
    t.true(await c.until(() => c.body(1).data.length >= 1000));
    const closing = s.close();
    // RFC 9113 6.8 graceful shutdown: GOAWAY 2^31-1 first (optional), then the real last stream id.
    const goaways = () =>
      c.frames.filter((f) => f.type === T.GOAWAY).map((f) => [f.payload.readUInt32BE(0) & 0x7fffffff, f.payload.readUInt32BE(4)]);
    t.true(await c.until(() => goaways().length > 0));
    // Phase one ends with a PING round trip: answer it, and open the windows for the rest.
    if (await c.until(() => c.frames.some((f) => f.type === T.PING && !(f.flags & F.ACK)), 2000)) {
      const ping = c.frames.find((f) => f.type === T.PING && !(f.flags & F.ACK))!;
      c.send(frame(T.PING, F.ACK, 0, ping.payload));
    }
    c.send(frame(T.WINDOW_UPDATE, 0, 1, u32(200000)), frame(T.WINDOW_UPDATE, 0, 0, u32(200000)));
    t.true(await c.until(() => goaways().some(([id]) => id === 1)));
    for (const [id, code] of goaways()) {
      t.is(code, E.NO_ERROR);
      t.true(id === 1 || id === 2 ** 31 - 1, `last_stream_id ${id}`);
    }
    // The stream in flight finishes.
    t.true(await c.until(() => c.body(1).ended));
    t.is(c.body(1).data.length, 100 * 1024);
    await closing;
  } finally {
    c.close();
  }
});
