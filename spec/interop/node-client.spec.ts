/**
 * Interop: Node's built-in http2 client against our HTTP2Server, cleartext (h2c prior knowledge)
 * and TLS (ALPN h2). Many concurrent streams, 64 MiB in both directions with small windows,
 * trailers and push.
 */
import test from 'ava';
import * as http2 from 'http2';
import { startApp } from './app';
import { BIG, fixtureTls, hashStream, patternHash, patternStream } from './harness';

type Mode = 'h2c' | 'tls';

async function withServerAndClient<T>(
  mode: Mode,
  fn: (client: http2.ClientHttp2Session) => Promise<T>,
  clientSettings: http2.Settings = {},
): Promise<T> {
  const tlsOpts = mode === 'tls' ? fixtureTls() : undefined;
  const { server, port } = await startApp({
    tls: tlsOpts ? { key: tlsOpts.key, cert: tlsOpts.cert } : undefined,
    // Small windows: our server advertises 16 KiB per stream, so every body needs many WINDOW_UPDATEs.
    listen: { connection: { session: { settings: { initialWindowSize: 16384 } } } },
  });
  const url = mode === 'tls' ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
  const client = http2.connect(url, { rejectUnauthorized: false, settings: clientSettings });
  client.on('error', () => undefined);
  try {
    return await fn(client);
  } finally {
    client.close();
    await server.close();
  }
}

function get(
  client: http2.ClientHttp2Session,
  path: string,
  method = 'GET',
): Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer; trailers?: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = client.request({ ':path': path, ':method': method });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ headers, body: Buffer.concat(chunks), trailers }));
    req.on('error', reject);
    req.end();
  });
}

for (const mode of ['h2c', 'tls'] as Mode[]) {
  test(`node:http2 client -> our server (${mode}): 200 concurrent streams`, async (t) => {
    await withServerAndClient(mode, async (client) => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => get(client, i % 2 ? '/' : '/bytes/1000')));
      for (const [i, r] of results.entries()) {
        t.is(Number(r.headers[':status']), 200);
        t.is(r.body.length, i % 2 ? 6 : 1000);
      }
    });
  });

  test(`node:http2 client -> our server (${mode}): 64 MiB download and upload with small windows`, async (t) => {
    // The client's window is small too (16 KiB per stream and connection default), so our writer must wait for WINDOW_UPDATEs.
    await withServerAndClient(
      mode,
      async (client) => {
        const down = client.request({ ':path': `/bytes/${BIG}` });
        const downP = hashStream(down);
        const up = client.request({ ':path': '/hash', ':method': 'POST' });
        const upBody: Buffer[] = [];
        up.on('data', (c: Buffer) => upBody.push(c));
        const upDone = new Promise<void>((resolve, reject) => {
          up.on('end', resolve);
          up.on('error', reject);
        });
        patternStream(BIG).pipe(up);
        const d = await downP;
        t.is(d.bytes, BIG);
        t.is(d.sha256, patternHash(BIG));
        await upDone;
        t.is(Buffer.concat(upBody).toString(), `${BIG} ${patternHash(BIG)}\n`);
      },
      { initialWindowSize: 16384 },
    );
  });

  test(`node:http2 client -> our server (${mode}): trailers and push`, async (t) => {
    await withServerAndClient(mode, async (client) => {
      const tr = await get(client, '/trailers');
      t.is(tr.body.toString(), 'body\n');
      t.is(tr.trailers?.['x-checksum'], 'abc123');
      t.is(tr.trailers?.['x-count'], '1');
      const pushed = new Promise<{ path: string; body: string }>((resolve) => {
        client.once('stream', (ps, reqHeaders) => {
          const chunks: Buffer[] = [];
          ps.on('data', (c: Buffer) => chunks.push(c));
          ps.on('end', () => resolve({ path: String(reqHeaders[':path']), body: Buffer.concat(chunks).toString() }));
        });
      });
      const page = await get(client, '/push');
      t.is(page.body.toString(), 'page\n');
      const p = await pushed;
      t.is(p.path, '/pushed.css');
      t.is(p.body, 'pushed { color: red }\n');
    });
  });
}
