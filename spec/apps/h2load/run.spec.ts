/**
 * h2load end to end: our bin/h2load against our bin/nghttpd and Debian's nghttpd (needs
 * nghttp2-server), and side by side with Debian's h2load (needs nghttp2-client) on the same server.
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parseSummary, ParsedSummary } from '../../../lib/apps/h2load/parse';
import { FIXTURES, h2load, makeDocroot, OUR_NGHTTPD, run, Server, startServer } from './helpers';
import { deadPort } from '../../helpers/net';

const HAVE_NGHTTPD = fs.existsSync('/usr/sbin/nghttpd');
const HAVE_H2LOAD = fs.existsSync('/usr/bin/h2load');
const HAVE_NGHTTPX = fs.existsSync('/usr/sbin/nghttpx');
const withNghttpd = HAVE_NGHTTPD ? test : test.skip;
const withBoth = HAVE_NGHTTPD && HAVE_H2LOAD ? test : test.skip;
const withNghttpx = HAVE_NGHTTPD && HAVE_NGHTTPX ? test : test.skip;

let docroot: string;
let ours: Server;
let debian: Server | undefined;
let debianTls: Server | undefined;
let proxy: Server | undefined;

test.before(async () => {
  docroot = makeDocroot();
  ours = await startServer(process.execPath, [OUR_NGHTTPD, '--no-tls', '-d', docroot, '{port}']);
  if (HAVE_NGHTTPD) {
    debian = await startServer('/usr/sbin/nghttpd', ['--no-tls', '-d', docroot, '{port}']);
    debianTls = await startServer('/usr/sbin/nghttpd', [
      '-d',
      docroot,
      '{port}',
      path.join(FIXTURES, 'server.key'),
      path.join(FIXTURES, 'server.crt'),
    ]);
  }
  if (HAVE_NGHTTPD && HAVE_NGHTTPX) {
    proxy = await startServer('/usr/sbin/nghttpx', [
      '--conf=/dev/null',
      '-f127.0.0.1,{port};no-tls',
      `-b127.0.0.1,${debian!.port};;proto=h2`,
    ]);
  }
});

test.after.always(async () => {
  await Promise.all([ours, debian, debianTls, proxy].map((s) => s?.stop()));
  fs.rmSync(docroot, { recursive: true, force: true });
});

const url = (s: Server, p = '/1k', scheme = 'http') => `${scheme}://127.0.0.1:${s.port}${p}`;

function ok(
  t: { is: (a: unknown, b: unknown, m?: string) => void },
  r: { code: number | null; stdout: string; stderr: string },
): ParsedSummary {
  t.is(r.code, 0, r.stderr + r.stdout);
  return parseSummary(r.stdout);
}

test('against our nghttpd: every request succeeds, progress to 100%', async (t) => {
  const r = await h2load(['-n', '500', '-c', '4', '-m', '8', url(ours)]);
  const p = ok(t, r);
  t.deepEqual(p.requests, { total: 500, started: 500, done: 500, succeeded: 500, failed: 0, errored: 0, timeout: 0 });
  t.is(p.status['2xx'], 500);
  t.is(p.traffic.data, 500 * 1024);
  t.is(p.protocol, 'h2c');
  t.deepEqual(p.progress, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  t.true(p.traffic.savingsPercent > 50);
  t.true(p.request.min > 0 && p.connect.min > 0 && p.ttfb.min > 0);
  t.true(
    r.stdout.startsWith('starting benchmark...\nspawning thread #0: 4 total client(s). 500 total requests\nApplication protocol: h2c\n'),
  );
});

test('a 404 mix: 4xx counted as failed, not errored; URIs used round-robin', async (t) => {
  const p = ok(t, await h2load(['-n', '300', '-c', '2', '-m', '5', url(ours), '/nope', '/100k']));
  t.deepEqual(p.requests, { total: 300, started: 300, done: 300, succeeded: 200, failed: 100, errored: 0, timeout: 0 });
  t.deepEqual(p.status, { '2xx': 200, '3xx': 0, '4xx': 100, '5xx': 0 });
});

withBoth(
  'same server, ours and Debian h2load: same shape, same counts, same data bytes (needs nghttp2-client, nghttp2-server)',
  async (t) => {
    const args = ['-n', '600', '-c', '3', '-m', '4', url(debian!), '/nope', '/100k'];
    const [a, b] = [ok(t, await h2load(args)), ok(t, await run('/usr/bin/h2load', args))];
    t.deepEqual(a.requests, b.requests);
    t.deepEqual(a.status, b.status);
    t.is(a.traffic.data, b.traffic.data);
    t.deepEqual(a.progress, b.progress);
    t.is(a.protocol, b.protocol);
    // Response header bytes depend on HPACK state and the Date header's second: close, not equal.
    // Each second a run spans costs each connection one new Date literal (~30 octets), and a
    // loaded machine stretches one run more than the other: that much is allowed on top of 5%.
    const dateSlack = 32 * 3 * (Math.ceil(a.finishedInSeconds) + Math.ceil(b.finishedInSeconds) + 2);
    t.true(
      Math.abs(a.traffic.headers - b.traffic.headers) <= b.traffic.headers * 0.05 + dateSlack,
      `${a.traffic.headers} vs ${b.traffic.headers} (runs of ${a.finishedInSeconds} s and ${b.finishedInSeconds} s)`,
    );
    t.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  },
);

withBoth('connection refused: same summary as Debian h2load, all failed and errored; we exit 1 where it exits 0', async (t) => {
  const port = await deadPort();
  const args = ['-n', '10', '-c', '2', `http://127.0.0.1:${port}/`];
  const [a, b] = [await h2load(args), await run('/usr/bin/h2load', args)];
  t.is(b.code, 0);
  t.is(a.code, 1);
  const [pa, pb] = [parseSummary(a.stdout), parseSummary(b.stdout)];
  t.deepEqual(pa.requests, { total: 10, started: 0, done: 0, succeeded: 0, failed: 10, errored: 10, timeout: 0 });
  t.deepEqual(pa.requests, pb.requests);
  t.deepEqual(pa.traffic, pb.traffic);
  t.deepEqual(pa.rps, pb.rps);
  t.deepEqual(pa.connect, pb.connect);
  // Everything after "finished in" is identical, up to our latency percentiles (beyond the reference).
  const tail = (s: string) => s.slice(s.indexOf('\nrequests:')).split('\nlatency percentiles:')[0].trimEnd();
  t.is(tail(a.stdout), tail(b.stdout));
});

test('--log-file: one row per request, start_us TAB status TAB duration_us', async (t) => {
  const file = path.join(os.tmpdir(), `h2load-spec-${process.pid}.tsv`);
  try {
    const before = Date.now() * 1000;
    ok(t, await h2load(['-n', '20', '-c', '2', '-m', '2', '--log-file', file, url(ours), '/nope']));
    const after = Date.now() * 1000;
    const rows = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    t.is(rows.length, 20);
    for (const r of rows) {
      t.is(r.length, 3);
      t.true(Number(r[0]) >= before - 1e6 && Number(r[0]) <= after, r[0]);
      t.regex(r[1], /^(200|404)$/);
      t.regex(r[2], /^\d+$/);
    }
    t.is(rows.filter((r) => r[1] === '404').length, 10);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('-D: timing-based run bounded by the duration, with the phase lines', async (t) => {
  const started = Date.now();
  // 2 s of main duration: with 1 s a heavily loaded machine once completed no request in it.
  // 1 s of warm-up: both connections must be up before it ends (a connection made in the main phase
  // is timed, as in the reference); at load 8 one took longer than the 200 ms this spec once gave it.
  const r = await h2load(['-D', '2', '--warm-up-time', '1s', '-c', '2', '-m', '4', url(ours)]);
  const elapsed = Date.now() - started;
  const p = ok(t, r);
  // The bound is the tool's own clock (from its start, as the reference prints it); the wall time
  // around it adds Node's start-up, which took 20 s at load 44, so it is only logged.
  t.log(`took ${elapsed} ms wall`);
  t.true(p.finishedInSeconds >= 2.9 && p.finishedInSeconds < 9, String(p.finishedInSeconds));
  t.true(p.requests.done > 0);
  t.is(p.requests.total, p.requests.done);
  t.is(p.requests.failed, 0);
  // req/s is over the main duration only (2 s), as in the reference.
  t.true(Math.abs(p.reqPerSec - p.requests.succeeded / 2) <= 1, `${p.reqPerSec} req/s for ${p.requests.succeeded} in 2 s`);
  // Connected during warm-up: no connect/ttfb samples, as in the reference's sample.
  t.is(p.connect.withinSd, 0);
  for (const line of [
    'spawning thread #0: 2 total client(s). Timing-based test with 1s of warm-up time and 2s of main duration for measurements.',
    'Warm-up started for thread #0.',
    'progress: 50% of clients started',
    'Warm-up phase is over for thread #0.',
    'Main benchmark duration is started for thread #0.',
    'Main benchmark duration is over for thread #0. Stopping all clients.',
    'Stopped all clients for thread #0',
  ])
    t.true(r.stdout.includes(line + '\n'), line);
});

test('-t 2: clients and requests spread over two threads, totals add up', async (t) => {
  const r = await h2load(['-n', '101', '-c', '3', '-t', '2', '-m', '2', url(ours)]);
  const p = ok(t, r);
  t.true(
    r.stdout.includes(
      'spawning thread #0: 2 total client(s). 51 total requests\nspawning thread #1: 1 total client(s). 50 total requests\n',
    ),
  );
  t.is(p.requests.succeeded, 101);
  t.is(p.traffic.data, 101 * 1024);
});

test('-d POSTs the file; -H overrides; -v prints response headers', async (t) => {
  const p = ok(t, await h2load(['-n', '10', '-c', '1', '-m', '2', '-d', path.join(docroot, '1k'), '-H', 'x-test: 1', url(ours)]));
  t.is(p.requests.done, 10);
  const v = await h2load(['-v', '-n', '2', url(ours)]);
  t.regex(v.stdout, /^\[stream_id=1\] :status: 200$/m);
  t.regex(v.stdout, /^\[stream_id=3\] :status: 200$/m);
  t.regex(v.stdout, /^progress: 50% done$/m);
});

withNghttpd('https with ALPN h2 against Debian nghttpd: TLS lines then "Application protocol: h2" (needs nghttp2-server)', async (t) => {
  const r = await h2load(['-n', '40', '-c', '2', '-m', '4', url(debianTls!, '/1k', 'https')]);
  const p = ok(t, r);
  t.is(p.protocol, 'h2');
  t.regex(r.stdout, /^TLS Protocol: TLSv1\.[23]\nCipher: \S+\nServer Temp Key: .+ bits\nApplication protocol: h2$/m);
  t.is(p.requests.succeeded, 40);
});

withNghttpx('--h1 pipelining through nghttpx: same counts and bytes as Debian h2load (needs nghttp2-proxy)', async (t) => {
  const args = ['--h1', '-n', '200', '-c', '2', '-m', '4', url(proxy!)];
  const a = ok(t, await h2load(args));
  t.is(a.protocol, 'http/1.1');
  t.is(a.requests.succeeded, 200);
  t.is(a.traffic.savingsPercent, 0);
  if (HAVE_H2LOAD) {
    const b = ok(t, await run('/usr/bin/h2load', args));
    t.deepEqual(a.requests, b.requests);
    t.is(a.traffic.data, b.traffic.data);
    t.is(a.traffic.total, b.traffic.total);
    t.is(a.traffic.headers, b.traffic.headers);
  }
});

test('-N: a silent server times the in-flight request out, the rest fail', async (t) => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const r = await h2load(['-n', '3', '-N', '300ms', `http://127.0.0.1:${port}/`]);
    const p = parseSummary(r.stdout);
    t.deepEqual(p.requests, { total: 3, started: 1, done: 0, succeeded: 0, failed: 3, errored: 3, timeout: 1 });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('bad usage: message on stderr, exit 1, nothing on stdout', async (t) => {
  for (const args of [
    ['-c', '0', 'http://a/'],
    ['--nope'],
    [],
    ['-d', '/nonexistent/file', 'http://127.0.0.1:1/'],
    ['-i', '/nonexistent'],
  ]) {
    const r = await h2load(args);
    t.is(r.code, 1, args.join(' '));
    t.regex(r.stderr, /^h2load: /, args.join(' '));
    t.is(r.stdout, '', args.join(' '));
  }
  const h = await h2load(['--help']);
  t.is(h.code, 0);
  t.regex(h.stdout, /^Usage: h2load/);
});

/** A Node server (http or http2) on a free port, closed after `fn`. */
async function withNodeServer<T>(srv: net.Server, fn: (port: number) => Promise<T>): Promise<T> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  try {
    return await fn((srv.address() as net.AddressInfo).port);
  } finally {
    (srv as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise((r) => srv.close(r));
  }
}

test('HTTP/1.1 Connection: close: the client reconnects and completes every request', async (t) => {
  let n = 0;
  const srv = http.createServer((_req, res) => {
    n++;
    res.setHeader('connection', n % 3 === 0 ? 'close' : 'keep-alive');
    res.end('hello');
  });
  const p = await withNodeServer(srv, async (port) => ok(t, await h2load(['--h1', '-n', '10', '-c', '1', `http://127.0.0.1:${port}/`])));
  t.deepEqual(p.requests, { total: 10, started: 10, done: 10, succeeded: 10, failed: 0, errored: 0, timeout: 0 });
  t.is(p.traffic.data, 50);
  t.is(n, 10);
});

const goawayServer = () => {
  const srv = http2.createServer();
  srv.on('stream', (stream) => {
    const s = stream.session as http2.ServerHttp2Session & { served?: number };
    s.served = (s.served ?? 0) + 1;
    stream.respond({ ':status': 200 });
    stream.end('hello');
    // Graceful GOAWAY after the third response of each connection.
    if (s.served === 3) s.close();
  });
  return srv;
};

test('a server GOAWAY: requests that can no longer be sent fail and error (as the reference)', async (t) => {
  const r = await withNodeServer(goawayServer(), async (port) => h2load(['-n', '10', '-c', '1', `http://127.0.0.1:${port}/`]));
  t.deepEqual(parseSummary(r.stdout).requests, { total: 10, started: 3, done: 3, succeeded: 3, failed: 7, errored: 7, timeout: 0 });
  t.regex(r.stdout, /^Process Request Failure:7$/m);
});

withBoth('a server GOAWAY: same requests line as Debian h2load (needs nghttp2-client)', async (t) => {
  const args = (port: number) => ['-n', '20', '-c', '2', '-m', '2', `http://127.0.0.1:${port}/`];
  const [a, b] = await withNodeServer(goawayServer(), async (port) =>
    Promise.all([h2load(args(port)), run('/usr/bin/h2load', args(port))]),
  );
  t.deepEqual(parseSummary(a.stdout).requests, parseSummary(b.stdout).requests);
  // Both print h2load's "Process Request Failure:<failed so far>" line per client.
  const lines = (s: string) => s.split('\n').filter((l) => l.startsWith('Process Request Failure:'));
  t.deepEqual(lines(a.stdout), lines(b.stdout));
  t.is(lines(a.stdout).length, 2);
});

test('-D against a refused port: runs its duration, counts nothing, exits 1', async (t) => {
  const port = await deadPort();
  const r = await h2load(['-D', '300ms', `http://127.0.0.1:${port}/`]);
  t.is(r.code, 1);
  const p = parseSummary(r.stdout);
  t.deepEqual(p.requests, { total: 0, started: 0, done: 0, succeeded: 0, failed: 0, errored: 0, timeout: 0 });
  t.true(r.stdout.includes('Stopped all clients for thread #0\n'));
});

test('-i reads URIs from a file; --connect-to dials elsewhere; -B unix: goes through a UNIX socket', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h2load-i-'));
  const sock = path.join(dir, 's.sock');
  // A UNIX-socket front for our nghttpd, to show -B unix:PATH really dials the path.
  const front = net.createServer((c) => {
    const b = net.connect(ours.port, '127.0.0.1');
    c.pipe(b).pipe(c);
    c.on('error', () => b.destroy());
    b.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => front.listen(sock, () => r()));
  try {
    const list = path.join(dir, 'uris.txt');
    fs.writeFileSync(list, `${url(ours)}\n\n/nope\n`);
    const a = ok(t, await h2load(['-n', '10', '-i', list]));
    t.deepEqual(a.status, { '2xx': 5, '3xx': 0, '4xx': 5, '5xx': 0 });
    const b = ok(t, await h2load(['-n', '4', '--connect-to', `127.0.0.1:${ours.port}`, 'http://h2load.invalid:9/1k']));
    t.is(b.requests.succeeded, 4);
    const c = ok(t, await h2load(['-n', '4', '-B', `unix:${sock}`, 'http://localhost/1k']));
    t.is(c.requests.succeeded, 4);
  } finally {
    await new Promise((r) => front.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('small windows (-w 16 -W 16, -f 32K): 100 KiB bodies still flow (WINDOW_UPDATE as the body is counted)', async (t) => {
  const p = ok(t, await h2load(['-n', '20', '-c', '2', '-m', '4', '-w', '16', '-W', '16', '-f', '32K', url(ours, '/100k')]));
  t.is(p.requests.succeeded, 20);
  t.is(p.traffic.data, 20 * 102400);
});

test("-m above the server's MAX_CONCURRENT_STREAMS (100): requests wait for a slot, none is refused", async (t) => {
  const p = ok(t, await h2load(['-n', '600', '-c', '1', '-m', '150', url(ours)]));
  t.deepEqual(p.requests, { total: 600, started: 600, done: 600, succeeded: 600, failed: 0, errored: 0, timeout: 0 });
});

withBoth('ALPN without a common protocol: the same lines and counts as Debian h2load (needs nghttp2-client, nghttp2-server)', async (t) => {
  for (const list of ['http/1.1', 'foo']) {
    const args = [`--npn-list=${list}`, '-n', '2', url(debianTls!, '/1k', 'https')];
    const [a, b] = [await h2load(args), await run('/usr/bin/h2load', args)];
    const head = (s: string) => s.slice(0, s.indexOf('\n\nfinished in'));
    t.is(head(a.stdout), head(b.stdout), list);
    t.deepEqual(parseSummary(a.stdout).requests, parseSummary(b.stdout).requests, list);
  }
});
