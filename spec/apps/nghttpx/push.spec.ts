/** nghttpx's Link header reading for server push (lib/apps/nghttpx/push.ts), against the reference's rules. */
import test from 'ava';
import { canPush, linkPushes, preloadLinks, pushTarget } from '../../../lib/apps/nghttpx/push';
import type { ProxyRequest } from '../../../lib/apps/nghttpx/request';

const req = (over: Partial<ProxyRequest> = {}): ProxyRequest => ({
  method: 'GET',
  scheme: 'https',
  authority: 'example.org',
  path: '/a/b/page.html?x=1',
  fields: [
    ['accept', '*/*'],
    ['user-agent', 'ua'],
    ['cookie', 'c=1'],
    ['accept-encoding', 'gzip'],
  ],
  body: undefined,
  remoteAddress: '127.0.0.1',
  remotePort: 1,
  serverPort: 2,
  protocol: 'h2',
  alpn: 'h2',
  tls: true,
  frontendIndex: 0,
  ...over,
});

test('preloadLinks: rel=preload (token or in a quoted list), case-insensitive', (t) => {
  t.deepEqual(preloadLinks('</a.css>; rel=preload'), ['/a.css']);
  t.deepEqual(preloadLinks('</a.css>; REL=PreLoad; as=style'), ['/a.css']);
  t.deepEqual(preloadLinks('</a.css>; rel="prefetch preload"'), ['/a.css']);
  t.deepEqual(preloadLinks('</a.css>; rel=stylesheet'), []);
  t.deepEqual(preloadLinks('</a.css>; rel="preloaded"'), []);
  t.deepEqual(preloadLinks('</a>; rel=preload, </b>; rel=preload,</c>;rel=preload'), ['/a', '/b', '/c']);
});

test('preloadLinks: nopush, a non-empty anchor or loadpolicy drop the link; empty ones do not', (t) => {
  t.deepEqual(preloadLinks('</a>; rel=preload; nopush'), []);
  t.deepEqual(preloadLinks('</a>; nopush; rel=preload, </b>; rel=preload'), ['/b']);
  t.deepEqual(preloadLinks('</a>; rel=preload; anchor="/x"'), []);
  t.deepEqual(preloadLinks('</a>; rel=preload; anchor=""'), ['/a']);
  t.deepEqual(preloadLinks('</a>; rel=preload; loadpolicy=next'), []);
  // nopush with a value is another parameter (the reference checks the bare name).
  t.deepEqual(preloadLinks('</a>; rel=preload; nopush=1'), ['/a']);
});

test('preloadLinks: quoted values may hold , and ; ; malformed input stops the parse, never throws', (t) => {
  t.deepEqual(preloadLinks('</a>; title="x, y; z"; rel=preload, </b>; rel=preload'), ['/a', '/b']);
  t.deepEqual(preloadLinks('</a>; rel=preload, garbage, </b>; rel=preload'), ['/a']);
  t.deepEqual(preloadLinks('</a; rel=preload'), []);
  t.deepEqual(preloadLinks('</a>; rel="preload'), []);
  t.deepEqual(preloadLinks('</a>; =x; rel=preload'), []);
  t.deepEqual(preloadLinks(''), []);
  t.deepEqual(preloadLinks('<>; rel=preload'), []);
});

test('pushTarget: relative to the request path, absolute URIs keep their origin, network-path refused', (t) => {
  t.deepEqual(pushTarget(req(), '/s.css'), { scheme: 'https', authority: 'example.org', path: '/s.css' });
  t.deepEqual(pushTarget(req(), 'img.png?v=2'), { scheme: 'https', authority: 'example.org', path: '/a/b/img.png?v=2' });
  t.deepEqual(pushTarget(req(), '../c/./d.js'), { scheme: 'https', authority: 'example.org', path: '/a/c/d.js' });
  t.deepEqual(pushTarget(req(), 'http://other:8080/x'), { scheme: 'http', authority: 'other:8080', path: '/x' });
  t.is(pushTarget(req(), '//other/x'), undefined);
  t.is(pushTarget(req({ path: '*' }), '/x'), undefined);
});

test('linkPushes: GET with the copied request fields; canPush as the reference decides', (t) => {
  t.deepEqual(linkPushes(req(), [['link', '</s.css>; rel=preload']]), [
    [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/s.css'],
      [':authority', 'example.org'],
      ['user-agent', 'ua'],
      ['accept-encoding', 'gzip'],
    ],
  ]);
  const o = { noServerPush: false, http2Proxy: false };
  t.true(canPush(o, req(), 200));
  t.true(canPush(o, req({ method: 'POST' }), 200));
  t.false(canPush(o, req({ method: 'HEAD' }), 200));
  t.false(canPush(o, req(), 404));
  t.false(canPush(o, req({ pushed: true }), 200));
  t.false(canPush({ ...o, noServerPush: true }, req(), 200));
  t.false(canPush({ ...o, http2Proxy: true }, req(), 200));
});
