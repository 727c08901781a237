/**
 * h2load beyond the reference (HDR latency percentiles, --json, --html-report, the live progress
 * line on a TTY) and the reference behaviours added with them (--timing-script-file,
 * --rate-period=0, the rows after -T/-N timeouts), side by side with Debian's h2load where it exists.
 */
import test from 'ava';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { LatencyHistogram } from '../../../lib/apps/h2load/histogram';
import { parseArgs } from '../../../lib/apps/h2load/options';
import { parseSummary } from '../../../lib/apps/h2load/parse';
import { runH2load } from '../../../lib/apps/h2load/run';
import { h2load, makeDocroot, OUR_NGHTTPD, run, Server, startServer } from './helpers';

const HAVE_H2LOAD = fs.existsSync('/usr/bin/h2load');
const withReference = HAVE_H2LOAD ? test : test.skip;

let docroot: string;
let server: Server;

test.before(async () => {
  docroot = makeDocroot();
  server = await startServer(process.execPath, [OUR_NGHTTPD, '--no-tls', '-d', docroot, '{port}']);
});

test.after.always(async () => {
  await server?.stop();
  fs.rmSync(docroot, { recursive: true, force: true });
});

const url = (p = '/1k') => `http://127.0.0.1:${server.port}${p}`;

test('HDR histogram: percentiles within its 3 significant digits, merge adds counts', (t) => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  const values: number[] = [];
  let x = 12345;
  for (let i = 0; i < 20000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const v = Math.floor(Math.exp((x / 2 ** 31) * 15));
    values.push(v);
    (i % 2 ? a : b).record(v);
  }
  a.add(b);
  t.is(a.total, 20000);
  values.sort((p, q) => p - q);
  for (const p of [50, 90, 99, 99.9, 100]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1];
    const got = a.percentile(p);
    t.true(got >= exact && got <= exact * 1.001 + 1, `p${p}: ${got} vs ${exact}`);
  }
  t.is(new LatencyHistogram().percentile(99), 0);
  // The one-walk form gives the same values.
  const ps = [50, 90, 99, 99.9, 100];
  t.deepEqual(
    a.percentiles(ps),
    ps.map((p) => a.percentile(p)),
  );
  t.deepEqual(new LatencyHistogram().percentiles([50, 99]), [0, 0]);
});

test('the percentile rows follow the reference table, which parsers still read as before', async (t) => {
  const r = await h2load(['-n', '200', '-c', '2', '-m', '4', url()]);
  t.is(r.code, 0, r.stderr);
  const p = parseSummary(r.stdout);
  t.is(p.requests.succeeded, 200);
  const tail = r.stdout.slice(r.stdout.indexOf('req/s           :')).split('\n');
  t.regex(tail[2], /^latency percentiles: +p50 +p90 +p99 +p99\.9$/);
  t.regex(tail[3], /^request {9}: +\d/);
  t.regex(tail[4], /^1st byte {8}: +\d/);
});

test('--json: stdout is one JSON document with the whole summary; --html-report writes plots', async (t) => {
  const html = path.join(os.tmpdir(), `h2load-report-${process.pid}.html`);
  try {
    const r = await h2load(['-n', '300', '-c', '3', '-m', '2', '--json', '--html-report', html, url(), '/nope']);
    t.is(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    t.deepEqual(j.requests, { total: 300, started: 300, done: 300, succeeded: 150, failed: 150, errored: 0, timeout: 0 });
    t.deepEqual(j.statusCodes, { '2xx': 150, '3xx': 0, '4xx': 150, '5xx': 0 });
    t.is(j.applicationProtocol, 'h2c');
    t.is(j.traffic.dataBytes > 150 * 1024, true);
    for (const k of ['p50', 'p90', 'p99', 'p99.9']) t.true(j.latencyPercentiles.request[k] > 0, k);
    t.true(j.latencyPercentiles.request.p50 <= j.latencyPercentiles.request['p99.9']);
    t.is(j.requestsPerSecondOverTime.values.reduce((a: number, b: number) => a + b, 0) * j.requestsPerSecondOverTime.bucketSeconds, 300);
    const page = fs.readFileSync(html, 'utf8');
    t.true(page.startsWith('<!doctype html>'));
    t.is(page.match(/<svg /g)?.length, 2);
    t.regex(page, /Request latency/);
    t.regex(page, /Requests per second over time/);
  } finally {
    fs.rmSync(html, { force: true });
  }
});

test('on a TTY a live progress line replaces the 10% lines, and is cleared before the summary', async (t) => {
  const parsed = parseArgs(['-n', '3000', '-c', '2', '-m', '10', url()]);
  if (parsed.kind !== 'run') throw new Error('parse');
  let text = '';
  const stdout = { isTTY: true, write: (s: string) => (text += s) };
  const res = await runH2load(parsed.config, { stdout, stderr: { write: () => true } });
  t.is(res.stats.reqDone, 3000);
  t.false(/^progress: \d+% done$/m.test(text));
  // The summary starts after the cleared line.
  t.true(text.includes('\r\x1b[K\nfinished in ') || text.includes('h2c\n\nfinished in '));
  t.is(parseSummary(text.replace(/\r\x1b\[K[^\r\n]*/g, '')).requests.succeeded, 3000);
});

withReference('--timing-script-file: the same requests and status codes as the reference', async (t) => {
  const script = path.join(docroot, 'script.tsv');
  fs.writeFileSync(script, `0\t${url()}\n50.5\t/1k\n80\t/nope\n80\t/1k\n`);
  const args = ['--timing-script-file', script, '-c', '2', '-m', '2'];
  const [a, b] = await Promise.all([h2load(args), run('/usr/bin/h2load', args)]);
  const [pa, pb] = [parseSummary(a.stdout), parseSummary(b.stdout)];
  t.deepEqual(pa.requests, pb.requests);
  t.deepEqual(pa.requests, { total: 8, started: 8, done: 8, succeeded: 6, failed: 2, errored: 0, timeout: 0 });
  t.deepEqual(pa.status, pb.status);
  // -n is per client and clamped to the script's length.
  const c = parseSummary((await h2load([...args, '-n', '2'])).stdout);
  t.is(c.requests.total, 4);
  const bad = await h2load(['--timing-script-file', script, '--rps', '2']);
  t.is(bad.code, 1);
});

withReference('--rate-period=0 is accepted: with -r only the first batch of clients is made, as the reference', async (t) => {
  const args = ['--rate-period=0', '-r', '1', '-n', '2', '-c', '2', url()];
  const [a, b] = await Promise.all([h2load(args), run('/usr/bin/h2load', args)]);
  t.is(a.stdout.split('\n')[1], b.stdout.split('\n')[1]);
  t.deepEqual(parseSummary(a.stdout).requests, parseSummary(b.stdout).requests);
});

withReference("after -N / -T timeouts the connect and req/s rows are the reference's (timed-out clients are not sampled)", async (t) => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const target = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/`;
    for (const args of [
      ['-n', '4', '-c', '2', '-N', '300ms', target],
      ['-n', '2', '-c', '2', '-T', '300ms', target],
    ]) {
      const [a, b] = await Promise.all([h2load(args), run('/usr/bin/h2load', args)]);
      const [pa, pb] = [parseSummary(a.stdout), parseSummary(b.stdout)];
      t.deepEqual(pa.requests, pb.requests, args.join(' '));
      t.deepEqual(pa.connect, pb.connect, args.join(' '));
      t.deepEqual(pa.rps, pb.rps, args.join(' '));
    }
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});
