import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import * as zlib from 'zlib';
import {
  acceptsGzip,
  contentTypeFor,
  decodeRequestPath,
  parseMimeTypes,
  percentDecode,
  readChunk,
  SiteRequest,
  SMALL_FILE_BYTES,
  StaticSite,
} from '../../../lib/apps/nghttpd/static';

const MIME = parseMimeTypes(
  '# comment\ntext/html html htm\ntext/css css\ntext/javascript js\napplication/x-other js\n\nimage/png png # trailing\n',
);

function makeSite(extra: Partial<ConstructorParameters<typeof StaticSite>[0]> = {}) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpd-static-'));
  const root = path.join(base, 'www');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<html>home</html>');
  fs.writeFileSync(path.join(root, 'sub', 'index.html'), 'sub');
  fs.writeFileSync(path.join(root, 'style.css'), 'body{}');
  fs.writeFileSync(path.join(root, 'noext'), 'x');
  fs.writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(SMALL_FILE_BYTES * 3 + 5, 7));
  fs.writeFileSync(path.join(base, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'escape.txt'));
  fs.symlinkSync(base, path.join(root, 'updir'));
  fs.symlinkSync(path.join(root, 'style.css'), path.join(root, 'inner.css'));
  const mtime = new Date('2026-01-02T03:04:05.678Z');
  fs.utimesSync(path.join(root, 'index.html'), mtime, mtime);
  const site = new StaticSite({ htdocs: root, mimeTypes: MIME, serverName: 'nghttpd test', port: 8080, revalidateMs: 0, ...extra });
  return {
    base,
    root,
    site,
    cleanup: () => {
      site.close();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

const req = (p: string, more: Partial<SiteRequest> = {}): SiteRequest => ({
  method: 'GET',
  path: p,
  scheme: 'http',
  authority: 'h:8080',
  ...more,
});
const names = (h: Array<[string, string, boolean?]>) => h.map((f) => f[0]);
const value = (h: Array<[string, string, boolean?]>, n: string) => h.find((f) => f[0] === n)?.[1];

test('mime.types: first mapping wins, comments ignored, no extension -> none', (t) => {
  t.is(MIME.get('js'), 'text/javascript');
  t.is(MIME.get('png'), 'image/png');
  t.is(contentTypeFor('/a/b.css', MIME), 'text/css');
  t.is(contentTypeFor('/a.b/noext', MIME), undefined);
  t.is(contentTypeFor('/x.unknown', MIME), undefined);
});

test('percent-decoding keeps malformed escapes and decodes bytes', (t) => {
  t.is(percentDecode('/a%20b%2F%zz%4').toString('latin1'), '/a b/%zz%4');
});

test('paths that could leave htdocs are refused, encoded or not', (t) => {
  for (const p of [
    '/..',
    '/../etc/passwd',
    '/a/../../x',
    '/%2e%2e/x',
    '/%2E%2E%2fetc',
    '/a%2f..%2f..%2fx',
    '/.',
    '/./x',
    '/a\\..\\x',
    '/a%5c..',
    '/x%00.html',
    '/%c0%ae%c0%ae/x',
    'relative',
    '*',
    '',
  ]) {
    t.is(decodeRequestPath(p), null, p);
  }
  t.deepEqual(decodeRequestPath('/dir/?a=1'), { rawPath: '/dir/', query: '?a=1', file: '/dir/index.html' });
  t.deepEqual(decodeRequestPath('/a%20b.txt'), { rawPath: '/a%20b.txt', query: '', file: '/a b.txt' });
  t.deepEqual(decodeRequestPath('/..foo/x..'), { rawPath: '/..foo/x..', query: '', file: '/..foo/x..' });
  // Octets arrive as latin1 characters: UTF-8 bytes become the UTF-8 name; a lone 8-bit octet is refused.
  t.is(decodeRequestPath('/caf\xc3\xa9')?.file, '/caf\u00e9');
  t.is(decodeRequestPath('/caf%C3%A9')?.file, '/caf\u00e9');
  t.is(decodeRequestPath('/x\x80'), null);
  t.is(decodeRequestPath('/a/../b'), null);
  t.is(decodeRequestPath('/a/b.css')?.file, '/a/b.css');
});

test('200: the reference header order and values', async (t) => {
  const s = makeSite();
  const r = await s.site.resolve(req('/'));
  t.is(r.status, 200);
  t.deepEqual(names(r.headers), [':status', 'server', 'cache-control', 'date', 'content-length', 'last-modified', 'content-type']);
  t.is(value(r.headers, 'server'), 'nghttpd test');
  t.is(value(r.headers, 'cache-control'), 'max-age=3600');
  t.is(value(r.headers, 'content-length'), '17');
  t.is(value(r.headers, 'last-modified'), 'Fri, 02 Jan 2026 03:04:05 GMT');
  t.is(value(r.headers, 'content-type'), 'text/html');
  t.regex(value(r.headers, 'date')!, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
  t.truthy(r.file);
  t.is((await readChunk(r.file!, 0, 100)).toString(), '<html>home</html>');
  s.site.release(r.file!);
  const n = await s.site.resolve(req('/noext'));
  t.is(value(n.headers, 'content-type'), undefined);
  s.cleanup();
});

test('directory without its slash: 301 with location keeping the query', async (t) => {
  const s = makeSite();
  const r = await s.site.resolve(req('/sub?x=1'));
  t.is(r.status, 301);
  t.deepEqual(r.headers, [
    [':status', '301'],
    ['server', 'nghttpd test'],
    ['date', value(r.headers, 'date')!],
    ['location', 'http://h:8080/sub/?x=1'],
  ]);
  t.is(r.body, undefined);
  t.is(r.file, undefined);
  const ok = await s.site.resolve(req('/sub/'));
  t.is(ok.status, 200);
  t.is(value(ok.headers, 'content-length'), '3');
  s.cleanup();
});

test('if-modified-since: 304 when not newer, 200 when older', async (t) => {
  const s = makeSite();
  const r = await s.site.resolve(req('/index.html', { ifModifiedSince: 'Fri, 02 Jan 2026 03:04:05 GMT' }));
  t.is(r.status, 304);
  t.deepEqual(names(r.headers), [':status', 'server', 'date']);
  const r2 = await s.site.resolve(req('/index.html', { ifModifiedSince: 'Fri, 02 Jan 2026 03:04:04 GMT' }));
  t.is(r2.status, 200);
  s.site.release(r2.file!);
  const r3 = await s.site.resolve(req('/index.html', { ifModifiedSince: 'garbage' }));
  t.is(r3.status, 200);
  s.site.release(r3.file!);
  s.cleanup();
});

test('HEAD: the GET headers without a body', async (t) => {
  const s = makeSite();
  const r = await s.site.resolve(req('/style.css', { method: 'HEAD' }));
  t.is(r.status, 200);
  t.is(value(r.headers, 'content-length'), '6');
  t.is(r.file, undefined);
  t.is(r.body, undefined);
  s.cleanup();
});

test('404: the reference HTML page; -e gzips it for gzip clients only', async (t) => {
  const s = makeSite();
  const r = await s.site.resolve(req('/nope'));
  t.is(r.status, 404);
  t.deepEqual(names(r.headers), [':status', 'server', 'date', 'content-type', 'content-length']);
  t.is(value(r.headers, 'content-type'), 'text/html; charset=UTF-8');
  t.is(
    r.body!.toString(),
    '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr><address>nghttpd test at port 8080</address></body></html>',
  );
  t.is(value(r.headers, 'content-length'), String(r.body!.length));
  s.cleanup();
  const g = makeSite({ errorGzip: true });
  const plain = await g.site.resolve(req('/nope'));
  t.is(value(plain.headers, 'content-encoding'), undefined);
  const z = await g.site.resolve(req('/nope', { acceptEncoding: 'gzip, deflate' }));
  t.is(value(z.headers, 'content-encoding'), 'gzip');
  t.is(zlib.gunzipSync(z.body!).toString(), plain.body!.toString());
  t.is(value(z.headers, 'content-length'), String(z.body!.length));
  g.cleanup();
});

test('no request path reaches outside htdocs: traversal, encodings, NUL, symlinks', async (t) => {
  const s = makeSite();
  for (const p of [
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/sub/..%2f..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/sub/%2E%2E/%2E%2E/secret.txt',
    '/secret.txt%00.html',
    '/escape.txt',
    '/updir/secret.txt',
  ]) {
    const r = await s.site.resolve(req(p));
    t.is(r.status, 404, p);
    t.is(r.file, undefined, p);
  }
  const inner = await s.site.resolve(req('/inner.css'));
  t.is(inner.status, 200, 'a symlink that stays inside is served');
  s.site.release(inner.file!);
  s.cleanup();
});

test('special files are not served (a FIFO would block a reader)', async (t) => {
  const s = makeSite();
  try {
    execFileSync('mkfifo', [path.join(s.root, 'fifo')]);
  } catch {
    t.pass('mkfifo not available');
    s.cleanup();
    return;
  }
  const r = await s.site.resolve(req('/fifo'));
  t.is(r.status, 404);
  s.cleanup();
});

test('large files are read in chunks from the fd, not held in memory', async (t) => {
  const s = makeSite();
  const r = await s.site.resolve(req('/big.bin'));
  const size = SMALL_FILE_BYTES * 3 + 5;
  t.is(value(r.headers, 'content-length'), String(size));
  t.is(r.file!.small, undefined);
  let pos = 0;
  let sum = 0;
  for (let i = 0; i < 100 && pos < size; i++) {
    const c = await readChunk(r.file!, pos, 16384);
    t.true(c.length <= 16384);
    sum += c.reduce((a, b) => a + b, 0);
    pos += c.length;
  }
  t.is(pos, size);
  t.is(sum, size * 7);
  s.site.release(r.file!);
  s.cleanup();
});

test('the cache notices a changed file and keeps serving the old fd to a stream in flight', async (t) => {
  const s = makeSite();
  const a = await s.site.resolve(req('/style.css'));
  fs.writeFileSync(path.join(s.root, 'style.css'), 'body{color:red}');
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(s.root, 'style.css'), later, later);
  const b = await s.site.resolve(req('/style.css'));
  t.is(value(b.headers, 'content-length'), '15');
  t.is((await readChunk(a.file!, 0, 100)).toString(), 'body{}');
  s.site.release(a.file!);
  s.site.release(b.file!);
  fs.unlinkSync(path.join(s.root, 'style.css'));
  t.is((await s.site.resolve(req('/style.css'))).status, 404);
  s.cleanup();
});

test('--no-content-length and --trailer shape the headers', async (t) => {
  const s = makeSite({ noContentLength: true, trailerNames: ['x-a', 'x-b'] });
  const r = await s.site.resolve(req('/style.css'));
  t.is(value(r.headers, 'content-length'), undefined);
  t.is(value(r.headers, 'trailer'), 'x-a, x-b');
  s.site.release(r.file!);
  const e = s.site.echoHeaders(3);
  t.deepEqual(names(e), [':status', 'server', 'date', 'trailer', 'nghttpd-response']);
  // As the reference: the error page keeps content-length and puts trailer after date.
  const nf = await s.site.resolve(req('/nope'));
  t.deepEqual(names(nf.headers), [':status', 'server', 'date', 'trailer', 'content-type', 'content-length']);
  const head = await s.site.resolve(req('/style.css', { method: 'HEAD' }));
  t.is(names(head.headers).at(-1), 'trailer');
  const moved = await s.site.resolve(req('/sub'));
  t.false(names(moved.headers).includes('trailer'));
  s.cleanup();
});

test('accept-encoding parsing', (t) => {
  t.true(acceptsGzip('gzip, deflate'));
  t.true(acceptsGzip('deflate, GZIP;q=0.5'));
  t.false(acceptsGzip('gzip;q=0'));
  t.false(acceptsGzip('br'));
  t.false(acceptsGzip(undefined));
});

test('a burst of requests for a cold file shares one lookup and one cache entry', async (t) => {
  const s = makeSite({ revalidateMs: 60000 });
  const rs = await Promise.all(Array.from({ length: 20 }, () => s.site.resolve(req('/style.css'))));
  const entries = new Set(rs.map((r) => r.file));
  t.is(entries.size, 1);
  t.is([...entries][0]!.refs, 20);
  for (const r of rs) s.site.release(r.file!);
  const hot = s.site.resolveCached(req('/style.css'));
  t.is(hot?.file, [...entries][0]);
  s.site.release(hot!.file!);
  t.is(s.site.resolveCached(req('/missing.css')), undefined, 'a miss needs I/O');
  t.is(s.site.resolveCached(req('/../x'))?.status, 404, 'a bad path needs none');
  s.cleanup();
});
