/**
 * Interop: our client (HTTP2Client over connect()) against Node's built-in http2 server,
 * cleartext and TLS: concurrent streams, 64 MiB both ways with small windows, trailers, push.
 */
import test from 'ava';
import * as crypto from 'crypto';
import * as http2 from 'http2';
import type { AddressInfo } from 'net';
import { HTTP2Client } from '../../lib/client';
import { BIG, fixtureTls, hashStream, patternHash, patternStream } from './harness';

type Mode = 'h2c' | 'tls';

function nodeServer(mode: Mode): Promise<{ port: number; close: () => Promise<void> }> {
  const tls = fixtureTls();
  const settings: http2.Settings = { initialWindowSize: 16384 };
  const server = mode === 'tls' ? http2.createSecureServer({ key: tls.key, cert: tls.cert, settings }) : http2.createServer({ settings });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const p = String(headers[':path']);
    const m = /^\/bytes\/(\d+)$/.exec(p);
    if (m) {
      stream.respond({ ':status': 200, 'content-length': m[1] });
      patternStream(Number(m[1])).pipe(stream);
    } else if (p === '/hash') {
      const h = crypto.createHash('sha256');
      let n = 0;
      stream.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
      });
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(`${n} ${h.digest('hex')}\n`);
      });
    } else if (p === '/trailers') {
      stream.respond({ ':status': 200 }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc123' }));
      stream.end('body\n');
    } else if (p === '/push') {
      stream.pushStream({ ':path': '/pushed.css' }, (err, ps) => {
        if (!err) {
          ps.respond({ ':status': 200, 'content-type': 'text/css' });
          ps.end('pushed\n');
        }
        stream.respond({ ':status': 200 });
        stream.end('page\n');
      });
    } else {
      stream.respond({ ':status': 200 });
      stream.end('hello\n');
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

async function withClient<T>(mode: Mode, fn: (c: HTTP2Client) => Promise<T>): Promise<T> {
  const srv = await nodeServer(mode);
  const url = mode === 'tls' ? `https://localhost:${srv.port}/` : `http://127.0.0.1:${srv.port}/`;
  const client = await HTTP2Client.connect(url, { connection: { session: { settings: { initialWindowSize: 16384 } } } });
  try {
    return await fn(client);
  } finally {
    await client.close();
    await srv.close();
  }
}

for (const mode of ['h2c', 'tls'] as Mode[]) {
  test(`our client -> node:http2 server (${mode}): 200 concurrent streams`, async (t) => {
    await withClient(mode, async (c) => {
      if (mode === 'tls') {
        t.is(c.info.tls?.alpnProtocol, 'h2');
        t.false(c.info.tls?.authorized); // self-signed: reported, not fatal
        t.truthy(c.info.tls?.authorizationError);
      }
      const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => c.request({ path: `/bytes/${i * 10}` })));
      const bodies = await Promise.all(rs.map((r) => r.buffer()));
      bodies.forEach((b, i) => t.is(b.length, i * 10));
      t.true(rs.every((r) => r.status === 200));
    });
  });

  test(`our client -> node:http2 server (${mode}): 64 MiB download and upload with small windows`, async (t) => {
    await withClient(mode, async (c) => {
      const [down, up] = await Promise.all([
        c.request({ path: `/bytes/${BIG}` }),
        c.request({ method: 'POST', path: '/hash', body: patternStream(BIG) }),
      ]);
      const d = await hashStream(down.body);
      t.is(d.bytes, BIG);
      t.is(d.sha256, patternHash(BIG));
      t.is(await up.text(), `${BIG} ${patternHash(BIG)}\n`);
    });
  });

  test(`our client -> node:http2 server (${mode}): trailers and push`, async (t) => {
    await withClient(mode, async (c) => {
      const r = await c.request({ path: '/trailers' });
      t.is(await r.text(), 'body\n');
      const tr = await r.trailers();
      t.deepEqual(
        tr?.filter((h) => h[0] === 'x-checksum').map((h) => h[1]),
        ['abc123'],
      );
      const page = await c.request({ path: '/push' });
      t.is(await page.text(), 'page\n');
      t.is(page.pushes.length, 1);
      t.is(page.pushes[0].requestHeaders.find((h) => h[0] === ':path')?.[1], '/pushed.css');
      const pushed = await page.pushes[0].response;
      t.is(await pushed.text(), 'pushed\n');
    });
  });
}
