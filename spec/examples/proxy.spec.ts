/**
 * examples/proxy.ts between Debian's nghttp and nghttpd: every scenario of issue 12 item 2 exits 0
 * with the exact bodies, x-proxied on every response (pushed ones too), no RST_STREAM and no GOAWAY
 * with an error code, in nghttp -nv's own trace. Needs nghttp2-client and nghttp2-server.
 */
import test from 'ava';
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { repoRoot } from '../helpers/repo';
import { docroot, haveNghttp2, nghttp, Proc, startExample, startNghttpd } from './helpers';

const BIG = crypto
  .createHash('sha256')
  .update('big')
  .digest()
  .toString('hex')
  .repeat((3 * 1024 * 1024) / 64);
const FILES: Record<string, string> = {
  'index.html': 'hello\n',
  'a.css': 'body { color: red }\n',
  'b.js': 'console.log(1);\n',
  'pushed.html': '<link rel=stylesheet href=/a.css>\n',
  big: BIG,
};

let root: ReturnType<typeof docroot>;
let server: Proc;
let proxy: Proc;
const uri = (p: string) => `http://127.0.0.1:${proxy.port}/${p}`;

const t0 = haveNghttp2 ? test.serial : test.skip;
if (haveNghttp2) {
  test.before(async () => {
    root = docroot(FILES);
    fs.writeFileSync(path.join(root.dir, 'upload'), BIG);
    server = await startNghttpd(root.dir, ['-p/pushed.html=/a.css']);
    proxy = await startExample('proxy', server.port);
  });
  test.after.always(async () => {
    await proxy?.stop();
    await server?.stop();
    root?.remove();
  });
}

/** Run one scenario: `args` before the URIs; `paths` requested; `bodies` the files expected back. */
async function scenario(t: import('ava').ExecutionContext, args: string[], paths: string[], bodies: string[]): Promise<string> {
  const urls = paths.map(uri);
  const traced = await nghttp(['-nv', ...args, ...urls]);
  t.is(traced.code, 0, traced.stderr);
  const trace = traced.stdout;
  t.false(/RST_STREAM/.test(trace), 'no RST_STREAM either way');
  for (const m of trace.matchAll(/error_code=([A-Z_]+)/g)) t.is(m[1], 'NO_ERROR', 'GOAWAY without an error');
  const marked = trace.match(/recv \(stream_id=\d+\) x-proxied: nghttp2-ts/g) ?? [];
  const statuses = trace.match(/recv \(stream_id=\d+\) :status: /g) ?? [];
  t.is(statuses.length, bodies.length, 'one response per expected body');
  t.is(marked.length, bodies.length, 'x-proxied on every response');
  const plain = await nghttp([...args, ...urls]);
  t.is(plain.code, 0, plain.stderr);
  const expected = bodies.map((b) => FILES[b]);
  if (expected.length === 1 || new Set(expected).size === 1) t.is(plain.stdout, expected.join(''));
  else {
    // Responses on several streams finish in any order; small bodies arrive whole.
    t.is(
      plain.stdout.length,
      expected.reduce((n, b) => n + b.length, 0),
    );
    for (const b of expected) t.true(plain.stdout.includes(b));
  }
  return trace;
}

t0('defaults', async (t) => {
  await scenario(t, [], ['index.html'], ['index.html']);
});

t0('-c 0 with 3 URIs (the peer decoder has no dynamic table: our encoder learns it from the SETTINGS read)', async (t) => {
  const trace = await scenario(t, ['-c', '0'], ['index.html', 'a.css', 'b.js'], ['index.html', 'a.css', 'b.js']);
  t.true(trace.includes('SETTINGS_HEADER_TABLE_SIZE(0x01):0'));
});

t0('--encoder-header-table-size=0 with 3 URIs', async (t) => {
  await scenario(t, ['--encoder-header-table-size=0'], ['index.html', 'a.css', 'b.js'], ['index.html', 'a.css', 'b.js']);
});

t0('-w 10 -W 12 on a 3 MB body', async (t) => {
  const trace = await scenario(t, ['-w', '10', '-W', '12'], ['big'], ['big']);
  t.true(trace.includes('send WINDOW_UPDATE'));
});

t0('-b 255 (padding both ways through the proxy)', async (t) => {
  const trace = await scenario(t, ['-b', '255'], ['index.html', 'big'], ['index.html', 'big']);
  t.true(/send HEADERS frame[^\n]*\n\s+; [^\n]*PADDED/.test(trace) || trace.includes('padlen=255'));
});

t0('--continuation', async (t) => {
  const trace = await scenario(t, ['--continuation'], ['index.html'], ['index.html']);
  // nghttp prints the whole block as one HEADERS line; beyond 16384 octets it left as HEADERS + CONTINUATION.
  t.true(Number(/send HEADERS frame <length=(\d+)/.exec(trace)?.[1]) > 16384);
});

t0('-m 100', async (t) => {
  await scenario(t, ['-m', '100'], ['index.html'], Array(100).fill('index.html'));
});

t0('a 3 MB upload', async (t) => {
  const trace = await scenario(t, ['-d', path.join(root.dir, 'upload')], ['index.html'], ['index.html']);
  const sent = [...trace.matchAll(/send DATA frame <length=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  t.is(sent, BIG.length);
});

t0('push configured on nghttpd: the PUSH_PROMISE and the pushed response cross the proxy', async (t) => {
  const trace = await scenario(t, [], ['pushed.html'], ['pushed.html', 'a.css']);
  t.true(trace.includes('recv PUSH_PROMISE frame'));
  t.regex(trace, /recv \(stream_id=2\) x-proxied: nghttp2-ts/);
});

test('the README shows examples/proxy.ts verbatim, and it stays within 80 lines', (t) => {
  const readme = fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
  const source = fs.readFileSync(path.join(repoRoot(), 'examples/proxy.ts'), 'utf8');
  // The README block is the example with its in-repository imports replaced by the package root's.
  const body = (code: string) => code.replace(/^import [^\n]*\n/gm, '');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].find((m) => m[1].includes('An h2c reverse proxy from the layers'));
  t.truthy(block);
  t.is(body(block![1]), body(source));
  t.regex(block![1], /from 'nghttp2-ts'/);
  t.true(source.split('\n').length <= 80);
  t.true(fs.readFileSync(path.join(repoRoot(), 'examples/byte-counter.ts'), 'utf8').split('\n').length <= 40);
});
