import test from 'ava';
import { helpText, OPTION_TABLE, parseArgs, UsageError, weightFor } from '../../../lib/apps/nghttp/options';
import { OptionTable } from '../../../lib/apps/common/argv';
import { versionText } from '../../../lib/apps/common/version';
import type { NghttpOptions } from '../../../lib/apps/nghttp/options';
import { referenceHelp } from '../../helpers/repo';

function run(argv: string[]): NghttpOptions {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error('expected run');
  return r.options;
}

test('defaults match the reference', (t) => {
  const o = run(['http://127.0.0.1:8080/']);
  t.is(o.verbose, 0);
  t.is(o.windowBits, 16);
  t.is(o.connectionWindowBits, undefined);
  t.is(o.multiply, 1);
  t.is(o.peerMaxConcurrentStreams, 100);
  t.is(o.maxConcurrentStreams, 100);
  t.is(o.padding, 0);
  t.is(o.timeout, 0);
  t.deepEqual(o.headerTableSizes, []);
  t.false(o.noDep || o.noPush || o.upgrade || o.nullOut || o.stat || o.getAssets || o.json);
  t.is(weightFor(o, 0), 16);
  t.is(o.uris[0].authority, '127.0.0.1:8080');
});

test('short clusters, repeated -v, and values glued to short options', (t) => {
  const o = run(['-nvv', '-vH:method: PUT', '-Hx-a: 1', 'http://h/', '-v']);
  t.is(o.verbose, 4);
  t.true(o.nullOut);
  t.deepEqual(o.headers, [
    [':method', 'PUT'],
    ['x-a', '1'],
  ]);
});

test('long options with = or a separate word, unambiguous prefixes, options after URIs', (t) => {
  const o = run([
    'http://h/a',
    '--window-bits=20',
    '--connection-window-bits',
    '24',
    '--verb',
    '--hexd',
    '-p',
    '3',
    'http://h/b',
    '--weight=200',
  ]);
  t.is(o.windowBits, 20);
  t.is(o.connectionWindowBits, 24);
  t.is(o.verbose, 1);
  t.true(o.hexdump);
  t.deepEqual(o.weights, [3, 200]);
  t.is(weightFor(o, 0), 3);
  t.is(weightFor(o, 1), 200);
  t.is(weightFor(o, 5), 200);
  t.deepEqual(
    o.uris.map((u) => u.path),
    ['/a', '/b'],
  );
});

test('a value may start with a dash', (t) => {
  const o = run(['-H', '-weird: 1', 'http://h/']);
  t.deepEqual(o.headers, [['-weird', '1']]);
});

test('--no-* flags stay whole (minimist would read them as negations)', (t) => {
  const o = run(['--no-push', '--no-dep', '--no-content-length', '--no-rfc7540-pri', '-y', 'http://h/']);
  t.true(o.noPush && o.noDep && o.noContentLength && o.noRfc7540Pri && o.noVerifyPeer);
  t.true(run(['--no-verify-peer', 'http://h/']).noVerifyPeer);
  t.throws(() => run(['--push', 'http://h/']), { instanceOf: UsageError, message: /unrecognized option '--push'/ });
});

test('-c is repeatable and takes SIZE units; -t takes DURATION units', (t) => {
  const o = run(['-c', '4K', '-c0', '-c', '1m', '-t', '500ms', '--encoder-header-table-size=2K', 'http://h/']);
  t.deepEqual(o.headerTableSizes, [4096, 0, 1048576]);
  t.is(o.timeout, 500);
  t.is(o.encoderHeaderTableSize, 2048);
  t.is(run(['-t', '2', 'http://h/']).timeout, 2000);
});

const nghttpHelp = referenceHelp('nghttp');
(nghttpHelp.text ? test : test.skip)(`every reference option is known${nghttpHelp.skip ? ` (skipped: ${nghttpHelp.skip})` : ''}`, (t) => {
  const ref = nghttpHelp.text!;
  const longs = [...ref.matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1]);
  const known = new Set(OPTION_TABLE.map((o) => o.long));
  for (const l of longs) t.true(known.has(l), `--${l}`);
  const shorts = [...ref.matchAll(/^  -([a-zA-Z]), --/gm)].map((m) => m[1]);
  t.true(shorts.length > 15);
  for (const s of shorts)
    t.truthy(
      OPTION_TABLE.find((o) => o.short === s),
      `-${s}`,
    );
  // help lists each option
  const help = helpText();
  for (const o of OPTION_TABLE) t.true(help.includes(`--${o.long}`));
});

test('bad values, unknown options, bad URIs are UsageErrors naming the problem', (t) => {
  const bad: [string[], RegExp][] = [
    [['--bogus', 'http://h/'], /unrecognized option '--bogus'/],
    [['-Z', 'http://h/'], /invalid option -- 'Z'/],
    [['-p', '0', 'http://h/'], /-p: 0 is out of range/],
    [['-p', '257', 'http://h/'], /-p/],
    [['-w', '31', 'http://h/'], /-w: 31 is out of range/],
    [['-W', 'x', 'http://h/'], /-W: 'x' is not an integer/],
    [['-t', 'abc', 'http://h/'], /-t: bad DURATION/],
    [['-c', '1Q', 'http://h/'], /-c: bad SIZE/],
    [['-m', '0', 'http://h/'], /-m/],
    [['-b', '300', 'http://h/'], /-b/],
    [['-H', 'bad', 'http://h/'], /-H: invalid header: bad/],
    [['-H', 'x:', 'http://h/'], /value missing/],
    [['-H', ':x', 'http://h/'], /invalid header/],
    [['--trailer', ':status: 1', '-d', 'f', 'http://h/'], /pseudo-header/],
    [['not-a-uri'], /Could not parse URI 'not-a-uri'/],
    [['ftp://h/'], /Unsupported scheme 'ftp'/],
    [[], /no URI/],
    [['-t'], /requires an argument/],
    [['--timeout'], /requires an argument/],
    [['--stat=1', 'http://h/'], /doesn't allow an argument/],
    [['--no', 'http://h/'], /ambiguous/],
    [['--cert', 'c.pem', 'http://h/'], /--cert and --key/],
  ];
  for (const [argv, msg] of bad) {
    t.throws(() => parseArgs(argv), { instanceOf: UsageError, message: msg }, argv.join(' '));
  }
});

test('help and version', (t) => {
  t.deepEqual(parseArgs(['-h']), { kind: 'help' });
  t.deepEqual(parseArgs(['--version']), { kind: 'version' });
  t.regex(versionText('nghttp'), /^nghttp nghttp2-ts\/\d+\.\d+\.\d+\S*\n$/);
});

test('-- ends options', (t) => {
  const args = new OptionTable(OPTION_TABLE).parse(['-n', '--', '-notanoption']);
  t.true(args.has('null-out'));
  t.deepEqual(args.positionals, ['-notanoption']);
});

test('warnings for options that do nothing without -d', (t) => {
  const r = parseArgs(['--trailer', 'a: b', '--expect-continue', 'http://h/']);
  t.is(r.kind, 'run');
  if (r.kind === 'run') t.is(r.warnings.length, 2);
});
