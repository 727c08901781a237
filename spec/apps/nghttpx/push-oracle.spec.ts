/**
 * Server push through nghttpx, side by side with Debian's /usr/sbin/nghttpx (needs nghttp2-proxy
 * and nghttp2-client): a backend's `Link: <...>; rel=preload` becomes PUSH_PROMISE + the pushed
 * response, an h2 backend's own pushes are relayed, and `--no-server-push`, the client's
 * SETTINGS_ENABLE_PUSH = 0 (nghttp --no-push), `nopush` and `-s` switch it off. What Debian's
 * `nghttp -nv` prints of the promises and pushed responses must match between the two proxies.
 */
import test from 'ava';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort, runClient, spawnServer, stopProcess } from './helpers';
import { inProcessPair } from './oracle-pair';

const HAVE = fs.existsSync('/usr/sbin/nghttpx') && fs.existsSync('/usr/bin/nghttp') && fs.existsSync('/usr/sbin/nghttpd');
const t_ = HAVE ? test.serial : test.serial.skip;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-push-'));
const docs = path.join(dir, 'docs');
fs.mkdirSync(docs);
fs.writeFileSync(path.join(docs, 'index.html'), '<html><link rel="stylesheet" href="/style.css">hi</html>\n');
fs.writeFileSync(path.join(docs, 'style.css'), 'body { color: red }\n');
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Link values the HTTP/1.1 backend answers on `/`, and what each should push. */
const LINKS = [
  '</style.css>; rel=preload; as=style',
  '</skip.js>; rel=preload; nopush',
  '<img.png>; rel="preload prefetch", </anchored>; rel=preload; anchor="/x"',
  '</q?a=1>; rel=preload, </not-preload>; rel=stylesheet',
];

/** An HTTP/1.1 backend: `/` (GET or POST) and `/404` answer with the Link fields above; others echo their path. */
async function linkBackend(): Promise<{ port: number; paths: string[]; stop(): Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    req.resume();
    if (req.url === '/' || req.url === '/404') {
      res.statusCode = req.url === '/' ? 200 : 404;
      res.setHeader('link', LINKS);
      res.setHeader('content-type', 'text/html');
      res.end('<html><link rel="stylesheet" href="/style.css">root</html>');
      return;
    }
    res.setHeader('content-type', 'text/plain');
    res.end(`pushed ${req.url} ua=${req.headers['user-agent']}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    paths,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Debian's nghttpd as an h2 backend that pushes /style.css with `/`. */
async function pushingNghttpd(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = await spawnServer('Debian nghttpd', '/usr/sbin/nghttpd', ['--no-tls', '-d', docs, '-p/=/style.css', String(port)], [port]);
  return { port, stop: () => stopProcess(proc) };
}

/**
 * What `nghttp -nv` shows of server push: one line per promise ("PUSH <promise's header list>")
 * and one per pushed response ("<promised path> -> <status and fields>"), sorted (the order of
 * pushed responses depends on backend timing); ports and dates left out. Also the number of
 * requests the client sent (with -a, a pushed asset is not requested again).
 */
async function pushView(
  port: number,
  extra: string[],
  p = '/',
): Promise<{ pushes: string[]; requests: number; code: number; connectProtocol: boolean }> {
  const r = await runClient('nghttp', ['-nv', ...extra, `http://127.0.0.1:${port}${p}`]);
  const out = r.stdout.toString();
  const pending: string[] = [];
  const promised = new Map<string, string>();
  const lines: string[] = [];
  let requests = 0;
  for (const line of out.split('\n')) {
    const h = /^\[[ 0-9.]+\] recv \(stream_id=\d+\) (:?[^:]+): (.*)$/.exec(line);
    if (h) {
      if (h[1] !== 'date') pending.push(`${h[1]}: ${h[2].split(`:${port}`).join(':PORT')}`);
      continue;
    }
    const pp = /recv PUSH_PROMISE frame .*/.exec(line);
    if (pp) {
      lines.push(`PUSH ${pending.join(' | ')}`);
      const pathField = pending.find((f) => f.startsWith(':path: '));
      promised.set('pending', pathField?.slice(7) ?? '?');
      pending.length = 0;
      continue;
    }
    const id = /promised_stream_id=(\d+)/.exec(line);
    if (id && promised.has('pending')) {
      promised.set(id[1], promised.get('pending')!);
      promised.delete('pending');
      continue;
    }
    const hd = /recv HEADERS frame <length=\d+, flags=0x[0-9a-f]+, stream_id=(\d+)>/.exec(line);
    if (hd) {
      if (Number(hd[1]) % 2 === 0) lines.push(`${promised.get(hd[1]) ?? '?'} -> ${pending.join(' | ')}`);
      pending.length = 0;
      continue;
    }
    if (/ send HEADERS frame /.test(line)) requests++;
    if (/ (recv|send) /.test(line)) pending.length = 0;
  }
  return { pushes: lines.sort(), requests, code: r.code, connectProtocol: /SETTINGS_ENABLE_CONNECT_PROTOCOL\(0x08\):1/.test(out) };
}

t_('Link rel=preload from an HTTP/1.1 backend: the same promises and pushed responses as Debian nghttpx', async (t) => {
  const be = await linkBackend();
  const p = await inProcessPair(['-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${be.port}`]);
  try {
    const [ours, ref] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, [])));
    t.is(ours.code, 0);
    t.is(ref.code, 0);
    // style.css (as=style), img.png (relative, quoted rel list) and /q?a=1; not nopush, anchor or stylesheet.
    t.deepEqual(
      ref.pushes.filter((l) => l.startsWith('PUSH')).map((l) => /:path: ([^ |]+)/.exec(l)?.[1]),
      ['/img.png', '/q?a=1', '/style.css'],
    );
    t.true(ref.pushes.some((l) => l.startsWith('/style.css -> :status: 200') && l.includes('x-http2-push: 1')));
    t.deepEqual(ours.pushes, ref.pushes);
    // The promised requests went to the backend through the proxy's routing.
    t.true(be.paths.filter((x) => x === 'GET /style.css').length >= 2);

    // nghttp -a: the pushed stylesheet is not requested again; 1 request through each proxy.
    const [oa, ra] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, ['-a'])));
    t.is(ra.requests, 1);
    t.is(oa.requests, ra.requests);

    // No push for a 404, nor for a client that sent SETTINGS_ENABLE_PUSH = 0.
    const [o404, r404] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, [], '/404')));
    t.deepEqual(r404.pushes, []);
    t.deepEqual(o404.pushes, []);
    const [onp, rnp] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, ['--no-push'])));
    t.deepEqual(rnp.pushes, []);
    t.deepEqual(onp.pushes, []);
    // POST is pushed for, as the reference does.
    const [opost, rpost] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, ['-d', '/dev/null'])));
    t.is(rpost.pushes.filter((l) => l.startsWith('PUSH')).length, 3);
    t.deepEqual(opost.pushes, rpost.pushes);
  } finally {
    await p.stop();
    await be.stop();
  }
});

t_('--no-server-push and -s: no promise from either proxy; -s does not offer extended CONNECT', async (t) => {
  const be = await linkBackend();
  for (const extra of [['--no-server-push'], ['-s']]) {
    const p = await inProcessPair(['-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${be.port}`, ...extra]);
    try {
      const [ours, ref] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, [])));
      t.is(ref.code, 0, extra.join(' '));
      t.is(ours.code, 0, extra.join(' '));
      t.deepEqual(ref.pushes, [], extra.join(' '));
      t.deepEqual(ours.pushes, [], extra.join(' '));
      // SETTINGS_ENABLE_CONNECT_PROTOCOL: offered by the reverse proxy (WebSockets), not by -s.
      t.is(ref.connectProtocol, extra[0] !== '-s', extra.join(' '));
      t.is(ours.connectProtocol, ref.connectProtocol, extra.join(' '));
    } finally {
      await p.stop();
    }
  }
  await be.stop();
});

t_("an h2 backend's pushes are relayed to the client as Debian nghttpx relays them", async (t) => {
  const nd = await pushingNghttpd();
  const p = await inProcessPair(['-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${nd.port};;proto=h2`]);
  try {
    const [ours, ref] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, [])));
    t.is(ref.pushes.filter((l) => l.startsWith('PUSH')).length, 1);
    t.true(ref.pushes.some((l) => l.startsWith('/style.css -> :status: 200') && l.includes('x-http2-push: 1')));
    // nghttpd's last-modified is the file's: the same through both.
    t.deepEqual(ours.pushes, ref.pushes);
    const [onp, rnp] = await Promise.all([p.oursPort, p.refPort].map((port) => pushView(port, ['--no-push'])));
    t.deepEqual(rnp.pushes, []);
    t.deepEqual(onp.pushes, []);
  } finally {
    await p.stop();
    await nd.stop();
  }
  // --no-server-push: the backend is asked not to push at all (SETTINGS_ENABLE_PUSH = 0).
  const nd2 = await pushingNghttpd();
  const q = await inProcessPair(['-f127.0.0.1,PORT;no-tls', `-b127.0.0.1,${nd2.port};;proto=h2`, '--no-server-push']);
  try {
    const [ours, ref] = await Promise.all([q.oursPort, q.refPort].map((port) => pushView(port, [])));
    t.deepEqual(ref.pushes, []);
    t.deepEqual(ours.pushes, []);
  } finally {
    await q.stop();
    await nd2.stop();
  }
});
