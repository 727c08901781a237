/**
 * Interop: curl (Debian package curl, built with nghttp2) against our HTTP2Server:
 * --http2-prior-knowledge, --http2 (HTTP/1.1 Upgrade over http), https with -k; parallel
 * multiplexed transfers, a 64 MiB body each way, trailers.
 */
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startApp } from './app';
import { BIG, CURL, fixtureTls, has, patternHash, run, sha256, writePatternFile } from './harness';

// Needs Debian's curl (with HTTP/2 support).
const t_ = has(CURL) ? test : test.skip;
const title = (s: string) => (has(CURL) ? s : `${s} (skipped: needs curl)`);

async function withApp<T>(tls: boolean, fn: (base: string) => Promise<T>): Promise<T> {
  const f = fixtureTls();
  const { server, port } = await startApp({
    tls: tls ? { key: f.key, cert: f.cert } : undefined,
    listen: { connection: { session: { settings: { initialWindowSize: 16384 } } } },
  });
  try {
    return await fn(tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`);
  } finally {
    await server.close();
  }
}

const VERSION = ['-w', '\n%{http_version} %{http_code}'];

t_(title('curl --http2-prior-knowledge -> our server (h2c)'), async (t) => {
  await withApp(false, async (base) => {
    const r = await run(CURL, ['-sS', '--http2-prior-knowledge', ...VERSION, `${base}/`]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.toString(), 'hello\n\n2 200');
  });
});

t_(title('curl --http2 -> our server: HTTP/1.1 Upgrade to h2c, 101 then the response on stream 1'), async (t) => {
  await withApp(false, async (base) => {
    const r = await run(CURL, ['-sS', '-v', '--http2', ...VERSION, `${base}/`]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /HTTP\/1\.1 101 Switching Protocols/);
    t.is(r.stdout.toString(), 'hello\n\n2 200');
    // With a body: read whole over HTTP/1.1, then it is stream 1's body.
    const d = await run(CURL, ['-sS', '-v', '--http2', '--data-binary', 'abc', ...VERSION, `${base}/hash`]);
    t.is(d.code, 0, d.stderr);
    t.regex(d.stderr, /HTTP\/1\.1 101 Switching Protocols/);
    t.is(d.stdout.toString(), '3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n\n2 200');
  });
});

t_(title('curl -k --http2 -> our server (TLS, ALPN h2); --http1.1 over TLS gets a readable HTTP/1.1 answer'), async (t) => {
  await withApp(true, async (base) => {
    const r = await run(CURL, ['-sSk', '--http2', ...VERSION, `${base}/`]);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.toString(), 'hello\n\n2 200');
    const h1 = await run(CURL, ['-sSk', '--http1.1', ...VERSION, `${base}/`]);
    t.is(h1.code, 0, h1.stderr);
    t.regex(h1.stdout.toString(), /speaks HTTP\/2[\s\S]*\n1\.1 505$/);
  });
});

t_(title('curl (plain HTTP/1.1, no upgrade) -> our cleartext port gets a readable HTTP/1.1 answer'), async (t) => {
  await withApp(false, async (base) => {
    const r = await run(CURL, ['-sS', '--http1.1', ...VERSION, `${base}/`]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout.toString(), /speaks HTTP\/2[\s\S]*\n1\.1 505$/);
  });
});

for (const tls of [false, true]) {
  const mode = tls ? 'TLS' : 'h2c';
  const flags = tls ? ['-k', '--http2'] : ['--http2-prior-knowledge'];

  // curl 7.88's --parallel over h2c prior knowledge fails every stream after the first with
  // "Error in the HTTP2 framing layer" against Debian's nghttpd and node:http2 too (a curl bug,
  // seen with `curl --http2-prior-knowledge --parallel` against nghttpd), so the multiplexing
  // check with curl runs over TLS only; nghttp and node:http2 cover concurrency over h2c.
  if (tls) {
    t_(title(`curl --parallel -> our server (${mode}): 50 multiplexed transfers`), async (t) => {
      await withApp(tls, async (base) => {
        const urls = Array.from({ length: 50 }, (_, i) => `${base}/bytes/${1000 + i}`);
        const args = ['-sS', ...flags, '--parallel', '--parallel-max', '50', '-w', '%{http_version} %{size_download}\n'];
        for (const u of urls) args.push('-o', '/dev/null', u);
        const r = await run(CURL, args);
        t.is(r.code, 0, r.stderr);
        const lines = r.stdout.toString().trim().split('\n').sort();
        t.deepEqual(lines, Array.from({ length: 50 }, (_, i) => `2 ${1000 + i}`).sort());
      });
    });
  }

  t_(title(`curl -> our server (${mode}): 64 MiB down and up, hashes checked; trailers`), async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttp2-ts-curl-'));
    try {
      const file = path.join(dir, 'up.bin');
      await writePatternFile(file, BIG);
      await withApp(tls, async (base) => {
        // Bounded by progress, not wall time: at load 28 a 64 MiB transfer through 16 KiB windows
        // took more than the 90 s it once had (a full-suite run of session 5: curl SIGKILLed, code
        // null). curl itself gives up when under 1 byte/s for 30 s (exit 28, "Operation too slow":
        // a stall), and 10 min is the outer bound.
        const bounded = ['--speed-limit', '1', '--speed-time', '30'];
        const t0 = Date.now();
        const down = await run(CURL, ['-sS', ...flags, ...bounded, `${base}/bytes/${BIG}`], { timeoutMs: 600000 });
        const took = `${down.signal ?? down.code} after ${Date.now() - t0} ms`;
        t.is(down.code, 0, `${down.stderr} (${took})`);
        t.is(down.stdout.length, BIG);
        t.is(sha256(down.stdout), patternHash(BIG));
        const t1 = Date.now();
        const up = await run(CURL, ['-sS', ...flags, ...bounded, '--data-binary', `@${file}`, `${base}/hash`], { timeoutMs: 600000 });
        t.is(up.code, 0, `${up.stderr} (${up.signal ?? up.code} after ${Date.now() - t1} ms)`);
        t.is(up.stdout.toString(), `${BIG} ${patternHash(BIG)}\n`);
        const tr = await run(CURL, ['-sS', '-v', ...flags, `${base}/trailers`]);
        t.is(tr.code, 0, tr.stderr);
        t.is(tr.stdout.toString(), 'body\n');
        t.regex(tr.stderr, /x-checksum: abc123/);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
