import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, parseBackend, parseFrontend, UsageError } from '../../../lib/apps/nghttpx/options';
import { groupTimeouts } from '../../../lib/apps/nghttpx/backend-rules';

const run = (argv: string[]) => {
  const p = parseArgs(['--conf=/dev/null', ...argv]);
  if (p.kind !== 'run') throw new Error('expected run');
  return p.options;
};

test('-f and -b getopt forms, params and patterns', (t) => {
  const o = run([
    '-f127.0.0.1,3000;no-tls',
    '--frontend',
    'unix:/tmp/x.sock;no-tls',
    '-b',
    '127.0.0.1,80',
    '--backend=127.0.0.1,81;/a:/b/;proto=h2',
  ]);
  t.deepEqual(o.frontends, [
    { host: '127.0.0.1', port: 3000, noTls: true },
    { unixPath: '/tmp/x.sock', noTls: true },
  ]);
  t.is(o.backends[0].proto, 'http/1.1');
  t.deepEqual(
    o.backends[0].patterns.map((p) => p.key),
    ['/'],
  );
  t.is(o.backends[1].proto, 'h2');
  t.deepEqual(
    o.backends[1].patterns.map((p) => p.key),
    ['/a', '/b/'],
  );
});

test('flags and values, short clusters, defaults', (t) => {
  const o = run([
    '-f*,0;no-tls',
    '-b127.0.0.1,80',
    '-ok',
    '-c',
    '7',
    '-Lwarn',
    '--no-via',
    '--server-name=x',
    '--add-x-forwarded-for',
    '--add-request-header=X-A: 1',
    '--add-response-header',
    'x-b:2',
    '-n4',
    '--single-thread',
    '--single-process',
  ]);
  t.true(o.frontendFrameDebug);
  t.true(o.insecure);
  t.is(o.frontendHttp2MaxConcurrentStreams, 7);
  t.is(o.logLevel, 'WARN');
  t.true(o.noVia);
  t.is(o.serverName, 'x');
  t.true(o.addXForwardedFor);
  t.deepEqual(o.addRequestHeaders, [['x-a', '1']]);
  t.deepEqual(o.addResponseHeaders, [['x-b', '2']]);
  t.is(o.frontendHttp2WindowSize, 65535);
  t.is(o.backendHttp2WindowSize, 65535);
  t.is(o.backendHttp2ConnectionWindowSize, 2 ** 31 - 1);
  const w = run([
    '-f*,0;no-tls',
    '--backend-http2-window-size=1048576',
    '--backend-http2-connection-window-size',
    '70000',
    '--frontend-http2-window-size=100000',
  ]);
  t.is(w.backendHttp2WindowSize, 1048576);
  t.is(w.backendHttp2ConnectionWindowSize, 70000);
  t.is(w.frontendHttp2WindowSize, 100000);
  t.is(o.accesslogFormat, '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"');
});

test('positional <PRIVATE_KEY> <CERT> for a TLS frontend; a TLS frontend without them is refused', (t) => {
  const fx = path.resolve(__dirname, '../../../../spec/fixtures');
  const o = run(['-f127.0.0.1,0', path.join(fx, 'server.key'), path.join(fx, 'server.crt')]);
  t.false(o.frontends[0].noTls);
  t.is(o.certificateFile, path.join(fx, 'server.crt'));
  t.throws(() => run(['-f127.0.0.1,0']), { instanceOf: UsageError, message: /PRIVATE_KEY/ });
});

test("--conf: name=value lines, flags take yes, command-line lists replace the file's", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-'));
  const conf = path.join(dir, 'a.conf');
  fs.writeFileSync(
    conf,
    '# comment\nfrontend=127.0.0.1,3001;no-tls\nbackend=127.0.0.1,8080\nno-via=yes\naccesslog-format=$status\n\nadd-x-forwarded-for=yes\n',
  );
  const p = parseArgs([`--conf=${conf}`]);
  t.is(p.kind, 'run');
  if (p.kind !== 'run') return;
  t.is(p.options.frontends[0].port, 3001);
  t.true(p.options.noVia);
  t.true(p.options.addXForwardedFor);
  t.is(p.options.accesslogFormat, '$status');
  const q = parseArgs([`--conf=${conf}`, '-b127.0.0.1,9']);
  if (q.kind === 'run')
    t.deepEqual(
      q.options.backends.map((b) => b.port),
      [9],
    );
  fs.writeFileSync(conf, 'frontend=*,0;no-tls\nno-via=no\n');
  const r = parseArgs([`--conf=${conf}`]);
  if (r.kind === 'run') t.false(r.options.noVia);
  fs.writeFileSync(conf, '# c\nbogus=1\n');
  t.throws(() => parseArgs([`--conf=${conf}`]), { message: `${conf}:2: unknown option 'bogus'` });
  t.throws(() => parseArgs([`--conf=${path.join(dir, 'missing.conf')}`]), { message: /Could not open config file/ });
  fs.rmSync(dir, { recursive: true });
});

test('bad options and values name what was wrong', (t) => {
  t.throws(() => run(['--bogus']), { instanceOf: UsageError, message: "unrecognized option '--bogus'" });
  t.throws(() => run(['-Z']), { message: "invalid option -- 'Z'" });
  t.throws(() => run(['-f']), { message: /requires an argument/ });
  t.throws(() => run(['-c', 'abc', '-f*,0;no-tls']), { message: /frontend-http2-max-concurrent-streams: bad value/ });
  t.throws(() => run(['-b', 'x', '-f*,0;no-tls']), { message: 'backend: Invalid host, port: x' });
  t.throws(() => run(['-f', '127.0.0.1,99999;no-tls']), { message: 'frontend: Port is invalid: 99999' });
  t.throws(() => run(['-L', 'FOO', '-f*,0;no-tls']), { message: 'log-level: Invalid severity level: FOO' });
  t.throws(() => run(['-f*,0;no-tls', '-b127.0.0.1,80;/a']), { message: /catch-all/ });
  t.throws(() => run(['-f*,0;no-tls', '-b127.0.0.1,80;;proto=h3']), { message: /proto/ });
  // Within a group, as nghttpx 1.52: two different affinity or timeout settings are refused; an
  // address without one takes the group's, and protocols and TLS may differ.
  t.throws(() => run(['-f*,0;no-tls', '-b127.0.0.1,80;;affinity=ip', '-b127.0.0.1,81;;affinity=cookie;affinity-cookie-name=a']), {
    message: 'backend: affinity: multiple different affinity configurations found in a single group',
  });
  t.throws(() => run(['-f*,0;no-tls', '-b127.0.0.1,80;;read-timeout=3s', '-b127.0.0.1,81;;read-timeout=5s']), {
    message: 'backend: read-timeout: multiple different read-timeout found in a single group',
  });
  t.throws(() => run(['-f*,0;no-tls', '-b127.0.0.1,80;;write-timeout=3s', '-b127.0.0.1,81;;write-timeout=5s']), {
    message: 'backend: write-timeout: multiple different write-timeout found in a single group',
  });
  const mixed = run(['-f*,0;no-tls', '-b127.0.0.1,80;/;proto=h2;tls;read-timeout=3s', '-b127.0.0.1,81', '-b127.0.0.1,82;;affinity=ip']);
  t.deepEqual(
    mixed.backends.map((b) => [b.proto, b.tls]),
    [
      ['h2', true],
      ['http/1.1', false],
      ['http/1.1', false],
    ],
  );
  t.deepEqual(
    [...groupTimeouts(mixed.backends).values()].map((x) => x.readTimeout),
    [3000, 3000, 3000],
  );
  t.throws(() => parseFrontend('127.0.0.1,80;quic'), { message: /no HTTP\/3/ });
  t.throws(() => parseFrontend('127.0.0.1,80;api;healthmon'), { message: /mutually exclusive/ });
  t.throws(() => parseBackend('127.0.0.1,80;/;fall=x'), { message: /fall: bad value/ });
  t.throws(() => parseBackend('127.0.0.1,80;/;bogus'), { message: /unknown parameter bogus/ });
  t.throws(() => run(['--add-request-header=nocolon', '-f*,0;no-tls']), { message: 'add-request-header: invalid header field: nocolon' });
});

test("--add-*-header goes through the kit's one header parser, with the reference's rules", (t) => {
  // An empty value is allowed (the reference takes `a:`); names are lower-cased.
  t.deepEqual(run(['-f*,0;no-tls', '--add-request-header=X-A:', '--add-response-header=x-b:  2']).addRequestHeaders, [['x-a', '']]);
  t.deepEqual(run(['-f*,0;no-tls', '--add-response-header=x-b:  2']).addResponseHeaders, [['x-b', '2']]);
  // A pseudo-header, a name that is not a token and a value with CR/LF are refused, as by the reference.
  for (const bad of [':a: b', 'a b: c', 'x-a: 1\r\nx-b: 2']) {
    t.throws(() => run(['-f*,0;no-tls', `--add-response-header=${bad}`]), {
      instanceOf: UsageError,
      message: `add-response-header: invalid header field: ${bad}`,
    });
  }
});

test('help and version win over the other options', (t) => {
  t.is(parseArgs(['--conf=/dev/null', '-h', '-f127.0.0.1,0']).kind, 'help');
  t.is(parseArgs(['-v', '-f127.0.0.1,0']).kind, 'version');
});
