import test from 'ava';
import { parseArgs, resolveTarget, UsageError, H2loadConfig } from '../../../lib/apps/h2load/options';
import { parseHeaderArg as parseHeader } from '../../../lib/apps/common/headers';
import { spread } from '../../../lib/apps/h2load/run';
import { durationStr, spawnLine } from '../../../lib/apps/h2load/worker';
import { h1RequestHead, h2RequestHeaders } from '../../../lib/apps/h2load/requests';

function cfg(argv: string[]): H2loadConfig {
  const p = parseArgs(argv);
  if (p.kind !== 'run') throw new Error('expected a run');
  return p.config;
}

test('defaults are nghttp2 1.52 h2load defaults', (t) => {
  const c = cfg(['http://127.0.0.1:8080/']);
  t.is(c.requests, 1);
  t.is(c.clients, 1);
  t.is(c.threads, 1);
  t.is(c.maxConcurrentStreams, 1);
  t.is(c.maxFrameSize, 16384);
  t.is(c.windowBits, 30);
  t.is(c.connectionWindowBits, 30);
  t.is(c.noTlsProto, 'h2c');
  t.deepEqual(c.npnList, ['h2', 'h2-16', 'h2-14', 'http/1.1']);
  t.is(c.headerTableSize, 4096);
  t.is(c.encoderHeaderTableSize, 4096);
  t.is(c.ratePeriodMs, 1000);
  t.is(c.durationMs, undefined);
  t.is(c.rps, 0);
  t.false(c.verbose);
});

test('short, long, attached and = forms', (t) => {
  const c = cfg([
    '-n100',
    '-c',
    '4',
    '--threads=2',
    '-m',
    '10',
    '-f',
    '32K',
    '-w',
    '16',
    '-W20',
    '--header-table-size=8K',
    '--encoder-header-table-size',
    '0',
    '-H',
    'x-a: b',
    '-H',
    ':method: HEAD',
    '-v',
    '--rps=5',
    '-T',
    '2s',
    '-N',
    '500ms',
    '--connect-to=localhost:9',
    '--log-file',
    '/tmp/x.tsv',
    'http://a/',
    '/b',
  ]);
  t.is(c.requests, 100);
  t.is(c.clients, 4);
  t.is(c.threads, 2);
  t.is(c.maxConcurrentStreams, 10);
  t.is(c.maxFrameSize, 32768);
  t.is(c.windowBits, 16);
  t.is(c.connectionWindowBits, 20);
  t.is(c.headerTableSize, 8192);
  t.is(c.encoderHeaderTableSize, 0);
  t.deepEqual(c.headers, [
    ['x-a', 'b'],
    [':method', 'HEAD'],
  ]);
  t.true(c.verbose);
  t.is(c.rps, 5);
  t.is(c.activeTimeoutMs, 2000);
  t.is(c.inactivityTimeoutMs, 500);
  t.deepEqual(c.connectTo, { host: 'localhost', port: 9 });
  t.is(c.logFile, '/tmp/x.tsv');
  t.deepEqual(c.uris, ['http://a/', '/b']);
});

test('--h1 forces http/1.1 for both http and https', (t) => {
  const c = cfg(['--h1', 'https://a/']);
  t.is(c.noTlsProto, 'http/1.1');
  t.deepEqual(c.npnList, ['http/1.1']);
  t.is(cfg(['-p', 'http/1.1', 'http://a/']).noTlsProto, 'http/1.1');
});

test('-D and --warm-up-time are durations; -n is not checked against -c with -D', (t) => {
  const c = cfg(['-D', '3', '--warm-up-time', '500ms', '-c', '10', 'http://a/']);
  t.is(c.durationMs, 3000);
  t.is(c.warmUpMs, 500);
  t.is(cfg(['-D', '0', 'http://a/']).durationMs, undefined);
});

test('-h and --version', (t) => {
  t.is(parseArgs(['-h']).kind, 'help');
  t.is(parseArgs(['--version']).kind, 'version');
});

const bad: [string[], RegExp][] = [
  [['-n', 'abc', 'http://a/'], /-n/],
  [['-c', '0', 'http://a/'], /-c/],
  [['-m', '0', 'http://a/'], /-m/],
  [['-t', '0', 'http://a/'], /-t/],
  [['-n', '1', '-c', '2', 'http://a/'], /requests must be greater than or equal to the clients/],
  [['-t', '2', '-c', '1', '-n', '2', 'http://a/'], /clients must be greater than or equal to the number of threads/],
  [['-w', '31', 'http://a/'], /-w/],
  [['-W', '-1', 'http://a/'], /-W/],
  [['-f', '100', 'http://a/'], /minimum 16384/],
  [['-f', '16M', 'http://a/'], /maximum/],
  [['-p', 'h3', 'http://a/'], /unsupported protocol h3/],
  [['--no-tls-proto=h3', 'http://a/'], /^--no-tls-proto: unsupported protocol h3/],
  [['-r', '1', '-D', '1', 'http://a/'], /mutually exclusive/],
  [['-D', 'soon', 'http://a/'], /DURATION/],
  [['-T', 'x', 'http://a/'], /-T/],
  [['--rate-period', '-1', '-r', '1', 'http://a/'], /--rate-period/],
  [['-H', 'nocolon', 'http://a/'], /invalid header/],
  [['--connect-to', 'a:b:c', 'http://a/'], /--connect-to/],
  [['--bogus', 'http://a/'], /unrecognized option '--bogus'/],
  [['--timing-script-file', 'x', '--rps', '1'], /mutually exclusive/],
  [['--ciphers', 'x', 'http://a/'], /--ciphers: OpenSSL refused 'x'/],
  [['--ciphers', 'TLS_AES_128_GCM_SHA256', 'http://a/'], /--tls13-ciphers/],
  [['--tls13-ciphers', 'AES128-SHA', 'http://a/'], /not a list of TLSv1.3 suites/],
  [['--groups=P-999', 'http://a/'], /--groups: OpenSSL refused 'P-999'/],
  [['--ktls', 'http://a/'], /--ktls is not supported/],
  [[], /no URI given/],
  [['-r', '1', '-t', '2', '-c', '2', '-n', '2', 'http://a/'], /connection rate must be greater than or equal to the number of threads/],
];
for (const [argv, re] of bad) {
  test(`rejects ${JSON.stringify(argv)}`, (t) => {
    const e = t.throws(() => parseArgs(argv), { instanceOf: UsageError });
    t.regex(e!.message, re);
  });
}

test('--ciphers, --tls13-ciphers, --groups: kept as given (absent: undefined, Node defaults)', (t) => {
  t.is(cfg(['http://a/']).tlsSuites, undefined);
  t.deepEqual(cfg(['--groups', 'P-384', 'http://a/']).tlsSuites, { ciphers: undefined, tls13Ciphers: undefined, groups: 'P-384' });
  t.deepEqual(cfg(['--ciphers=AES128-SHA', '--tls13-ciphers=TLS_AES_256_GCM_SHA384', 'http://a/']).tlsSuites, {
    ciphers: 'AES128-SHA',
    tls13Ciphers: 'TLS_AES_256_GCM_SHA384',
    groups: undefined,
  });
});

test('-H parsing keeps a leading colon in the name and trims', (t) => {
  t.deepEqual(parseHeader(':authority: example.org'), [':authority', 'example.org']);
  t.deepEqual(parseHeader('X-Y:  z '), ['x-y', 'z']);
  t.throws(() => parseHeader('a: b\r\nc: d'), { instanceOf: UsageError });
});

test('resolveTarget: first URI gives scheme/host/port, later ones only paths', (t) => {
  const c = cfg(['http://127.0.0.1:8080/1k', '/nope', 'https://other:1/100k?x=1']);
  const tg = resolveTarget(c);
  t.is(tg.scheme, 'http');
  t.is(tg.host, '127.0.0.1');
  t.is(tg.port, 8080);
  t.is(tg.authority, '127.0.0.1:8080');
  t.deepEqual(tg.paths, ['/1k', '/nope', '/100k?x=1']);
  const tls = resolveTarget(cfg(['https://[::1]/']));
  t.is(tls.port, 443);
  t.is(tls.host, '::1');
  const based = resolveTarget(cfg(['-B', 'https://b:9', 'http://a/x']));
  t.is(based.scheme, 'https');
  t.is(based.port, 9);
  t.deepEqual(based.paths, ['/x']);
  const unix = resolveTarget(cfg(['-B', 'unix:/tmp/s', 'http://a/x']));
  t.is(unix.unixPath, '/tmp/s');
  const ct = resolveTarget(cfg(['--connect-to', 'localhost', 'http://a:81/']));
  t.is(ct.connectHost, 'localhost');
  t.is(ct.connectPort, 81);
  t.throws(() => resolveTarget(cfg(['ftp://a/'])), { instanceOf: UsageError });
  t.throws(() => resolveTarget(cfg(['/relative'])), { instanceOf: UsageError });
});

test('requests and clients spread over threads as h2load does', (t) => {
  t.deepEqual(spread(7, 2), [4, 3]);
  t.deepEqual(spread(3, 2), [2, 1]);
  t.deepEqual(spread(10, 3), [4, 3, 3]);
});

test('durationStr and the spawning lines', (t) => {
  t.is(durationStr(500), '500ms');
  t.is(durationStr(1000), '1s');
  t.is(durationStr(0), '0'); // as the reference prints `every 0` for --rate-period=0
  t.is(durationStr(120000), '2m');
  t.is(durationStr(3600000), '1h');
  const c = cfg(['-n', '60', '-c', '6', 'http://a/']);
  t.is(
    spawnLine({ id: 0, nclients: 10, reqTodo: 100000, rate: 0, config: c }),
    'spawning thread #0: 10 total client(s). 100000 total requests',
  );
  t.is(
    spawnLine({ id: 0, nclients: 6, reqTodo: 60, rate: 2, config: { ...c, ratePeriodMs: 500 } }),
    'spawning thread #0: 6 total client(s). Up to 2 client(s) will be created every 500ms 60 total requests',
  );
  t.is(
    spawnLine({ id: 0, nclients: 10, reqTodo: 0, rate: 0, config: { ...c, durationMs: 3000, warmUpMs: 1000 } }),
    'spawning thread #0: 10 total client(s). Timing-based test with 1s of warm-up time and 3s of main duration for measurements.',
  );
});

test('request builders: h2load header order, -H overrides in place, content-length for -d', (t) => {
  const h2 = h2RequestHeaders('GET', '/a', 'http', 'h:1', 'ua', [
    ['x-a', 'b'],
    [':method', 'HEAD'],
    ['user-agent', 'me'],
  ]);
  t.deepEqual(h2, [
    [':path', '/a'],
    [':scheme', 'http'],
    [':authority', 'h:1'],
    [':method', 'HEAD'],
    ['user-agent', 'me'],
    ['x-a', 'b'],
  ]);
  t.deepEqual(h2RequestHeaders('POST', '/', 'https', 'h', 'ua', [['host', 'o']], 5).slice(2), [
    [':authority', 'o'],
    [':method', 'POST'],
    ['user-agent', 'ua'],
    ['content-length', '5'],
  ]);
  t.is(
    h1RequestHead('POST', '/a', 'h:1', 'ua', [['x-a', 'b']], 3).toString('latin1'),
    'POST /a HTTP/1.1\r\nHost: h:1\r\nUser-Agent: ua\r\nx-a: b\r\nContent-Length: 3\r\n\r\n',
  );
  t.true(
    h1RequestHead('GET', '/a', 'h', 'ua', [
      [':method', 'HEAD'],
      ['host', 'o'],
    ])
      .toString('latin1')
      .startsWith('HEAD /a HTTP/1.1\r\nHost: o\r\n'),
  );
});
