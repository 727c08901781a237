/**
 * nghttpx options made effective this session, ours beside Debian's nghttpx (oracle-pair.ts):
 * cookies as backends get them (crumbled for HTTP/2, joined for HTTP/1.1,
 * --http2-no-cookie-crumbling), Early-Data stripped (--no-strip-incoming-early-data), the
 * --frontend-http2-dump-request-header / -response-header files, --backend-address-family and
 * --accesslog-write-early.
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as http2 from 'http2';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { HAS, runClient, startEchoBackend } from './helpers';
import { compare, HAS_REF } from './oracle-pair';
import { until } from '../../helpers/wait';

const t_ = HAS_REF && HAS.nghttp ? test.serial : test.serial.skip;

/** An h2c backend recording each request's header list in wire order (pseudo-headers included). */
async function h2Backend(): Promise<{ port: number; seen: [string, string][][]; stop(): Promise<void> }> {
  const seen: [string, string][][] = [];
  const server = http2.createServer();
  server.on('stream', (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
    const list: [string, string][] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) list.push([raw[i], raw[i + 1]]);
    seen.push(list);
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The regular fields of a request after the client's user-agent (what the proxy chose to send). */
const afterUserAgent = (fields: [string, string][]) => {
  const i = fields.findIndex(([n]) => n.toLowerCase() === 'user-agent');
  return fields.slice(i + 1).map(([n, v]) => `${n.toLowerCase()}: ${v}`);
};

const COOKIE_ARGS = ['-H', 'cookie: a=1', '-H', 'x-mid: 1', '-H', 'cookie: b=2;  c=3;', '-H', 'early-data: 1'];

t_(
  'cookies: one field per pair to an h2 backend, one joined field to an HTTP/1.1 backend, Early-Data stripped, as the reference',
  async (t) => {
    const h2 = await h2Backend();
    const h1 = await startEchoBackend();
    try {
      const scenario = (seen: () => [string, string][][]) => async (port: number) => {
        const before = seen().length;
        const r = await runClient('nghttp', ['-n', ...COOKIE_ARGS, `http://127.0.0.1:${port}/c`]);
        t.is(r.code, 0, r.stderr);
        return afterUserAgent(seen()[before]);
      };
      const toH2 = await compare(
        [`-b127.0.0.1,${h2.port};;proto=h2`],
        scenario(() => h2.seen),
      );
      t.deepEqual(toH2.ours, toH2.reference);
      t.deepEqual(toH2.ours.slice(0, 4), ['x-mid: 1', 'cookie: a=1', 'cookie: b=2', 'cookie: c=3']);
      const pairs = (raw: string[]) => raw.flatMap((x, i) => (i % 2 ? [] : [[x, raw[i + 1]] as [string, string]]));
      const h1Seen = () => h1.seen.map((s) => pairs(s.rawHeaders));
      const toH1 = await compare([`-b127.0.0.1,${h1.port}`], scenario(h1Seen));
      // Ours adds Connection: keep-alive (Node's client), the reference not: compare the rest.
      const noConn = (l: string[]) => l.filter((x) => !x.startsWith('connection:'));
      t.deepEqual(noConn(toH1.ours), noConn(toH1.reference));
      t.deepEqual(toH1.ours.slice(0, 2), ['x-mid: 1', 'cookie: a=1; b=2;  c=3']);
      // --no-strip-incoming-early-data: the client's Early-Data goes through.
      const kept = await compare(
        [`-b127.0.0.1,${h2.port};;proto=h2`, '--no-strip-incoming-early-data'],
        scenario(() => h2.seen),
      );
      t.deepEqual(kept.ours, kept.reference);
      t.true(kept.ours.includes('early-data: 1'), kept.ours.join(' | '));
    } finally {
      await h2.stop();
      await h1.stop();
    }
  },
);

t_('--http2-no-cookie-crumbling: the h2 backend gets the cookie fields as the client sent them', async (t) => {
  const h2 = await h2Backend();
  try {
    const r = await compare([`-b127.0.0.1,${h2.port};;proto=h2`, '--http2-no-cookie-crumbling'], async (port) => {
      const before = h2.seen.length;
      await runClient('nghttp', ['-n', ...COOKIE_ARGS, `http://127.0.0.1:${port}/c`]);
      return afterUserAgent(h2.seen[before]).filter((f) => f.startsWith('cookie:'));
    });
    t.deepEqual(r.ours, ['cookie: a=1', 'cookie: b=2;  c=3;']);
    // Deliberate difference: Debian's nghttpx 1.52 sends no cookie at all with this option.
    t.deepEqual(r.reference, []);
  } finally {
    await h2.stop();
  }
});

t_('--frontend-http2-dump-request-header / -response-header: the same files as the reference', async (t) => {
  const h2 = await h2Backend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-dump-'));
  try {
    const files: Record<string, { req: string; res: string }> = {};
    let run = 0;
    // compare() gives both proxies the same arguments, so they share the two files: each opened
    // (truncated) them at start, the reference's scenario runs first, and the files are read and
    // emptied before ours writes (at its own offset 0).
    const names = ['reference', 'ours'];
    const seen = await compare(
      [
        `-b127.0.0.1,${h2.port};;proto=h2`,
        `--frontend-http2-dump-request-header=${path.join(dir, 'req.dump')}`,
        `--frontend-http2-dump-response-header=${path.join(dir, 'res.dump')}`,
      ],
      async (port) => {
        const r = await runClient('nghttp', ['-n', '-H', 'x-foo: bar', `http://127.0.0.1:${port}/one`, `http://127.0.0.1:${port}/two`]);
        t.is(r.code, 0, r.stderr);
        const name = names[run++];
        const dateless = (s: string) => s.replace(/^date: .*$/gm, 'date: D').replace(/:(authority|host): 127\.0\.0\.1:\d+/g, ':$1: H');
        files[name] = {
          req: dateless(fs.readFileSync(path.join(dir, 'req.dump'), 'utf8')),
          res: dateless(fs.readFileSync(path.join(dir, 'res.dump'), 'utf8')),
        };
        fs.writeFileSync(path.join(dir, 'req.dump'), '');
        fs.writeFileSync(path.join(dir, 'res.dump'), '');
        return files[name];
      },
    );
    t.deepEqual(seen.ours, seen.reference);
    t.regex(seen.ours.req, /^:method: GET\n:path: \/one\n:scheme: http\n:authority: H\n(.+\n)*x-foo: bar\n\n:method: GET\n:path: \/two\n/);
    t.regex(seen.ours.res, /^:status: 200\n(.+\n)*\n:status: 200\n(.+\n)*\n$/);
  } finally {
    await h2.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** One h2 GET: its status (0: no answer). */
function h2status(port: number, p: string): Promise<number> {
  return new Promise((resolve) => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    c.on('error', () => resolve(0));
    const req = c.request({ ':path': p });
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.resume();
    req.on('close', () => {
      c.close();
      resolve(status);
    });
    req.end();
  });
}

t_(
  '--backend-address-family: a backend named localhost (IPv4 only in /etc/hosts) is reached with auto and IPv4, not with IPv6 (as the reference)',
  async (t) => {
    const be = await startEchoBackend();
    try {
      const out: Record<string, unknown> = {};
      for (const family of ['auto', 'IPv4', 'IPv6']) {
        // IPv6 with `dns`: the reference resolves the backend when it connects (at start-up it would stop
        // with "Unable to resolve address"). auto without: its c-ares resolver fails `localhost` with
        // `dns` and auto (502) where the system resolver (ours, and its own at start-up) finds 127.0.0.1.
        const dnsParam = family === 'IPv6' ? ';;dns' : '';
        const r = await compare([`-blocalhost,${be.port}${dnsParam}`, `--backend-address-family=${family}`], (port) =>
          h2status(port, '/af'),
        );
        t.is(r.ours === 200, r.reference === 200, `${family}: ${JSON.stringify(r)}`);
        out[family] = r.ours === 200;
      }
      t.deepEqual(out, { auto: true, IPv4: true, IPv6: false });
    } finally {
      await be.stop();
    }
  },
);

t_(
  '--accesslog-write-early: the line is written when the backend head arrives, before the body ends ($body_bytes_sent 0), as the reference',
  async (t) => {
    let release: () => void = () => undefined;
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first ');
      const timer = setTimeout(() => res.end('last'), 10000);
      release = () => {
        clearTimeout(timer);
        res.end('last');
      };
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const bePort = (server.address() as net.AddressInfo).port;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-early-'));
    const log = path.join(dir, 'access.log');
    try {
      const r = await compare(
        [
          `-b127.0.0.1,${bePort}`,
          `--accesslog-file=${log}`,
          '--accesslog-format=$status $body_bytes_sent $path',
          '--accesslog-write-early',
        ],
        async (port) => {
          const c = http2.connect(`http://127.0.0.1:${port}`);
          c.on('error', () => undefined);
          const req = c.request({ ':path': '/early' });
          req.resume();
          const ended = new Promise<void>((r) => req.on('close', () => r()));
          // Logged while the body is still held by the backend.
          const early = await until(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('/early'));
          const line = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim() : '';
          release();
          await ended;
          c.close();
          fs.writeFileSync(log, '');
          return { early, line };
        },
      );
      t.deepEqual(r.ours, r.reference);
      t.deepEqual(r.ours, { early: true, line: '200 0 /early' });
    } finally {
      release();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
