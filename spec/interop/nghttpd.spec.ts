/**
 * Interop: Debian's nghttpd (package nghttp2-server) serving our client, cleartext (--no-tls)
 * and TLS (the fixture key/cert), on a free port, stopped after each test: 100 concurrent
 * streams, 64 MiB down (file) and up (--echo-upload) with small windows, trailers, push.
 */
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HTTP2Client } from '../../lib/client';
import { BIG, NGHTTPD, fixtureTls, freePort, has, hashStream, patternHash, patternStream, startPeer, writePatternFile } from './harness';

// Needs Debian's nghttp2-server (/usr/sbin/nghttpd).
const t_ = has(NGHTTPD) ? test : test.skip;
const title = (s: string) => (has(NGHTTPD) ? s : `${s} (skipped: needs nghttp2-server)`);

let docroot = '';
test.before(async () => {
  if (!has(NGHTTPD)) return;
  docroot = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp2-ts-nghttpd-'));
  fs.writeFileSync(path.join(docroot, 'index.html'), '<html>hello</html>\n');
  fs.writeFileSync(path.join(docroot, 'style.css'), 'body { color: red }\n');
  await writePatternFile(path.join(docroot, 'big.bin'), BIG);
});
test.after.always(() => {
  if (docroot) fs.rmSync(docroot, { recursive: true, force: true });
});

async function withNghttpd<T>(tls: boolean, extra: string[], fn: (c: HTTP2Client) => Promise<T>): Promise<T> {
  const port = await freePort();
  const f = fixtureTls();
  const args = ['-d', docroot, ...extra, tls ? String(port) : '--no-tls', ...(tls ? [f.keyPath, f.certPath] : [String(port)])];
  const peer = await startPeer(NGHTTPD, args, port);
  try {
    const url = tls ? `https://localhost:${port}/` : `http://127.0.0.1:${port}/`;
    const c = await HTTP2Client.connect(url, { connection: { session: { settings: { initialWindowSize: 16384 } } } });
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  } finally {
    await peer.stop();
  }
}

for (const tls of [false, true]) {
  const mode = tls ? 'TLS' : 'h2c';

  t_(title(`our client -> nghttpd (${mode}): 100 concurrent streams`), async (t) => {
    await withNghttpd(tls, [], async (c) => {
      if (tls) t.is(c.info.tls?.alpnProtocol, 'h2');
      const rs = await Promise.all(Array.from({ length: 100 }, () => c.request({ path: '/index.html' })));
      const texts = await Promise.all(rs.map((r) => r.text()));
      t.true(rs.every((r) => r.status === 200));
      t.true(texts.every((x) => x === '<html>hello</html>\n'));
    });
  });

  t_(title(`our client -> nghttpd (${mode}): 64 MiB download and 64 MiB upload (--echo-upload) with 16 KiB windows`), async (t) => {
    await withNghttpd(tls, ['--echo-upload', '-w', '14', '-W', '16'], async (c) => {
      const down = await c.request({ path: '/big.bin' });
      const d = await hashStream(down.body);
      t.is(d.bytes, BIG);
      t.is(d.sha256, patternHash(BIG));
      const up = await c.request({ method: 'POST', path: '/echo', body: patternStream(BIG) });
      const u = await hashStream(up.body);
      t.is(u.bytes, BIG);
      t.is(u.sha256, patternHash(BIG));
    });
  });

  t_(title(`our client -> nghttpd (${mode}): trailers and push`), async (t) => {
    await withNghttpd(tls, ['--trailer', 'x-checksum: abc123', '-p/index.html=/style.css'], async (c) => {
      const r = await c.request({ path: '/index.html' });
      t.is(await r.text(), '<html>hello</html>\n');
      const tr = await r.trailers();
      t.deepEqual(
        tr?.filter((h) => h[0] === 'x-checksum').map((h) => h[1]),
        ['abc123'],
      );
      t.is(r.pushes.length, 1);
      t.is(r.pushes[0].requestHeaders.find((h) => h[0] === ':path')?.[1], '/style.css');
      const p = await r.pushes[0].response;
      t.is(p.status, 200);
      t.is(await p.text(), 'body { color: red }\n');
    });
  });
}
