import test from 'ava';
import { matchRoute, normalizePath, parsePattern, pathMatches, Route } from '../../../lib/apps/nghttpx/routing';

const table = (...patterns: string[]): Route<string>[] => patterns.map((p) => ({ pattern: parsePattern(p), target: p }));
const pick = (routes: Route<string>[], host: string | undefined, path: string) => matchRoute(routes, host, path)?.target;

test('man page: nghttp2.org/httpbin/ matches /httpbin/get on that host, not /index.html', (t) => {
  const r = table('', 'nghttp2.org/httpbin/');
  t.is(pick(r, 'nghttp2.org', '/httpbin/get'), 'nghttp2.org/httpbin/');
  t.is(pick(r, 'nghttp2.org', '/index.html'), '');
  t.is(pick(r, 'example.org', '/httpbin/get'), '');
});

test('man page: *.nghttp2.org matches www. and git. but not nghttp2.org; exact host wins over wildcard', (t) => {
  const r = table('/', '*.nghttp2.org', 'www.nghttp2.org/x/');
  t.is(pick(r, 'git.nghttp2.org', '/a'), '*.nghttp2.org');
  t.is(pick(r, 'www.nghttp2.org', '/x/y'), 'www.nghttp2.org/x/');
  // The exact host has no pattern for /a: the wildcard host still beats the path-only catch-all.
  t.is(pick(r, 'www.nghttp2.org', '/a'), '*.nghttp2.org');
  t.is(pick(r, 'nghttp2.org', '/a'), '/');
  t.is(pick(r, '.nghttp2.org', '/a'), '/'); // "The \"*\" must match at least one character"
});

test('man page: /foo* matches /foo/ and /foobar, not /foo or /fo', (t) => {
  t.true(pathMatches('/foo*', '/foo/'));
  t.true(pathMatches('/foo*', '/foobar'));
  t.false(pathMatches('/foo*', '/foo'));
  t.false(pathMatches('/foo*', '/fo'));
});

test('exact path, subtree (also without the trailing slash), catch-all, longest wins', (t) => {
  const r = table('/', '/1k', '/dir/', '/dir/sub/');
  t.is(pick(r, 'h', '/1k'), '/1k');
  t.is(pick(r, 'h', '/1k/'), '/');
  t.is(pick(r, 'h', '/1kb'), '/');
  t.is(pick(r, 'h', '/dir'), '/dir/');
  t.is(pick(r, 'h', '/dir/a'), '/dir/');
  t.is(pick(r, 'h', '/dir/sub/a'), '/dir/sub/');
  t.is(pick(r, 'h', '/directory'), '/');
  t.is(pick(r, undefined, '/1k?x=1'), '/1k');
});

test('host patterns beat path-only patterns even when shorter; host is case-folded and port ignored', (t) => {
  const r = table('/', '/very/long/path/', 'example.com');
  t.is(pick(r, 'EXAMPLE.com:8443', '/very/long/path/x'), 'example.com');
  t.is(pick(r, 'other.com', '/very/long/path/x'), '/very/long/path/');
});

test('normalisation: unreserved percent-escapes decoded, dot-segments removed, query dropped', (t) => {
  t.is(normalizePath('/a/%7Eb/../c/./d?q=/x'), '/a/c/d');
  t.is(normalizePath('/%41%2f'), '/A%2F');
  t.is(normalizePath('/a/..'), '/');
  t.is(normalizePath('/../../x'), '/x');
  const r = table('/', '/1k');
  t.is(pick(r, 'h', '/x/../%31k'), '/1k');
});

test('parsePattern: empty is the catch-all; host-only pattern covers the host', (t) => {
  t.deepEqual(parsePattern(''), { host: '', path: '/', key: '/' });
  t.deepEqual(parsePattern('Example.COM'), { host: 'example.com', path: '/', key: 'example.com/' });
  t.deepEqual(parsePattern('/a/b/'), { host: '', path: '/a/b/', key: '/a/b/' });
});
