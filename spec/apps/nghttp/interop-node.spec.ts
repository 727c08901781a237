/** nghttp against Node's built-in http2 server: bodies, uploads, trailers, errors, -s, -r, --json. */
import test from 'ava';
import * as fs from 'fs';
import * as http2 from 'http2';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { FIXTURES, freePort, runOurs } from './helpers';
import { deadPort } from '../../helpers/net';
import { harProblems } from './har-validate';

interface Seen {
  method?: string;
  headers?: http2.IncomingHttpHeaders;
  body?: Buffer;
  trailers?: Record<string, string | string[] | undefined>;
}

/** A cleartext HTTP/2 server with a few routes; the test closes it. */
async function withServer<T>(fn: (port: number, seen: Seen[]) => Promise<T>): Promise<T> {
  const seen: Seen[] = [];
  const big = Buffer.alloc(1 << 20, 'b');
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('checkContinue', (req, res) => {
    res.writeContinue();
    server.emit('request', req, res);
  });
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Seen = { method: req.method, headers: req.headers, body: Buffer.concat(chunks), trailers: req.trailers };
      seen.push(rec);
      switch (req.url) {
        case '/hello':
          res.setHeader('content-type', 'text/plain');
          res.end('hello\n');
          break;
        case '/gzip':
          res.setHeader('content-encoding', 'gzip');
          res.end(zlib.gzipSync('inflated text\n'));
          break;
        case '/echo':
          res.end(rec.body as Buffer);
          break;
        case '/big':
          res.end(big);
          break;
        case '/refuse':
          req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
          break;
        case '/reset':
          req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
          break;
        case '/goaway':
          req.stream.session?.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from('calm down'));
          break;
        case '/stuck-push':
          // Promise a push whose body never ends, then answer the request itself.
          res.createPushResponse({ ':path': '/pushed' }, (err, push) => {
            if (!err) {
              push.setHeader('content-type', 'text/plain');
              push.write('partial');
            }
            res.end('main\n');
          });
          break;
        case '/never':
          break; // no answer: the client's -t must give up
        default:
          res.statusCode = 404;
          res.end('not here\n');
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    return await fn(port, seen);
  } finally {
    for (const s of sessions) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('GET: body to stdout, exit 0; -n discards it; gzip bodies are inflated', async (t) => {
  await withServer(async (port) => {
    const r = await runOurs([`http://127.0.0.1:${port}/hello`, `http://127.0.0.1:${port}/gzip`]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'hello\ninflated text\n');
    const n = await runOurs(['-n', `http://127.0.0.1:${port}/hello`]);
    t.is(n.stdout, '');
    t.is(n.code, 0);
  });
});

test('-d - posts stdin with content-length; --trailer sends trailers; -H overrides :method and adds fields', async (t) => {
  await withServer(async (port, seen) => {
    const body = Buffer.from('x'.repeat(70000));
    const r = await runOurs(
      ['-d', '-', '--trailer', 'x-sum: 42', '-H', ':method: PUT', '-H', 'X-Thing: yes', `http://127.0.0.1:${port}/echo`],
      { input: body },
    );
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.length, body.length);
    t.is(seen[0].method, 'PUT');
    t.is(seen[0].headers?.['content-length'], '70000');
    t.is(seen[0].headers?.['x-thing'], 'yes');
    t.regex(String(seen[0].headers?.['user-agent']), /^nghttp2-ts\//);
    t.is(seen[0].trailers?.['x-sum'], '42');
    t.true(seen[0].body?.equals(body));
  });
});

test('--expect-continue waits for 100 Continue, then sends the body', async (t) => {
  await withServer(async (port, seen) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp-spec-'));
    const file = path.join(dir, 'up.txt');
    fs.writeFileSync(file, 'payload');
    try {
      const r = await runOurs(['-v', '--expect-continue', '-d', file, `http://127.0.0.1:${port}/echo`]);
      t.is(r.code, 0, r.stderr);
      t.is(seen[0].headers?.expect, '100-continue');
      t.is(seen[0].body?.toString(), 'payload');
      const lines = r.stdout.split('\n');
      const cont = lines.findIndex((l) => /recv \(stream_id=13\) :status: 100/.test(l));
      const data = lines.findIndex((l) => /send DATA frame .*stream_id=13/.test(l));
      t.true(cont > 0 && data > cont, 'DATA after the 100');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a large body with small windows (-w 16 -W 16) and a big one (-W 24) arrive whole', async (t) => {
  await withServer(async (port) => {
    for (const args of [
      ['-w', '16', '-W', '16'],
      ['-w', '20', '-W', '24'],
    ]) {
      const r = await runOurs([...args, `http://127.0.0.1:${port}/big`]);
      t.is(r.code, 0, r.stderr);
      t.is(r.stdout.length, 1 << 20);
    }
  });
});

test('RST_STREAM from the server: a message, the count, a non-zero exit', async (t) => {
  await withServer(async (port) => {
    const r = await runOurs(['-n', `http://127.0.0.1:${port}/hello`, `http://127.0.0.1:${port}/reset`]);
    t.is(r.code, 1);
    t.regex(r.stderr, /\/reset: the server reset stream 15 with INTERNAL_ERROR/);
    t.regex(r.stderr, /Some requests were not processed\. total=2, processed=1/);
  });
});

test('REFUSED_STREAM is retried (RFC 9113 section 8.7), a bounded number of times', async (t) => {
  await withServer(async (port, seen) => {
    const r = await runOurs(['-n', `http://127.0.0.1:${port}/refuse`]);
    t.is(r.code, 1);
    t.is(seen.length, 4, 'first try and three retries');
    t.regex(r.stderr, /\/refuse: the server reset stream 19 with REFUSED_STREAM/);
    t.regex(r.stderr, /total=1, processed=0/);
  });
});

test('GOAWAY with an error from the server: the code and debug data are shown, exit non-zero', async (t) => {
  await withServer(async (port) => {
    const r = await runOurs(['-n', `http://127.0.0.1:${port}/goaway`]);
    t.is(r.code, 1);
    t.regex(r.stderr, /GOAWAY with ENHANCE_YOUR_CALM .*calm down/);
    t.regex(r.stderr, /total=1, processed=0/);
  });
});

test('-t gives up on a request that gets no answer', async (t) => {
  await withServer(async (port) => {
    const r = await runOurs(['-n', '-t', '300ms', `http://127.0.0.1:${port}/never`]);
    t.is(r.code, 1);
    t.regex(r.stderr, /no complete response within 300 ms/);
    t.regex(r.stderr, /total=1, processed=0/);
  });
});

test('-r writes HAR 1.2 with every required field; -s prints one row per request', async (t) => {
  await withServer(async (port) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp-spec-'));
    const file = path.join(dir, 'out.har');
    try {
      const r = await runOurs(['-n', '-s', '-m', '2', '-r', file, `http://127.0.0.1:${port}/hello`, `http://127.0.0.1:${port}/missing`]);
      t.is(r.code, 0, r.stderr);
      const har = JSON.parse(fs.readFileSync(file, 'utf8'));
      t.deepEqual(harProblems(har), []);
      t.is(har.log.entries.length, 4);
      t.deepEqual(
        har.log.entries.map((e: { response: { status: number } }) => e.response.status),
        [200, 200, 404, 404],
      );
      t.is(har.log.entries[0].request.url, `http://127.0.0.1:${port}/hello`);
      t.is(har.log.entries[0].response.content.mimeType, 'text/plain');
      const rows = r.stdout.slice(r.stdout.indexOf('id  responseEnd')).trim().split('\n').slice(1);
      t.is(rows.length, 4);
      t.regex(rows.join('\n'), / 200 +6 \/hello/);
      t.regex(rows.join('\n'), / 404 +9 \/missing/);
      const stdoutHar = await runOurs(['-n', '-r', '-', `http://127.0.0.1:${port}/hello`]);
      t.deepEqual(harProblems(JSON.parse(stdoutHar.stdout)), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('--json: every line is a JSON object; frames carry their header lists', async (t) => {
  await withServer(async (port) => {
    const r = await runOurs(['-n', '--json', `http://127.0.0.1:${port}/hello`]);
    t.is(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.is(events[0].text, 'Connected');
    const sent = events.find((e) => e.dir === 'send' && e.type === 'HEADERS');
    t.is(sent.streamId, 13);
    t.deepEqual(sent.headers[1], [':path', '/hello']);
    t.truthy(events.find((e) => e.dir === 'recv' && e.type === 'HEADERS' && e.category === 'response'));
    t.is(events[events.length - 1].type, 'GOAWAY');
  });
});

test('URIs on two origins use two connections, one after the other', async (t) => {
  await withServer(async (p1) => {
    await withServer(async (p2) => {
      const r = await runOurs(['-v', `http://127.0.0.1:${p1}/hello`, `http://127.0.0.1:${p2}/gzip`]);
      t.is(r.code, 0, r.stderr);
      t.is((r.stdout.match(/\] Connected/g) ?? []).length, 2);
      t.regex(r.stdout, /hello\n[^]*inflated text\n/);
    });
  });
});

test('refused connection and unknown host: a message and exit 1', async (t) => {
  const port = await deadPort();
  const r = await runOurs([`http://127.0.0.1:${port}/`]);
  t.is(r.code, 1);
  t.regex(r.stderr, /Could not connect to the address 127\.0\.0\.1:\d+: connection refused/);
  t.regex(r.stderr, /Some requests were not processed\. total=1, processed=0/);
  const u = await runOurs(['http://no-such-host.invalid/']);
  t.is(u.code, 1);
  t.regex(u.stderr, /Could not resolve host 'no-such-host\.invalid'/);
});

test('a server that is not HTTP/2 (it closes at once): exit 1, not a hang', async (t) => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    const r = await runOurs([`http://127.0.0.1:${port}/`], { timeoutMs: 15000 });
    t.is(r.code, 1);
    t.regex(r.stderr, /total=1, processed=0/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('CLI: bad option, bad value, bad URI, --version, --help', async (t) => {
  const bad = await runOurs(['--bogus', 'http://x/']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /^nghttp: unrecognized option '--bogus'/);
  const val = await runOurs(['-p', '0', 'http://x/']);
  t.is(val.code, 1);
  t.regex(val.stderr, /-p: 0 is out of range/);
  const uri = await runOurs(['not-a-uri']);
  t.is(uri.code, 1);
  t.regex(uri.stderr, /Could not parse URI 'not-a-uri'/);
  const v = await runOurs(['--version']);
  t.is(v.code, 0);
  t.regex(v.stdout, /^nghttp nghttp2-ts\/\d+\.\d+\.\d+\n$/);
  const h = await runOurs(['-h']);
  t.is(h.code, 0);
  t.regex(h.stdout, /^Usage: nghttp \[OPTIONS\]\.\.\. <URI>\.\.\./);
  const nofile = await runOurs(['-d', '/nonexistent/file', 'http://127.0.0.1:1/']);
  t.is(nofile.code, 1);
  t.regex(nofile.stderr, /Could not open file \/nonexistent\/file/);
});

test('-u against an HTTP/1.1-only server: its answer is shown, the upgrade fails clearly', async (t) => {
  const http = await import('http');
  const server = http.createServer((_req, res) => res.end('plain http/1.1\n'));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    const r = await runOurs(['-nvu', `http://127.0.0.1:${port}/`]);
    t.is(r.code, 1);
    t.regex(r.stdout, /HTTP Upgrade response\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nplain http\/1\.1\n/);
    t.regex(r.stderr, /HTTP Upgrade failed: the server answered 200 OK/);
    t.regex(r.stderr, /total=1, processed=0/);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('--cert/--key present a client certificate; --color colours the trace', async (t) => {
  const fixtures = FIXTURES;
  const key = fs.readFileSync(path.join(fixtures, 'server.key'));
  const cert = fs.readFileSync(path.join(fixtures, 'server.crt'));
  const server = http2.createSecureServer({ key, cert, requestCert: true, rejectUnauthorized: false });
  let subject: string | undefined;
  server.on('stream', (stream) => {
    const peer = (stream.session!.socket as import('tls').TLSSocket).getPeerCertificate();
    subject = peer?.subject ? String(peer.subject.CN) : undefined;
    stream.respond({ ':status': 200 });
    stream.end('tls ok\n');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    const r = await runOurs([
      '-y',
      '--color',
      '-v',
      '--cert',
      path.join(fixtures, 'server.crt'),
      '--key',
      path.join(fixtures, 'server.key'),
      `https://127.0.0.1:${port}/`,
    ]);
    t.is(r.code, 0, r.stderr);
    t.is(subject, 'localhost');
    t.true(r.stdout.includes('tls ok\n'));
    t.true(r.stdout.includes('\x1b['), 'ANSI colour codes');
    const missing = await runOurs(['-y', '--cert', '/nonexistent.pem', '--key', '/nonexistent.key', `https://127.0.0.1:${port}/`]);
    t.is(missing.code, 1);
    t.regex(missing.stderr, /--key: '\/nonexistent\.key' does not exist/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a pushed stream the server never finishes does not keep us forever (-t bounds the wait)', async (t) => {
  await withServer(async (port) => {
    // -t 3s: long enough for the main response on a loaded machine, short against the 15 s bound.
    const r = await runOurs(['-t', '3s', `http://127.0.0.1:${port}/stuck-push`], { timeoutMs: 15000 });
    t.is(r.code, 0, r.stderr);
    t.true(r.stdout.includes('main\n'));
  });
});
