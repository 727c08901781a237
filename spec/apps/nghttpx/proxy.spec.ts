/**
 * nghttpx end to end: our proxy (in process) in front of Debian's nghttpd (h2 backend, needs
 * nghttp2-server) and a Node http backend, driven by curl, Debian's nghttp (needs nghttp2-client)
 * and Node's http2 client.
 */
import test from 'ava';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http2 from 'http2';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { startNghttpx, NghttpxProxy } from '../../../lib/apps/nghttpx/proxy';
import { parseArgs } from '../../../lib/apps/nghttpx/options';
import { FIXTURES, HAS, rawHeader, runClient, sha256, startEchoBackend, startNghttpd } from './helpers';
import { deadPort } from '../../helpers/net';
import { expectQuietFor, waitFor } from '../../helpers/wait';

const needs = HAS.nghttpd && HAS.nghttp && HAS.curl;
// Interop with the real peers: needs nghttp2-server, nghttp2-client and curl.
const t_ = needs ? test : test.skip;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-spec-'));
const big = crypto.randomBytes(3 * 1024 * 1024 + 17);
fs.mkdirSync(path.join(dir, 'files'));
fs.writeFileSync(path.join(dir, 'files', 'big.bin'), big);
fs.writeFileSync(path.join(dir, 'files', '1k'), Buffer.alloc(1024, 'a'));
const accessLog = path.join(dir, 'access.log');
const customLog = path.join(dir, 'custom.log');

let echo: Awaited<ReturnType<typeof startEchoBackend>>;
let nghttpd: Awaited<ReturnType<typeof startNghttpd>>;
let proxy: NghttpxProxy;
let custom: NghttpxProxy;
const errors: string[] = [];
let h2c = '';
let tlsUrl = '';

test.before(async () => {
  if (!needs) return;
  echo = await startEchoBackend();
  nghttpd = await startNghttpd(dir);
  const dead = await deadPort();
  const key = path.join(FIXTURES, 'server.key');
  const crt = path.join(FIXTURES, 'server.crt');
  const parsed = parseArgs([
    '--conf=/dev/null',
    '-f127.0.0.1,0;no-tls',
    '-f127.0.0.1,0',
    `-b127.0.0.1,${echo.port}`,
    `-b127.0.0.1,${nghttpd.port};/files/;proto=h2`,
    `-b127.0.0.1,${dead};/dead/`,
    `--accesslog-file=${accessLog}`,
    '--add-x-forwarded-for',
    '--add-response-header=x-added: yes',
    '-o',
    key,
    crt,
  ]);
  if (parsed.kind !== 'run') throw new Error('bad args');
  proxy = await startNghttpx(parsed.options, { errorLog: (l) => errors.push(l) });
  h2c = `http://127.0.0.1:${proxy.ports[0]}`;
  tlsUrl = `https://127.0.0.1:${proxy.ports[1]}`;
  const p2 = parseArgs([
    '--conf=/dev/null',
    '-f127.0.0.1,0;no-tls',
    `-b127.0.0.1,${echo.port};/`,
    `-b127.0.0.1,${nghttpd.port};/files/;proto=h2`,
    `--accesslog-file=${customLog}`,
    '--accesslog-format=$remote_addr "$request" $status $body_bytes_sent $alpn $protocol_version $backend_host:$backend_port $method $path ${http_x_test}',
  ]);
  if (p2.kind !== 'run') throw new Error('bad args');
  custom = await startNghttpx(p2.options, { errorLog: () => undefined });
});

test.after.always(async () => {
  if (!needs) return;
  await proxy?.shutdown(2000);
  await custom?.shutdown(2000);
  await echo?.stop();
  await nghttpd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The JSON the echo backend answers with. */
const seenOf = (stdout: Buffer) =>
  JSON.parse(stdout.toString().split('\r\n\r\n').pop()!) as { url: string; rawHeaders: string[]; bodyLength: number; sha256: string };

t_('curl h2c prior knowledge: headers rewritten both ways as nghttpx does', async (t) => {
  const r = await runClient('curl', [
    '-si',
    '--http2-prior-knowledge',
    `${h2c}/hello?x=1`,
    '-H',
    'x-forwarded-for: 10.0.0.1',
    '-H',
    'x-forwarded-proto: ftp',
    '-H',
    'te: trailers',
  ]);
  t.is(r.code, 0);
  const text = r.stdout.toString();
  t.regex(text, /^HTTP\/2 200 \r\n/);
  t.regex(text, /\r\nserver: nghttpx\r\nvia: 1\.1 nghttpx\r\nx-added: yes\r\n/);
  t.notRegex(text, /echo-backend/);
  const seen = seenOf(r.stdout);
  t.is(seen.url, '/hello?x=1');
  t.is(rawHeader(seen.rawHeaders, 'via'), '2 nghttpx');
  t.is(rawHeader(seen.rawHeaders, 'x-forwarded-for'), '10.0.0.1, 127.0.0.1');
  t.is(rawHeader(seen.rawHeaders, 'x-forwarded-proto'), 'http');
  t.is(rawHeader(seen.rawHeaders, 'host'), `127.0.0.1:${proxy.ports[0]}`);
  t.is(rawHeader(seen.rawHeaders, 'te'), 'trailers');
});

t_('curl --http2 (Upgrade: h2c) and --http1.1 reach the backend; HTTP/1.1 keep-alive headers dropped', async (t) => {
  const up = await runClient('curl', ['-si', '--http2', `${h2c}/up`]);
  t.is(up.code, 0);
  t.regex(up.stdout.toString(), /^HTTP\/1\.1 101 Switching Protocols\r\n[^]*\r\nHTTP\/2 200 \r\n/);
  t.is(rawHeader(seenOf(up.stdout).rawHeaders, 'via'), '1.1 nghttpx'); // the request came as HTTP/1.1 (as Debian nghttpx says)
  const h1 = await runClient('curl', ['-si', '--http1.1', `${h2c}/one`, '-H', 'Keep-Alive: 5', '-H', 'Connection: keep-alive']);
  t.is(h1.code, 0);
  t.regex(h1.stdout.toString(), /^HTTP\/1\.1 200 OK\r\n/);
  t.regex(h1.stdout.toString(), /\r\nserver: nghttpx\r\nvia: 1\.1 nghttpx\r\n/i);
  const seen = seenOf(h1.stdout);
  t.is(rawHeader(seen.rawHeaders, 'via'), '1.1 nghttpx');
  t.is(rawHeader(seen.rawHeaders, 'keep-alive'), undefined);
});

t_('curl over TLS: ALPN h2 and http/1.1', async (t) => {
  const h2 = await runClient('curl', ['-sik', `${tlsUrl}/tls`]);
  t.is(h2.code, 0);
  t.regex(h2.stdout.toString(), /^HTTP\/2 200 \r\n/);
  t.is(rawHeader(seenOf(h2.stdout).rawHeaders, 'x-forwarded-proto'), 'https');
  const h1 = await runClient('curl', ['-sik', '--http1.1', `${tlsUrl}/tls1`]);
  t.is(h1.code, 0);
  t.regex(h1.stdout.toString(), /^HTTP\/1\.1 200 OK\r\n/);
  t.is(rawHeader(seenOf(h1.stdout).rawHeaders, 'via'), '1.1 nghttpx');
});

t_('routing by path to two backends: /files/ goes to nghttpd over h2 (via: 2 nghttpx), the rest to Node', async (t) => {
  const a = await runClient('curl', ['-si', '--http2-prior-knowledge', `${h2c}/files/1k`]);
  t.regex(a.stdout.toString(), /^HTTP\/2 200 \r\n/);
  t.regex(a.stdout.toString(), /\r\nserver: nghttpx\r\nvia: 2 nghttpx\r\n/);
  t.true(a.stdout.toString().endsWith('a'.repeat(1024)));
  const b = await runClient('curl', ['-s', '--http2-prior-knowledge', `${h2c}/filesx`]);
  t.is(seenOf(b.stdout).url, '/filesx');
  const c = await runClient('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--http2-prior-knowledge', `${h2c}/files/nope`]);
  t.is(c.stdout.toString(), '404');
});

t_('nghttp -nv (h2c) and -nvu (upgrade): SETTINGS as nghttpx sends them, response through nghttpd', async (t) => {
  for (const flags of ['-nv', '-nvu']) {
    const r = await runClient('/usr/bin/nghttp', [flags, `${h2c}/files/1k`]);
    t.is(r.code, 0, flags);
    const out = r.stdout.toString();
    t.true(
      out.includes(`recv SETTINGS frame <length=24, flags=0x00, stream_id=0>
          (niv=4)
          [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]
          [SETTINGS_INITIAL_WINDOW_SIZE(0x04):65535]
          [SETTINGS_NO_RFC7540_PRIORITIES(0x09):1]
          [SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1]`),
      flags,
    );
    t.regex(out, /recv \(stream_id=\d+\) :status: 200\n/);
    t.regex(out, /recv \(stream_id=\d+\) server: nghttpx\n[^\n]*recv \(stream_id=\d+\) via: 2 nghttpx\n/);
    t.regex(out, /recv DATA frame <length=1024, flags=0x0[01]/); // 0x00 when nghttpd sends its trailer
    if (flags === '-nvu') t.regex(out, /HTTP Upgrade success/);
  }
});

t_('a few MiB both ways, sha256 checked: Node http2 client, curl h2c, curl HTTP/1.1, curl TLS', async (t) => {
  const client = http2.connect(h2c);
  try {
    const get = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = client.request({ ':path': '/files/big.bin' });
      const chunks: Buffer[] = [];
      let status = 0;
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
      req.on('error', reject);
      req.end();
    });
    t.is(get.status, 200);
    t.is(sha256(get.body), sha256(big));
    const post = await new Promise<{ headers: http2.IncomingHttpHeaders }>((resolve, reject) => {
      const req = client.request({ ':method': 'POST', ':path': '/upload' });
      req.on('response', (h) => resolve({ headers: h }));
      req.on('error', reject);
      req.resume();
      req.end(big);
    });
    t.is(post.headers['x-body-length'], String(big.length));
    t.is(post.headers['x-sha256'], sha256(big));
  } finally {
    client.close();
  }
  const file = path.join(dir, 'upload.bin');
  fs.writeFileSync(file, big);
  for (const args of [
    ['--http2-prior-knowledge', `${h2c}/up-h2`],
    ['--http1.1', `${h2c}/up-h1`],
    ['-k', `${tlsUrl}/up-tls`],
  ]) {
    const r = await runClient('curl', ['-s', '-D', '-', '-o', '/dev/null', '--data-binary', `@${file}`, ...args]);
    t.is(r.code, 0, args.join(' '));
    t.regex(r.stdout.toString(), new RegExp(`x-sha256: ${sha256(big)}`, 'i'), args.join(' '));
  }
  const dl = await runClient('curl', ['-s', '--http1.1', `${h2c}/files/big.bin`]);
  t.is(sha256(dl.stdout), sha256(big));
  const dl2 = await runClient('curl', ['-s', '--http2-prior-knowledge', `${h2c}/bytes/2500000`, '-D', path.join(dir, 'h.txt')]);
  t.regex(fs.readFileSync(path.join(dir, 'h.txt'), 'latin1'), new RegExp(`x-sha256: ${sha256(dl2.stdout)}`));
  t.is(dl2.stdout.length, 2500000);
});

t_("a dead backend: 502 with nghttpx's page and headers, a WARN line, an access log line", async (t) => {
  const r = await runClient('curl', ['-si', '--http2-prior-knowledge', `${h2c}/dead/x`]);
  t.is(
    r.stdout.toString().replace(/date: [^\r]*/, 'date: D'),
    'HTTP/2 502 \r\ncontent-type: text/html; charset=UTF-8\r\nserver: nghttpx\r\ncontent-length: 129\r\ndate: D\r\n\r\n' +
      '<!DOCTYPE html><html lang="en"><title>502 Bad Gateway</title><body><h1>502 Bad Gateway</h1><footer>nghttpx</footer></body></html>',
  );
  const h1 = await runClient('curl', ['-si', '--http1.1', `${h2c}/dead/y`]);
  t.regex(h1.stdout.toString(), /^HTTP\/1\.1 502 Bad Gateway\r\n[^]*connection: close\r\n/i);
  t.true(
    errors.some((l) =>
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \d+ \d+ [0-9a-f]{8} WARN \(\S+\) Backend connect failed; addr=127\.0\.0\.1:\d+: errno=111$/.test(
        l,
      ),
    ),
  );
  t.regex(fs.readFileSync(accessLog, 'utf8'), /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/dead\/x HTTP\/2" 502 129 "-" "curl\/[^"]+"$/m);
});

t_('access log: default combined format (upgrade logged as HTTP/1.1) and custom format variables', async (t) => {
  await runClient('curl', ['-s', '--http2', `${h2c}/log-up`, '-H', 'Referer: http://r/']);
  await runClient('curl', ['-s', '--http1.1', `${h2c}/log-h1`]);
  const log = fs.readFileSync(accessLog, 'utf8');
  t.regex(
    log,
    /^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/log-up HTTP\/1\.1" 200 \d+ "http:\/\/r\/" "curl\/[^"]+"$/m,
  );
  t.regex(log, /"GET \/log-h1 HTTP\/1\.1" 200 \d+ "-" "curl\//);
  const base = `http://127.0.0.1:${custom.ports[0]}`;
  await runClient('curl', ['-s', '--http2-prior-knowledge', `${base}/files/1k`, '-H', 'x-test: T1']);
  await runClient('curl', ['-s', '--http1.1', `${base}/c?q=1`]);
  const lines = fs.readFileSync(customLog, 'utf8').trim().split('\n');
  t.true(
    lines.includes(`127.0.0.1 "GET /files/1k HTTP/2" 200 1024 h2c HTTP/2 127.0.0.1:${nghttpd.port} GET /files/1k T1`),
    lines.join('\n'),
  );
  t.true(
    lines.some((l) =>
      new RegExp(
        `^127\\.0\\.0\\.1 "GET /c\\?q=1 HTTP/1\\.1" 200 \\d+ http/1\\.1 HTTP/1\\.1 127\\.0\\.0\\.1:${echo.port} GET /c\\?q=1 -$`,
      ).test(l),
    ),
    lines.join('\n'),
  );
});

t_('-o prints the frontend frames to the error log with the printer', async (t) => {
  await runClient('/usr/bin/nghttp', ['-n', `${h2c}/files/1k`]);
  const text = errors.join('\n');
  t.regex(
    text,
    /send SETTINGS frame <length=24, flags=0x00, stream_id=0>\n {10}\(niv=4\)\n {10}\[SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):100\]/,
  );
  t.regex(text, /recv HEADERS frame <length=\d+, flags=0x25, stream_id=13>/);
  t.regex(text, /send DATA frame <length=1024, flags=0x0[01], stream_id=13>/);
});

t_('a backend that dies mid-body: the client sees an error (stream reset / cut connection), not a short body', async (t) => {
  const h2 = await runClient('curl', ['-s', '--http2-prior-knowledge', `${h2c}/die`, '-o', '/dev/null']);
  t.not(h2.code, 0);
  const h1 = await runClient('curl', ['-s', '--http1.1', `${h2c}/die`, '-o', '/dev/null']);
  t.is(h1.code, 18, 'curl: partial file');
  // The proxy still serves afterwards.
  const ok = await runClient('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--http2-prior-knowledge', `${h2c}/after-die`]);
  t.is(ok.stdout.toString(), '200');
});

t_(
  'an Upgrade the backend does not take: its plain answer is relayed, then the connection closes (WebSockets: websocket.spec)',
  async (t) => {
    const r = await runClient('curl', [
      '-si',
      '--http1.1',
      `${h2c}/ws`,
      '-H',
      'Connection: Upgrade',
      '-H',
      'Upgrade: websocket',
      '-H',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ]);
    t.is(r.code, 0);
    const text = r.stdout.toString();
    t.regex(text, /^HTTP\/1\.1 200 OK\r\n/);
    t.regex(text, /\r\nConnection: close\r\n/);
    // The backend saw the Upgrade, and curl decoded the relayed body.
    t.is(JSON.parse(/\{.*\}/s.exec(text)![0]).url, '/ws');
  },
);

t_(
  'clients that go away early or send junk cost only their own request: reset before the answer, bad HTTP2-Settings, garbage bytes',
  async (t) => {
    // Node's http2 client resets /slow (held 600 ms by the backend) once the backend has it.
    const client = http2.connect(h2c);
    await new Promise<void>((resolve) => {
      const req = client.request({ ':path': '/slow/reset' });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end();
      waitFor('the backend to receive /slow/reset', () => echo.seen.some((s) => s.url === '/slow/reset'))
        .catch(() => undefined)
        .finally(() => req.close(http2.constants.NGHTTP2_CANCEL));
    });
    client.close();
    // curl gives up on an HTTP/1.1 request before the backend answers.
    const cut = await runClient('curl', ['-s', '--http1.1', '-m', '0.2', `${h2c}/slow/h1-cut`]);
    t.is(cut.code, 28);
    const bad = await runClient('curl', [
      '-si',
      '--http1.1',
      `${h2c}/badsettings`,
      '-H',
      'Connection: Upgrade, HTTP2-Settings',
      '-H',
      'Upgrade: h2c',
      '-H',
      'HTTP2-Settings: !!!',
    ]);
    t.regex(bad.stdout.toString(), /^HTTP\/1\.1 400 /);
    const junk = await new Promise<string>((resolve) => {
      const s = net.connect(proxy.ports[0], '127.0.0.1', () => s.end('\x16\x03\x01 not http at all\r\n\r\n'));
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
    });
    t.regex(junk, /^(HTTP\/1\.1 400 |$)/);
    // Wait until the backend has sent its late answers to the requests it got, then check the proxy still serves.
    await waitFor('the backend to answer the /slow requests it received', () =>
      echo.seen.filter((s) => s.url.startsWith('/slow/')).every((s) => echo.answered.includes(s.url)),
    );
    const ok = await runClient('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--http2-prior-knowledge', `${h2c}/still-alive`]);
    t.is(ok.stdout.toString(), '200');
  },
);

t_('response trailers reach HTTP/2 clients, from an h2 backend (nghttpd --trailer) and from a chunked HTTP/1.1 backend', async (t) => {
  const client = http2.connect(h2c);
  try {
    for (const [p, name, value] of [
      ['/files/1k', 'x-trailer', 'from-nghttpd'],
      ['/trailers', 'x-checksum', 'abc'],
    ]) {
      const got = await new Promise<{ body: string; trailers: http2.IncomingHttpHeaders | undefined }>((resolve, reject) => {
        const req = client.request({ ':path': p });
        let body = '';
        let trailers: http2.IncomingHttpHeaders | undefined;
        req.on('trailers', (h) => (trailers = h));
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => resolve({ body, trailers }));
        req.on('error', reject);
        req.end();
      });
      t.is(got.trailers?.[name], value, p);
      t.true(got.body.length > 0);
    }
  } finally {
    client.close();
  }
});

// Needs h2load (nghttp2-client).
(needs && fs.existsSync('/usr/bin/h2load') ? test : test.skip)(
  'more streams than the h2 backend allows (nghttpd: 100) wait for one to close: 4 clients x 100 streams all answered',
  async (t) => {
    const r = await runClient('/usr/bin/h2load', ['-n', '800', '-c', '4', '-m', '100', `${h2c}/files/1k`]);
    t.is(r.code, 0);
    t.regex(r.stdout.toString(), /requests: 800 total, 800 started, 800 done, 800 succeeded, 0 failed/);
  },
);

t_('UNIX domain sockets: frontend unix:PATH, HTTP/1.1 backend unix:PATH', async (t) => {
  const http = await import('http');
  const backendPath = path.join(dir, 'backend.sock');
  const frontPath = path.join(dir, 'front.sock');
  const backend = http.createServer((req, res) => res.end(`unix ${req.url} ${req.headers.via}`));
  await new Promise<void>((r) => backend.listen(backendPath, r));
  const p = parseArgs(['--conf=/dev/null', `-funix:${frontPath};no-tls`, `-bunix:${backendPath}`]);
  if (p.kind !== 'run') throw new Error('bad args');
  const px = await startNghttpx(p.options, { errorLog: () => undefined });
  try {
    t.deepEqual(px.addresses, [`unix:${frontPath}`]);
    const h2 = await runClient('curl', ['-s', '--unix-socket', frontPath, '--http2-prior-knowledge', 'http://localhost/u2']);
    t.is(h2.stdout.toString(), 'unix /u2 2 nghttpx');
    const h1 = await runClient('curl', ['-s', '--unix-socket', frontPath, 'http://localhost/u1']);
    t.is(h1.stdout.toString(), 'unix /u1 1.1 nghttpx');
  } finally {
    await px.shutdown(1000);
    await new Promise<void>((r) => {
      backend.closeAllConnections();
      backend.close(() => r());
    });
  }
});

// The backend stream's body is piped to a client that reads nothing: the proxy should hold about a
// window's worth, not the whole 64 MiB response. (Http2Stream once released window for every DATA
// frame delivered, even into a full body Readable, so a stopped reader never stopped the peer.)
(needs ? test.serial : test.skip)('backpressure: a client that stops reading stops the h2 backend', async (t) => {
  // Written 1 MiB at a time, so that no 64 MiB buffer of our own blurs the measure.
  const fd = fs.openSync(path.join(dir, 'files', 'huge.bin'), 'w');
  const mib = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 64; i++) fs.writeSync(fd, mib);
  fs.closeSync(fd);
  const before = process.memoryUsage().arrayBuffers;
  const client = http2.connect(h2c);
  try {
    const req = client.request({ ':path': '/files/huge.bin' });
    req.on('error', () => undefined);
    req.pause();
    req.end();
    // For 3 s the proxy must not buffer 24 MiB for a client that reads nothing (the window ends
    // early, failing, once it has), so that a slow machine cannot hide a leak behind timing.
    let grown = 0;
    const leak = await expectQuietFor(
      3000,
      () => {
        grown = Math.max(grown, process.memoryUsage().arrayBuffers - before);
        return grown >= 24 * 1024 * 1024
          ? `the proxy buffered ${Math.round(grown / 1048576)} MiB for a client that read nothing`
          : undefined;
      },
      50,
    );
    t.log(`arrayBuffers grew by up to ${Math.round(grown / 1048576)} MiB`);
    t.is(leak, undefined);
  } finally {
    client.destroy();
    fs.rmSync(path.join(dir, 'files', 'huge.bin'));
  }
});
