import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  helpText,
  NghttpdOptions,
  OPTION_TABLE,
  parseArgs,
  parsePushSpec,
  parseTrailer,
  UsageError,
} from '../../../lib/apps/nghttpd/options';
import { OptionTable } from '../../../lib/apps/common/argv';
import { referenceHelp, repoRoot } from '../../helpers/repo';

const KEY = path.join(repoRoot(), 'spec/fixtures/server.key');
const CRT = path.join(repoRoot(), 'spec/fixtures/server.crt');

function run(argv: string[]): NghttpdOptions {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error('expected run');
  return r.options;
}

test('defaults match the reference nghttpd', (t) => {
  const o = run(['8443', KEY, CRT]);
  t.is(o.port, 8443);
  t.false(o.noTls);
  t.is(o.privateKeyFile, KEY);
  t.is(o.certFile, CRT);
  t.is(o.maxConcurrentStreams, 100);
  t.is(o.workers, 1);
  t.is(o.padding, 0);
  t.is(o.mimeTypesFile, '/etc/mime.types');
  t.false(o.mimeTypesFileSet);
  t.is(o.htdocs, process.cwd());
  t.is(o.address, undefined);
  t.false(o.verbose || o.noContentLength || o.noRfc7540Pri || o.echoUpload || o.earlyResponse);
  t.deepEqual(o.trailers, []);
  t.is(o.push.size, 0);
});

test('--no-tls takes the port alone; TLS needs key and cert', (t) => {
  t.true(run(['--no-tls', '3000']).noTls);
  t.throws(() => parseArgs(['3000']), { instanceOf: UsageError, message: /PRIVATE_KEY/ });
  t.throws(() => parseArgs(['--no-tls']), { instanceOf: UsageError, message: /PORT/ });
  t.throws(() => parseArgs(['3000', '/nonexistent.key', CRT]), {
    instanceOf: UsageError,
    message: /<PRIVATE_KEY>: cannot read '\/nonexistent.key': ENOENT/,
  });
  t.throws(() => parseArgs(['3000', KEY, '/']), { instanceOf: UsageError, message: /<CERT>.*not a regular file/ });
  t.throws(() => parseArgs(['--no-tls', 'http']), { instanceOf: UsageError, message: /<PORT>/ });
  t.throws(() => parseArgs(['--no-tls', '70000']), { instanceOf: UsageError, message: /<PORT>.*out of range/ });
  t.throws(() => parseArgs(['--no-tls', '1', '2']), { instanceOf: UsageError, message: /Too many/ });
  // Errors name the option as typed.
  t.throws(() => parseArgs(['--no-tls', '--htdocs=/nonexistent', '1']), { instanceOf: UsageError, message: /^--htdocs: cannot use/ });
  t.throws(() => parseArgs(['--no-tls', '-d/nonexistent', '1']), { instanceOf: UsageError, message: /^-d: cannot use/ });
});

test('short and long options, clustered as getopt allows', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpd-opt-'));
  const o = run([
    '-vd',
    dir,
    '-w16',
    '-W',
    '20',
    '-m5',
    '-n',
    '2',
    '-b8',
    '-c4K',
    '--encoder-header-table-size=1M',
    '-a127.0.0.1',
    '--no-tls',
    '--no-content-length',
    '--no-rfc7540-pri',
    '--echo-upload',
    '--early-response',
    '--hexdump',
    '--color',
    '-e',
    '3000',
  ]);
  t.is(o.htdocs, dir);
  t.true(
    o.verbose && o.noTls && o.noContentLength && o.noRfc7540Pri && o.echoUpload && o.earlyResponse && o.hexdump && o.color && o.errorGzip,
  );
  t.is(o.windowBits, 16);
  t.is(o.connectionWindowBits, 20);
  t.is(o.maxConcurrentStreams, 5);
  t.is(o.workers, 2);
  t.is(o.padding, 8);
  t.is(o.headerTableSize, 4096);
  t.is(o.encoderHeaderTableSize, 1048576);
  t.is(o.address, '127.0.0.1');
  fs.rmSync(dir, { recursive: true });
});

test('-p push specs are repeatable; the same path given twice pushes both lists, as the reference', (t) => {
  const o = run(['--no-tls', '-p/=/style.css,/app.js', '--push=/doc=/bar.css', '-p', '/doc=/baz.css', '3000']);
  t.deepEqual(
    [...o.push.entries()],
    [
      ['/', ['/style.css', '/app.js']],
      ['/doc', ['/bar.css', '/baz.css']],
    ],
  );
  t.deepEqual(parsePushSpec('/a=/b'), ['/a', ['/b']]);
  t.throws(() => parsePushSpec('/a'), { instanceOf: UsageError, message: /-p: bad value/ });
  t.throws(() => parsePushSpec('=/a'), { instanceOf: UsageError });
  t.throws(() => parsePushSpec('/a=b.css'), { instanceOf: UsageError, message: /must be an absolute path/ });
  t.throws(() => parsePushSpec('/a=/b,'), { instanceOf: UsageError });
});

test('--trailer parses name: value, lower-cases the name, refuses pseudo fields', (t) => {
  t.deepEqual(parseTrailer('X-Foo: bar baz'), ['x-foo', 'bar baz']);
  t.deepEqual(parseTrailer('x-srv-trailer:yes'), ['x-srv-trailer', 'yes']);
  t.throws(() => parseTrailer(':status: 200'), { instanceOf: UsageError, message: /pseudo/ });
  t.throws(() => parseTrailer('novalue'), { instanceOf: UsageError });
  t.throws(() => parseTrailer('foo:'), { instanceOf: UsageError, message: /empty/ });
  t.throws(() => parseTrailer('bad name: x'), { instanceOf: UsageError, message: /valid field name/ });
  const o = run(['--no-tls', '--trailer', 'a: 1', '--trailer=B: 2', '3000']);
  t.deepEqual(o.trailers, [
    ['a', '1'],
    ['b', '2'],
  ]);
});

test('bad values and unknown options are refused with the option named', (t) => {
  const bad: Array<[string[], RegExp]> = [
    [['-w', '31'], /-w: 31 is out of range \(0..30\)/],
    [['-W', 'x'], /-W: 'x' is not an integer/],
    [['-m', '-1'], /-m: -1 is out of range/],
    [['-n', '0'], /-n: 0 is out of range/],
    [['-b', '256'], /-b: 256 is out of range/],
    [['-c', '1Q'], /-c: bad SIZE/],
    [['-c', '5G'], /-c: .*too large/],
    [['--encoder-header-table-size', 'big'], /--encoder-header-table-size: bad SIZE/],
    [['-d', '/nonexistent-dir'], /-d: cannot use/],
    [['-D'], /-D: also give -d/],
    [['--mime-types-file', '/nonexistent'], /--mime-types-file: cannot read/],
    [['--dh-param-file=/nonexistent'], /--dh-param-file: cannot read/],
    [['--bogus'], /unrecognized option '--bogus'/],
    [['-x'], /invalid option -- 'x'/],
    [['--tls'], /unrecognized option '--tls'; did you mean '--no-tls'\?/],
    [['--verbose=yes'], /option '--verbose' doesn't allow an argument/],
  ];
  for (const [args, re] of bad) {
    t.throws(() => parseArgs(['--no-tls', ...args, '3000']), { instanceOf: UsageError, message: re }, args.join(' '));
  }
  t.throws(() => parseArgs(['--no-tls', '3000', '-w']), { instanceOf: UsageError, message: /option requires an argument -- 'w'/ });
});

test('--help and --version win over everything else', (t) => {
  t.deepEqual(parseArgs(['-h']), { kind: 'help' });
  t.deepEqual(parseArgs(['--no-tls', '--help', 'x']), { kind: 'help' });
  t.deepEqual(parseArgs(['--version']), { kind: 'version' });
  const h = helpText();
  for (const name of [
    '--address',
    '--daemon',
    '--verify-client',
    '--htdocs',
    '--verbose',
    '--no-tls',
    '--header-table-size',
    '--encoder-header-table-size',
    '--color',
    '--push',
    '--padding',
    '--max-concurrent-streams',
    '--workers',
    '--error-gzip',
    '--window-bits',
    '--connection-window-bits',
    '--dh-param-file',
    '--early-response',
    '--trailer',
    '--hexdump',
    '--echo-upload',
    '--mime-types-file',
    '--no-content-length',
    '--ktls',
    '--no-rfc7540-pri',
    '--version',
    '--help',
  ]) {
    t.true(h.includes(name), name);
  }
});

const nghttpdHelp = referenceHelp('nghttpd');
(nghttpdHelp.text ? test : test.skip)(
  `every option in the reference --help is known${nghttpdHelp.skip ? ` (skipped: ${nghttpdHelp.skip})` : ''}`,
  (t) => {
    const names = new Set(nghttpdHelp.text!.match(/--[a-z0-9-]+/g));
    for (const n of names) t.true(helpText().includes(n), n);
  },
);

test('short clusters and glued values are read the getopt way', (t) => {
  const args = new OptionTable(OPTION_TABLE).parse(['-vd/tmp', '-w16', '-p/=/a.css', '-m', '-1', '--', '-v']);
  t.deepEqual(
    args.occurrences.map((o) => [o.label, o.value]),
    [
      ['-v', undefined],
      ['-d', '/tmp'],
      ['-w', '16'],
      ['-p', '/=/a.css'],
      ['-m', '-1'],
    ],
  );
  t.deepEqual(args.positionals, ['-v']);
});

test('--ktls and TLS-only flags under --no-tls warn instead of failing', (t) => {
  const r = parseArgs(['--no-tls', '--ktls', '-V', '3000']);
  t.is(r.kind, 'run');
  if (r.kind === 'run') t.is(r.warnings.length, 2);
});
