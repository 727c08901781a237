/**
 * nghttp against Debian's nghttpd (h2c and TLS) and nghttpx (h2c Upgrade), compared line by line
 * with the real /usr/bin/nghttp on the same server (needs nghttp2-client, nghttp2-server and
 * nghttp2-proxy; skipped otherwise).
 */
import anyTest, { TestFn } from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { byStream, maskLine, parseTrace } from './compare';
import { FIXTURES, freePort, hasEndStream, holdingRelay, makeDocroot, NGHTTP_BIN, Proc, runCmd, runOurs, startServer } from './helpers';

const HAVE = fs.existsSync('/usr/bin/nghttp') && fs.existsSync('/usr/sbin/nghttpd') && fs.existsSync('/usr/sbin/nghttpx');
const test = (HAVE ? anyTest : anyTest.skip) as TestFn<unknown>;

let dir = '';
let h2c: Proc | undefined;
let tls: Proc | undefined;
let proxy: Proc | undefined;
let h2cPort = 0;
let tlsPort = 0;
let proxyPort = 0;

anyTest.before(async () => {
  if (!HAVE) return;
  dir = makeDocroot();
  h2cPort = await freePort();
  h2c = await startServer(
    '/usr/sbin/nghttpd',
    ['--no-tls', '--echo-upload', '-p/=/style.css,/app.js', '-d', dir, String(h2cPort)],
    h2cPort,
  );
  tlsPort = await freePort();
  tls = await startServer(
    '/usr/sbin/nghttpd',
    ['-d', dir, String(tlsPort), path.join(FIXTURES, 'server.key'), path.join(FIXTURES, 'server.crt')],
    tlsPort,
  );
  proxyPort = await freePort();
  proxy = await startServer(
    '/usr/sbin/nghttpx',
    [
      '--conf=/dev/null',
      '--single-process',
      '-L',
      'FATAL',
      `--frontend=127.0.0.1,${proxyPort};no-tls`,
      `--backend=127.0.0.1,${h2cPort};/;proto=h2`,
    ],
    proxyPort,
  );
});

anyTest.after.always(async () => {
  await Promise.all([h2c?.stop(), tls?.stop(), proxy?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Run both and compare: the same sent frames in the same order, the same received frames in the
 * same order on each stream, the same notes; SETTINGS ACKs are left out because whether the reference gets to
 * send its ACK before its GOAWAY depends on how the server's bytes were split.
 */
async function compare(t: import('ava').ExecutionContext, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  const [ref, ours] = await Promise.all([runCmd('/usr/bin/nghttp', args, { cwd: dir }), runOurs(args, { cwd: dir, env: opts.env })]);
  t.is(ref.code, 0, ref.stderr);
  t.is(ours.code, 0, ours.stderr);
  const a = parseTrace(ref.stdout, { dropSettingsAck: true });
  const b = parseTrace(ours.stdout, { dropSettingsAck: true });
  t.true(a.send.length > 0);
  t.deepEqual(b.other, a.other, 'notes');
  t.deepEqual(b.send, a.send, 'sent frames');
  t.deepEqual(byStream(b.recv), byStream(a.recv), 'received frames, per stream');
  t.regex(ours.stdout.split('\n')[0], /^\[ *\d+\.\d{3}\] Connected$/);
  t.regex(
    ours.stdout,
    /send GOAWAY frame <length=8, flags=0x00, stream_id=0>\n {10}\(last_stream_id=\d+, error_code=NO_ERROR\(0x00\), opaque_data\(0\)=\[\]\)\n$/,
  );
  return { ref, ours };
}

test('-nv: the same frames as the real nghttp (h2c, server push)', async (t) => {
  await compare(t, ['-nv', `http://127.0.0.1:${h2cPort}/`]);
});

test('-nv with two URIs, one a 404, on one connection', async (t) => {
  await compare(t, ['-nv', `http://127.0.0.1:${h2cPort}/1k`, `http://127.0.0.1:${h2cPort}/nope`]);
});

test('-nv -d with padding and a trailer (echo upload)', async (t) => {
  await compare(t, ['-nv', '-b', '8', '--trailer=x-cli-trailer:yes', '-d', 'app.js', `http://127.0.0.1:${h2cPort}/echo`]);
});

test('-nv --continuation shows one HEADERS line for the split block', async (t) => {
  const { ours } = await compare(t, ['-nv', '--continuation', `http://127.0.0.1:${h2cPort}/1k`]);
  t.regex(ours.stdout, /send HEADERS frame <length=185\d\d, flags=0x25, stream_id=13>/);
});

test('-nva: assets by priority, pushed ones not fetched again; -s table', async (t) => {
  await compare(t, ['-nva', `http://127.0.0.1:${h2cPort}/`]);
  const s = await runOurs(['-nas', `http://127.0.0.1:${h2cPort}/`]);
  t.is(s.code, 0);
  const rows = s.stdout.slice(s.stdout.indexOf('id  responseEnd')).trim().split('\n').slice(1);
  t.deepEqual(rows.map((r) => r.trim().split(/\s+/).pop()).sort(), ['/', '/1k', '/app.js', '/late.js', '/style.css']);
  t.true(
    rows.some((r) => /^ {2}2 +\+\S+ \*/.test(r)),
    'pushed row marked with *',
  );
});

test('-nv -m 2 -p 200 --no-dep', async (t) => {
  await compare(t, ['-nv', '-m', '2', '-p', '200', '--no-dep', `http://127.0.0.1:${h2cPort}/1k`]);
});

test('TLS with ALPN: -nvy matches the reference; without -y a bad certificate is refused', async (t) => {
  const { ours } = await compare(t, ['-nvy', `https://127.0.0.1:${tlsPort}/1k`]);
  t.regex(ours.stdout, /^\[ *\d+\.\d{3}\] Connected\nThe negotiated protocol: h2\n/);
  const refused = await runOurs(['-n', `https://127.0.0.1:${tlsPort}/1k`]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /Certificate verification failed: self-signed certificate/);
  t.regex(refused.stderr, /Some requests were not processed\. total=1, processed=0/);
  // Trusting the fixture's certificate makes it verify: no -y needed.
  const trusted = await runOurs([`https://localhost:${tlsPort}/1k`], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(FIXTURES, 'server.crt') },
  });
  t.is(trusted.code, 0, trusted.stderr);
  t.is(trusted.stdout, 'a'.repeat(1024));
  // Run as users run it: bin/nghttp's #! line moves NODE_EXTRA_CA_CERTS aside (Node would parse it
  // at every start) and nghttp reads it for its first TLS connection; trusted all the same.
  const ca = path.join(FIXTURES, 'server.crt');
  const launched = await runCmd(NGHTTP_BIN, ['-n', `https://localhost:${tlsPort}/1k`], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: ca },
  });
  t.is(launched.code, 0, launched.stderr);
  const { NODE_EXTRA_CA_CERTS: _unused, ...without } = process.env;
  const untrusted = await runCmd(NGHTTP_BIN, ['-n', `https://localhost:${tlsPort}/1k`], { env: without });
  t.is(untrusted.code, 1);
  t.regex(untrusted.stderr, /Certificate verification failed/);
});

test('-u through nghttpx: HTTP/1.1 Upgrade, then the same frames as the reference', async (t) => {
  const { ours } = await compare(t, ['-nvu', `http://127.0.0.1:${proxyPort}/1k`, `http://127.0.0.1:${proxyPort}/style.css`]);
  t.regex(
    ours.stdout,
    /HTTP Upgrade request\nGET \/1k HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: [\w-]+\r\naccept: \*\/\*\r\nuser-agent: nghttp2-ts\/[\d.]+\r\n\r\n/,
  );
  // RFC 7540 section 3.2.1: the token is a SETTINGS payload; it names MAX_CONCURRENT_STREAMS=100.
  const token = /http2-settings: ([\w-]+)/.exec(ours.stdout)![1];
  const payload = Buffer.from(token, 'base64url');
  t.is(payload.length % 6, 0);
  t.true(payload.includes(Buffer.from([0, 3, 0, 0, 0, 100])));
  t.regex(ours.stdout, /HTTP Upgrade response\nHTTP\/1\.1 101 Switching Protocols\r\n/);
  t.regex(ours.stdout, /HTTP Upgrade success/);
});

test('-u -d: the upgrade goes as OPTIONS *, the POST on stream 13', async (t) => {
  const { ours } = await compare(t, ['-nvu', '-d', 'style.css', `http://127.0.0.1:${proxyPort}/echo`]);
  t.regex(ours.stdout, /OPTIONS \* HTTP\/1\.1\r\n/);
  t.regex(ours.stdout, /send HEADERS frame <length=\d+, flags=0x24, stream_id=13>/);
});

test('-u against nghttpd (no Upgrade support): a clear error and a non-zero exit', async (t) => {
  const r = await runOurs(['-nvu', `http://127.0.0.1:${h2cPort}/`]);
  t.is(r.code, 1);
  t.regex(r.stderr, /Failed to parse HTTP Upgrade response header: Expected HTTP\//);
  t.regex(r.stderr, /Some requests were not processed\. total=1, processed=0/);
});

test('the body goes to stdout unless -n', async (t) => {
  const r = await runOurs([`http://127.0.0.1:${h2cPort}/1k`, `http://127.0.0.1:${h2cPort}/style.css`]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'a'.repeat(1024) + 'body{color:red}\n');
});

test('--hexdump shows the incoming bytes in canonical hex+ASCII, starting with the server SETTINGS', async (t) => {
  const r = await runOurs(['-n', '--hexdump', `http://127.0.0.1:${h2cPort}/1k`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^00000000 {2}00 00 06 04 00 00 00 00 {2}00 00 03 00 00 00 64 /);
  t.regex(r.stdout, /\|\.\.\.\.\.\.\.\.\.\.\.\.\.\.d/);
});

test('-v without -n: each body is written just before its DATA frame line, as the reference', async (t) => {
  const r = await runOurs(['-v', `http://127.0.0.1:${h2cPort}/style.css`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /; First response header\nbody\{color:red\}\n\[ *\d+\.\d{3}\] recv DATA frame <length=16, flags=0x01, stream_id=13>/);
});

test('-c: a 0 table, and several -c values announced smallest first, still decode every response', async (t) => {
  const zero = await runOurs(['-nv', '-c', '0', `http://127.0.0.1:${h2cPort}/1k`, `http://127.0.0.1:${h2cPort}/style.css`]);
  t.is(zero.code, 0, zero.stderr);
  t.regex(zero.stdout, /\[SETTINGS_HEADER_TABLE_SIZE\(0x01\):0\]/);
  const multi = await runOurs([
    '-nv',
    '-c',
    '4096',
    '-c',
    '100',
    '-c',
    '200',
    `http://127.0.0.1:${h2cPort}/1k`,
    `http://127.0.0.1:${h2cPort}/1k?x`,
  ]);
  t.is(multi.code, 0, multi.stderr);
  const sizes = [...multi.stdout.matchAll(/\[SETTINGS_HEADER_TABLE_SIZE\(0x01\):(\d+)\]/g)].map((m) => Number(m[1]));
  t.deepEqual(sizes, [100, 200]);
});

test('-M 1: only one request goes out before the server announces its own limit', async (t) => {
  const u = (p: string) => `http://127.0.0.1:${h2cPort}${p}`;
  const r = await runOurs(['-nv', '-M', '1', u('/1k'), u('/style.css'), u('/app.js')]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const settings = lines.findIndex((l) => /recv SETTINGS frame <length=6, flags=0x00/.test(l));
  const h13 = lines.findIndex((l) => /send HEADERS frame .*stream_id=13>/.test(l));
  const h15 = lines.findIndex((l) => /send HEADERS frame .*stream_id=15>/.test(l));
  t.true(h13 > 0 && settings > 0 && h15 > settings, `13 at ${h13}, SETTINGS at ${settings}, 15 at ${h15}`);
});

test('a server allowing 1 stream refuses what came before its SETTINGS: those requests are sent again', async (t) => {
  const port = await freePort();
  const one = await startServer('/usr/sbin/nghttpd', ['--no-tls', '-m', '1', '-d', dir, String(port)], port);
  try {
    const u = (p: string) => `http://127.0.0.1:${port}${p}`;
    const r = await runOurs([u('/1k'), u('/style.css'), u('/app.js'), u('/late.js')]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'a'.repeat(1024) + 'body{color:red}\n' + 'console.log(1)\n' + 'x\n');
    t.is(r.stderr, '');
  } finally {
    await one.stop();
  }
});

test('-vv adds the reference data-chunk lines (before the payload and the DATA frame line)', async (t) => {
  const { ours } = await compare(t, ['-nvv', `http://127.0.0.1:${h2cPort}/1k`]);
  t.regex(ours.stdout, /recv \(stream_id=13, length=1024, srecv=1024, crecv=1024\) DATA\n\[ *\d+\.\d{3}\] recv DATA frame <length=1024/);
});

test('--no-push turns push off; --max-concurrent-streams and --no-content-length shape what is sent', async (t) => {
  const r = await runOurs(
    [
      '-nv',
      '--no-push',
      '--max-concurrent-streams=7',
      '--no-content-length',
      '-d',
      'style.css',
      `http://127.0.0.1:${h2cPort}/echo`,
      `http://127.0.0.1:${h2cPort}/`,
    ],
    { cwd: dir },
  );
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\[SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):7\]/);
  t.regex(r.stdout, /\[SETTINGS_ENABLE_PUSH\(0x02\):0\]/);
  t.notRegex(r.stdout, /PUSH_PROMISE/);
  t.notRegex(r.stdout, /^ {10}content-length: /m);
  const ref = await runCmd('/usr/bin/nghttp', ['-nv', '--no-push', `http://127.0.0.1:${h2cPort}/`]);
  t.notRegex(ref.stdout, /PUSH_PROMISE/);
});

// RFC 7540 section 3.2.1: HTTP2-Settings carries the payload of the SETTINGS frame we then send.
test("-u: the HTTP2-Settings token is the reference's (the same payload as our SETTINGS frame)", async (t) => {
  const r = await runOurs(['-nvu', `http://127.0.0.1:${proxyPort}/1k`]);
  t.regex(r.stdout, /http2-settings: AAMAAABkAAQAAP__\r\n/);
});

async function lineByLine(t: import('ava').ExecutionContext, path: string, endStreams: number[], extra: string[] = []) {
  // The relay releases nghttpd's bytes once the given streams have ended, so both clients send
  // everything first and then read the whole answer at once.
  const relay = await holdingRelay(h2cPort, (b) => endStreams.every((id) => hasEndStream(b, id)));
  try {
    const args = ['-nv', ...extra, `http://127.0.0.1:${relay.port}${path}`];
    const [ref, ours] = await Promise.all([runCmd('/usr/bin/nghttp', args), runOurs(args)]);
    t.is(ref.code, 0, ref.stderr);
    t.is(ours.code, 0, ours.stderr);
    // Whether the reference still writes its SETTINGS ACK before its GOAWAY depends on nghttp2's
    // queueing; both ACK blocks are dropped, everything else must match line for line.
    const norm = (s: string) => {
      const out: string[] = [];
      const lines = s.split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (/^\[ *\d+\.\d{3}\] send SETTINGS frame <length=0, flags=0x01/.test(lines[i])) {
          i += 2;
          continue;
        }
        out.push(maskLine(lines[i]));
      }
      return out;
    };
    const a = norm(ref.stdout);
    const b = norm(ours.stdout);
    t.true(a.length > 30);
    t.deepEqual(b, a);
  } finally {
    await relay.close();
  }
}

test('line by line: with the server answer delivered in one read, the whole -nv output equals the reference', async (t) => {
  await lineByLine(t, '/1k', [13]);
});

test('line by line, with server push', async (t) => {
  await lineByLine(t, '/', [13, 2, 4]);
});

test('--encoder-header-table-size=0: no dynamic table, so a repeated request is not smaller (as the reference)', async (t) => {
  const u = (p: string) => `http://127.0.0.1:${h2cPort}${p}`;
  const { ours, ref } = await compare(t, ['-nv', '--encoder-header-table-size=0', u('/1k'), u('/1k?a')]);
  const lens = (s: string) => [...s.matchAll(/send HEADERS frame <length=(\d+)/g)].map((m) => Number(m[1]));
  const [a13, a15] = lens(ref.stdout);
  const [b13, b15] = lens(ours.stdout);
  t.is(b15 - b13, a15 - a13);
  t.true(b15 >= b13);
});

test('--no-push -c 0 --no-rfc7540-pri: the same SETTINGS entries in the same order as the reference', async (t) => {
  const { ours } = await compare(t, ['-nv', '--no-push', '-c', '0', '--no-rfc7540-pri', `http://127.0.0.1:${h2cPort}/1k`]);
  t.regex(
    ours.stdout,
    /\(niv=5\)\n {10}\[SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):100\]\n {10}\[SETTINGS_INITIAL_WINDOW_SIZE\(0x04\):65535\]\n {10}\[SETTINGS_HEADER_TABLE_SIZE\(0x01\):0\]\n {10}\[SETTINGS_ENABLE_PUSH\(0x02\):0\]\n {10}\[SETTINGS_NO_RFC7540_PRIORITIES\(0x09\):1\]\n/,
  );
});

test('-W 20: SETTINGS, the PRIORITY anchors, then the connection WINDOW_UPDATE, as the reference', async (t) => {
  const { ours } = await compare(t, ['-nv', '-W', '20', `http://127.0.0.1:${h2cPort}/1k`]);
  const sends = [...ours.stdout.matchAll(/send (\w+) frame <length=\d+, flags=0x[0-9a-f]+, stream_id=(\d+)>/g)].map(
    (m) => `${m[1]}/${m[2]}`,
  );
  t.deepEqual(sends.filter((s) => s !== 'SETTINGS/0').slice(0, 7), [
    'PRIORITY/3',
    'PRIORITY/5',
    'PRIORITY/7',
    'PRIORITY/9',
    'PRIORITY/11',
    'WINDOW_UPDATE/0',
    'HEADERS/13',
  ]);
  t.regex(ours.stdout, /send WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=0>\n {10}\(window_size_increment=983040\)\n/);
});

test('-W 10 on a small response: no connection WINDOW_UPDATE (the window shrinks without a frame); -w 10 as the reference', async (t) => {
  const { ours } = await compare(t, ['-nv', '-W', '10', `http://127.0.0.1:${h2cPort}/1k`]);
  t.notRegex(ours.stdout, /send WINDOW_UPDATE/);
  await compare(t, ['-nv', '-w', '10', `http://127.0.0.1:${h2cPort}/1k`]);
});

test('-c given twice: both HEADER_TABLE_SIZE entries in one SETTINGS frame, as the reference; every response decodes', async (t) => {
  const u = (p: string) => `http://127.0.0.1:${h2cPort}${p}`;
  for (const sizes of [
    ['0', '4096'],
    ['100', '0'],
    ['0', '4096', '--no-push'],
  ]) {
    const [a, b, ...rest] = sizes;
    const { ours } = await compare(t, ['-nv', '-c', a, '-c', b, ...rest, u('/1k'), u('/1k?again')]);
    t.is(ours.stdout.match(/send SETTINGS frame <length=\d+, flags=0x00/g)?.length, 1);
    if (a === '0') t.regex(ours.stdout, /\[SETTINGS_HEADER_TABLE_SIZE\(0x01\):0\]\n {10}\[SETTINGS_HEADER_TABLE_SIZE\(0x01\):4096\]\n/);
    t.is(ours.stdout.match(/recv \(stream_id=1[35]\) :status: 200/g)?.length, 2);
  }
});

test('--continuation -b 10: the split header block goes unpadded, as the reference', async (t) => {
  const { ours } = await compare(t, ['-nv', '--continuation', '-b', '10', `http://127.0.0.1:${h2cPort}/1k`]);
  t.regex(
    ours.stdout,
    /send HEADERS frame <length=\d+, flags=0x25, stream_id=13>\n {10}; END_STREAM \| END_HEADERS \| PRIORITY\n {10}\(padlen=0,/,
  );
});

test("-W 10 on a 100 kB response: the window is taken back from the server's 65535 as the reference does; -vv crecv stays within 1023", async (t) => {
  fs.writeFileSync(path.join(dir, '100k'), Buffer.alloc(100000, 'b'));
  const args = ['-nvv', '-W', '10', `http://127.0.0.1:${h2cPort}/100k`];
  const [ref, ours] = await Promise.all([runCmd('/usr/bin/nghttp', args, { cwd: dir }), runOurs(args, { cwd: dir })]);
  for (const [name, r] of [
    ['reference', ref],
    ['ours', ours],
  ] as const) {
    t.is(r.code, 0, `${name}: ${r.stderr}`);
    const chunks = [...r.stdout.matchAll(/recv \(stream_id=13, length=(\d+), srecv=\d+, crecv=(\d+)\) DATA/g)];
    t.is(
      chunks.reduce((a, m) => a + Number(m[1]), 0),
      100000,
      name,
    );
    t.true(
      chunks.every((m) => Number(m[2]) <= 1023),
      name,
    );
    // The server could send 65535 octets before any connection WINDOW_UPDATE; each later one
    // returns at most a small window's worth.
    const updates = [
      ...r.stdout.matchAll(/send WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=0>\n {10}\(window_size_increment=(\d+)\)/g),
    ].map((m) => Number(m[1]));
    t.true(updates.length > 5, name);
  }
  // Frames sent up to the request are the same.
  const head = (s: string) => {
    const send = parseTrace(s, { dropSettingsAck: true }).send;
    return send.slice(0, send.findIndex((b) => b.includes('send HEADERS')) + 1);
  };
  t.true(head(ref.stdout).length === 7);
  t.deepEqual(head(ours.stdout), head(ref.stdout));
  // After the last DATA only the GOAWAY goes out: a WINDOW_UPDATE still queued is dropped.
  t.deepEqual(sendsAfterLastData(ref.stdout), ['GOAWAY/0'], 'reference');
  t.deepEqual(sendsAfterLastData(ours.stdout), ['GOAWAY/0'], 'ours');
});

/**
 * The frames sent after the DATA that ends stream 13, as TYPE/stream. nghttp2 drops a
 * WINDOW_UPDATE still queued once the session is closing (its GOAWAY is queued) or its stream is
 * closed, so the real nghttp sends only its GOAWAY there.
 */
function sendsAfterLastData(stdout: string): string[] {
  const m = /recv DATA frame <length=\d+, flags=0x0[19], stream_id=13>\n {10}; END_STREAM\n/.exec(stdout);
  if (m === null) return ['(no final DATA)'];
  const rest = stdout.slice(m.index + m[0].length);
  return [...rest.matchAll(/send (\w+) frame <length=\d+, flags=0x[0-9a-f]+, stream_id=(\d+)>/g)].map((x) => `${x[1]}/${x[2]}`);
}

// 100000 octets leave a consumed remainder that would be returned after the last DATA (the case
// that differed); 100 KiB ends on a window boundary.
for (const [name, size] of [
  ['100KiB', 100 * 1024],
  ['100000b', 100000],
] as const)
  for (const flag of ['-W', '-w']) {
    test(`-nv ${flag} 10 on a ${size}-octet response: no WINDOW_UPDATE after the final DATA, as the reference; the same kinds of frames sent`, async (t) => {
      const file = `${name}${flag}`;
      fs.writeFileSync(path.join(dir, file), Buffer.alloc(size, 'c'));
      const args = ['-nv', flag, '10', `http://127.0.0.1:${h2cPort}/${file}`];
      const [ref, ours] = await Promise.all([runCmd('/usr/bin/nghttp', args, { cwd: dir }), runOurs(args, { cwd: dir })]);
      t.is(ref.code, 0, ref.stderr);
      t.is(ours.code, 0, ours.stderr);
      t.deepEqual(sendsAfterLastData(ref.stdout), ['GOAWAY/0'], 'reference');
      t.deepEqual(sendsAfterLastData(ours.stdout), ['GOAWAY/0'], 'ours');
      // Window updates on the same streams in both, among them the one the flag shrank.
      const kinds = (out: string) =>
        [...new Set([...out.matchAll(/send WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=(\d+)>/g)].map((x) => x[1]))].sort();
      t.deepEqual(kinds(ours.stdout), kinds(ref.stdout));
      t.true(kinds(ref.stdout).includes(flag === '-W' ? '0' : '13'));
      // The last sent frame is the same GOAWAY, and the received DATA adds up to the file.
      const data = (out: string) =>
        [...out.matchAll(/recv DATA frame <length=(\d+), flags=0x0[01], stream_id=13>/g)].reduce((a, x) => a + Number(x[1]), 0);
      t.is(data(ours.stdout), size);
      t.is(data(ref.stdout), size);
      const last = (out: string) => parseTrace(out, { dropSettingsAck: true }).send.at(-1);
      t.is(last(ours.stdout), last(ref.stdout));
    });
  }

test('first flight: the ACK of the server SETTINGS read first goes out second, before the anchors, as the reference', async (t) => {
  // Which side writes first is a race (the server's SETTINGS may not have arrived yet); the rule
  // holds either way: the ACK is the first frame sent after the server's SETTINGS is received.
  const frameLines = (out: string) =>
    out
      .split('\n')
      .map((l) => /^\[ *\d+\.\d{3}\] ((send|recv) [A-Z_]+ frame <length=\d+, flags=0x\d\d)/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined);
  let readFirst = 0;
  for (const run of [1, 2, 3]) {
    const [ref, ours] = await Promise.all([
      runCmd('/usr/bin/nghttp', ['-nv', `http://127.0.0.1:${h2cPort}/1k`]),
      runOurs(['-nv', `http://127.0.0.1:${h2cPort}/1k`]),
    ]);
    for (const [who, r] of [
      ['reference', ref],
      ['ours', ours],
    ] as const) {
      t.is(r.code, 0, r.stderr);
      const lines = frameLines(r.stdout);
      const recv = lines.indexOf('recv SETTINGS frame <length=6, flags=0x00');
      t.true(recv >= 0, `${who} run ${run}: the server's SETTINGS`);
      const ack = lines.indexOf('send SETTINGS frame <length=0, flags=0x01');
      const sentAfter = lines.slice(recv + 1).filter((l) => l.startsWith('send'));
      if (recv === 0) {
        if (who === 'ours') readFirst++;
        t.deepEqual(
          lines.slice(0, 3),
          [lines[0], 'send SETTINGS frame <length=12, flags=0x00', 'send SETTINGS frame <length=0, flags=0x01'],
          `${who} run ${run}`,
        );
        t.regex(lines[3], /^send PRIORITY/, `${who} run ${run}: the anchors after the ACK`);
      } else if (ack >= 0) {
        // (The reference may end before it sends the ACK at all: its GOAWAY can go out first.)
        t.is(lines[ack], sentAfter[0], `${who} run ${run}: the ACK is the first frame sent after the SETTINGS read`);
      }
    }
  }
  t.log(`ours read the server's SETTINGS first in ${readFirst} of 3 runs`);
});
