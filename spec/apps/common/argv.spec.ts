import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { applyNamedOption, applyOption, flagValue, OptionSpec, OptionTable, UsageError } from '../../../lib/apps/common/argv';
import { parseHeaderArg, parseTrailerArg } from '../../../lib/apps/common/headers';

const SPECS: OptionSpec[] = [
  { long: 'verbose', short: 'v' },
  { long: 'null-out', short: 'n' },
  { long: 'header', short: 'H', arg: 'HEADER', repeatable: true },
  { long: 'window-bits', short: 'w', arg: 'N' },
  { long: 'header-table-size', short: 'c', arg: 'SIZE' },
  { long: 'timeout', short: 't', arg: 'DURATION' },
  { long: 'no-tls' },
  { long: 'no-push' },
  { long: 'help', short: 'h' },
];
const table = new OptionTable(SPECS);

test('short clusters, counts, glued values and values starting with a dash', (t) => {
  const a = table.parse(['-nvv', '-vH:method: PUT', '-w16', '-H', '-weird: 1', 'http://h/', '-v']);
  t.is(a.count('verbose'), 4);
  t.true(a.has('null-out'));
  t.deepEqual(a.all('header'), [':method: PUT', '-weird: 1']);
  t.is(a.int('window-bits', 0, 30), 16);
  t.deepEqual(a.positionals, ['http://h/']);
});

test('long forms, prefixes, last value wins, labels as typed', (t) => {
  const a = table.parse(['--window-bits=20', '--window', '24', '--verb', '-c', '4K', '--header-table-size', '1m', '-t', '500ms']);
  t.is(a.int('window-bits', 0, 30), 24);
  t.is(a.label('window-bits'), '--window-bits');
  t.is(a.count('verbose'), 1);
  t.is(a.size('header-table-size'), 1024 * 1024);
  t.deepEqual(
    a.each('header-table-size').map((e) => e.label),
    ['-c', '--header-table-size'],
  );
  t.is(a.duration('timeout'), 500);
  t.deepEqual(a.values['window-bits'], ['20', '24'], 'minimist holds the values too');
  const e = t.throws(() => table.parse(['-w', '31']).int('window-bits', 0, 30), { instanceOf: UsageError });
  t.regex(e!.message, /^-w: 31 is out of range/);
});

test('--no-* names stay whole; the negation of a name is suggested', (t) => {
  const a = table.parse(['--no-tls', '--no-push']);
  t.true(a.has('no-tls') && a.has('no-push'));
  t.is(a.values.tls, undefined);
  t.throws(() => table.parse(['--tls']), { message: "unrecognized option '--tls'; did you mean '--no-tls'?" });
  t.throws(() => table.parse(['--hedaer=x']), { message: "unrecognized option '--hedaer'; did you mean '--header'?" });
  t.throws(() => table.parse(['--zzzzzzzz']), { message: "unrecognized option '--zzzzzzzz'" });
});

test('getopt_long errors', (t) => {
  t.throws(() => table.parse(['-Z']), { instanceOf: UsageError, message: "invalid option -- 'Z'" });
  t.throws(() => table.parse(['-w']), { message: "option requires an argument -- 'w'" });
  t.throws(() => table.parse(['--timeout']), { message: "option '--timeout' requires an argument" });
  t.throws(() => table.parse(['--help=1']), { message: "option '--help' doesn't allow an argument" });
  t.throws(() => table.parse(['--no']), { message: /ambiguous; possibilities: --no-tls --no-push/ });
  const a = table.parse(['-n', '--', '-v', '--bogus']);
  t.deepEqual(a.positionals, ['-v', '--bogus']);
  t.is(a.count('verbose'), 0);
  t.deepEqual(new OptionTable(SPECS, { prefixes: false }).parse(['--verbose']).positionals, []);
  t.throws(() => new OptionTable(SPECS, { prefixes: false }).parse(['--verb']), {
    message: /unrecognized option '--verb'; did you mean '--verbose'/,
  });
});

interface Conf {
  backends: string[];
  noVia: boolean;
  workers: number;
}
const CONF_SPECS: OptionSpec<Conf>[] = [
  { long: 'backend', short: 'b', arg: 'ADDR', repeatable: true, apply: (c, v) => c.backends.push(v!) },
  { long: 'no-via', apply: (c, v, src) => (c.noVia = flagValue(v, src)) },
  {
    long: 'workers',
    short: 'n',
    arg: 'N',
    apply: (c, v, src) => {
      if (!/^\d+$/.test(v!)) throw new UsageError(`${src.label}: '${v}' is not a number`);
      c.workers = Number(v);
    },
  },
  { long: 'conf', arg: 'PATH', commandLineOnly: true },
];

test('one table drives argv and name=value config files; errors say where', (t) => {
  const confTable = new OptionTable(CONF_SPECS);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'argv-spec-'));
  const file = path.join(dir, 'x.conf');
  fs.writeFileSync(file, '# comment\n\nbackend = 127.0.0.1,80\nno-via=yes\nworkers=2\n');
  const c: Conf = { backends: [], noVia: false, workers: 1 };
  for (const occ of confTable.readConfig(file)) applyOption(confTable, c, occ);
  for (const occ of confTable.parse(['-b', '127.0.0.2,81', '-n3']).occurrences) applyOption(confTable, c, occ);
  t.deepEqual(c, { backends: ['127.0.0.1,80', '127.0.0.2,81'], noVia: true, workers: 3 });

  fs.writeFileSync(file, 'workers=two\n');
  const [occ] = confTable.readConfig(file);
  t.throws(() => applyOption(confTable, c, occ), { instanceOf: UsageError, message: `${file}:1: workers: 'two' is not a number` });
  t.throws(() => confTable.readConfig(file, 'workers=1\nbakend=x\n'), {
    message: `${file}:2: unknown option 'bakend'; did you mean 'backend'?`,
  });
  t.throws(() => confTable.readConfig(file, 'conf=/x\n'), { message: `${file}:1: unknown option 'conf'` });
  t.throws(() => confTable.readConfig(file, 'no equals sign\n'), { message: /:1: bad configuration line/ });
  t.throws(() => confTable.readConfig(dir), { message: `configuration file '${dir}' is a directory` });
  t.throws(() => applyNamedOption(confTable, c, 'no-via', 'maybe', 'api'), {
    message: "api: no-via: a flag takes 'yes' or 'no' in a config file, got 'maybe'",
  });
  applyNamedOption(confTable, c, 'no-via', 'no', 'api');
  t.false(c.noVia);
  t.throws(() => applyNamedOption(confTable, c, 'worker', '1'), { message: "unknown option 'worker'; did you mean 'workers'?" });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the one -H parser', (t) => {
  t.deepEqual(parseHeaderArg(':authority: example.org'), [':authority', 'example.org']);
  t.deepEqual(parseHeaderArg('X-Y:  z '), ['x-y', 'z']);
  t.throws(() => parseHeaderArg('a: b\r\nc: d'), { instanceOf: UsageError, message: /CR, LF or NUL/ });
  t.throws(() => parseHeaderArg('nocolon'), { message: /-H: invalid header: nocolon/ });
  t.throws(() => parseHeaderArg('x:', '--header'), { message: /--header: invalid header - value missing/ });
  t.deepEqual(parseHeaderArg('x:', '--add-response-header', { emptyValue: true }), ['x', '']);
  t.throws(() => parseHeaderArg('bad name: x'), { message: /'bad name' is not a valid field name/ });
  t.throws(() => parseTrailerArg(':status: 1'), { message: /--trailer: pseudo-header fields are not allowed/ });
});
