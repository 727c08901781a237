/**
 * nghttpx's configuration as the reference's: every long option of its --help on the command line
 * and as name=value in a file, include=, yes/no flags, comments, errors naming file and line,
 * the default file, Debian's shipped file, the 2014 mode flags mapped.
 */
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, UsageError } from '../../../lib/apps/nghttpx/options';
import { BY_LONG, OPTIONS } from '../../../lib/apps/nghttpx/option-table';
import { referenceHelp } from '../../helpers/repo';

const help = referenceHelp('nghttpx');
const withHelp = help.text ? test : test.skip;
if (help.skip) test('reference help', (t) => t.pass(help.skip));

/** The long options of the reference's help, with whether they take a value and its syntax. */
function referenceOptions(): { long: string; arg?: string }[] {
  const out: { long: string; arg?: string }[] = [];
  for (const line of help.text!.split('\n')) {
    const m = /^ {2}(?:-\w, )?--([a-z0-9-]+)(?:=(\S+))?/.exec(line);
    if (m) out.push({ long: m[1], arg: m[2] });
  }
  return out;
}

/** A valid value for an option, by its syntax. */
function sample(long: string, arg: string): string {
  const special: Record<string, string> = {
    backend: '127.0.0.1,8080',
    frontend: '127.0.0.1,0;no-tls',
    'backend-http-proxy-uri': 'http://u:p@127.0.0.1,3128'.replace(',', ':'),
    'log-level': 'WARN',
    'syslog-facility': 'local0',
    'add-request-header': 'x-a: 1',
    'add-response-header': 'x-b: 2',
    altsvc: 'h2,443',
    'http2-altsvc': 'h2,443',
    'error-page': '502=/dev/null',
    'tls-min-proto-version': 'TLSv1.2',
    'tls-max-proto-version': 'TLSv1.3',
    'tls-ticket-key-cipher': 'aes-128-cbc',
    'add-forwarded': 'by,for',
    'forwarded-by': 'ip',
    'forwarded-for': 'ip',
    'redirect-https-port': '8443',
    include: '/dev/null',
    conf: '/dev/null',
    workers: '1',
    user: 'nobody',
    'frontend-http2-connection-window-size': '65535',
    'backend-http2-connection-window-size': '65535',
    'tls-session-cache-memcached': '127.0.0.1,11211',
    'tls-ticket-key-memcached': '127.0.0.1,11211;tls',
  };
  if (special[long]) return special[long];
  if (arg === '<N>') return '1';
  if (arg === '<SIZE>') return '16K';
  if (arg === '<DURATION>') return '2s';
  if (arg.startsWith('(auto|')) return 'auto';
  return '/dev/null';
}

withHelp('the reference --help has 154 long options and our table has every one, with the same value-or-flag shape', (t) => {
  const ref = referenceOptions();
  t.is(ref.length, 154);
  for (const r of ref) {
    const ours = BY_LONG.get(r.long);
    t.truthy(ours, r.long);
    t.is(ours?.arg === undefined, r.arg === undefined, r.long);
  }
});

withHelp('every long option is accepted on the command line and as name=value in --conf; unbuilt ones warn in one line', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-conf-'));
  try {
    for (const r of referenceOptions()) {
      if (['help', 'version', 'conf'].includes(r.long)) continue;
      const value = r.arg === undefined ? undefined : sample(r.long, r.arg);
      const base = r.long === 'frontend' ? [] : ['-f127.0.0.1,0;no-tls'];
      const cli = parseArgs(['--conf=/dev/null', ...base, value === undefined ? `--${r.long}` : `--${r.long}=${value}`]);
      t.is(cli.kind, 'run', r.long);
      const conf = path.join(dir, 'x.conf');
      fs.writeFileSync(conf, `${base.length ? 'frontend=127.0.0.1,0;no-tls\n' : ''}${r.long}=${value ?? 'yes'}\n`);
      const file = parseArgs([`--conf=${conf}`]);
      t.is(file.kind, 'run', r.long);
      if (cli.kind === 'run' && file.kind === 'run') {
        const def = BY_LONG.get(r.long)!;
        const why = def.unsupported?.(value ?? 'yes');
        const warned = cli.warnings.includes(
          def.unsupported ? `${r.long}: accepted but has no effect here: ${why}` : `${r.long}: accepted but not yet effective`,
        );
        t.is(warned, !def.effective && (!def.unsupported || why !== undefined), `${r.long}: warns iff not effective`);
        t.deepEqual({ ...file.options, conf: undefined }, { ...cli.options, conf: undefined }, `${r.long}: the same record either way`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('config files: comments, blank lines, flags yes/no, include= (recursive), the command line wins', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-conf-'));
  try {
    const inner = path.join(dir, 'inner.conf');
    const main = path.join(dir, 'main.conf');
    fs.writeFileSync(inner, '# included\nno-via=yes\nbackend=127.0.0.1,8081;/api/\n');
    fs.writeFileSync(
      main,
      `# top\n\nfrontend=127.0.0.1,0;no-tls\nbackend=127.0.0.1,8080\ninclude=${inner}\nadd-x-forwarded-for=no\nserver-name=from-file\n  \n`,
    );
    const p = parseArgs([`--conf=${main}`, '--server-name=from-cli']);
    if (p.kind !== 'run') return t.fail();
    t.true(p.options.noVia);
    t.false(p.options.addXForwardedFor);
    t.deepEqual(
      p.options.backends.map((b) => b.port),
      [8080, 8081],
    );
    t.is(p.options.serverName, 'from-cli');
    t.is(p.options.conf, main);
    // A file that includes itself is refused, naming the chain.
    fs.writeFileSync(inner, `include=${main}\n`);
    t.throws(() => parseArgs([`--conf=${main}`]), { instanceOf: UsageError, message: /includes itself/ });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every config error names the file and line, included files too', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-conf-'));
  try {
    const inner = path.join(dir, 'inner.conf');
    const main = path.join(dir, 'main.conf');
    const cases: [string, RegExp][] = [
      ['workers=abc', /workers: bad value/],
      ['backend=nohost', /backend: Invalid host, port: nohost/],
      ['no-such-option=1', /unknown option 'no-such-option'/],
      ['just words', /bad configuration line/],
      ['backend-read-timeout=soon', /bad DURATION/],
      ['log-level=LOUD', /Invalid severity level/],
    ];
    for (const [line, msg] of cases) {
      fs.writeFileSync(inner, `# one\n${line}\n`);
      fs.writeFileSync(main, `frontend=127.0.0.1,0;no-tls\ninclude=${inner}\n`);
      const err = t.throws(() => parseArgs([`--conf=${main}`]), { instanceOf: UsageError });
      t.true(err!.message.startsWith(`${inner}:2: `), err!.message);
      t.is(err!.where, `${inner}:2`, 'the place is a field of the error, not read back from its text');
      t.regex(err!.message, msg);
    }
    fs.writeFileSync(main, 'frontend=127.0.0.1,0;no-tls\ninclude=/nonexistent/x.conf\n');
    t.throws(() => parseArgs([`--conf=${main}`]), { message: new RegExp(`^${main}:2: Could not open config file /nonexistent/x.conf`) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the default configuration file is read when it exists and --conf is not given', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nghttpx-conf-'));
  try {
    const def = path.join(dir, 'nghttpx.conf');
    t.is(parseArgs(['-f127.0.0.1,0;no-tls'], { defaultConf: def }).kind, 'run'); // absent: fine
    fs.writeFileSync(def, 'frontend=127.0.0.1,0;no-tls\nbackend=127.0.0.1,8099\n');
    const p = parseArgs([], { defaultConf: def });
    if (p.kind !== 'run') return t.fail();
    t.is(p.options.conf, def);
    t.is(p.options.backends[0].port, 8099);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

(fs.existsSync('/etc/nghttpx/nghttpx.conf') ? test : test.skip)(
  "Debian's shipped /etc/nghttpx/nghttpx.conf parses as is (errorlog-syslog=yes, workers=1)",
  (t) => {
    const p = parseArgs([]);
    if (p.kind !== 'run') return t.fail();
    t.is(p.options.conf, '/etc/nghttpx/nghttpx.conf');
    const text = fs.readFileSync('/etc/nghttpx/nghttpx.conf', 'utf8');
    if (/^errorlog-syslog=yes$/m.test(text)) t.true(p.options.errorlogSyslog);
    t.true(p.options.frontends.length >= 1);
    t.deepEqual(
      p.warnings.filter((w) => /not yet effective/.test(w)),
      [],
    );
  },
);

test("the 2014 mode flags map onto today's parameters, each with the reference's deprecation notice", (t) => {
  const run = (args: string[]) => {
    const p = parseArgs([
      '--conf=/dev/null',
      '-f127.0.0.1,0',
      '-b127.0.0.1,443',
      ...args,
      'spec/fixtures/server.key',
      'spec/fixtures/server.crt',
    ]);
    if (p.kind !== 'run') throw new Error('run');
    return p;
  };
  const client = run(['--client']);
  t.true(client.options.frontends[0].noTls);
  t.like(client.options.backends[0], { proto: 'h2', tls: true });
  t.true(client.warnings.includes('client: deprecated.  Use frontend=<addr>,<port>;no-tls, backend=<addr>,<port>;;proto=h2;tls'));
  const bridge = run(['--http2-bridge']);
  t.false(bridge.options.frontends[0].noTls);
  t.like(bridge.options.backends[0], { proto: 'h2', tls: true });
  t.true(bridge.warnings.some((w) => w.startsWith('http2-bridge: deprecated.')));
  const cp = run(['--client-proxy']);
  t.true(cp.options.http2Proxy);
  t.true(cp.options.frontends[0].noTls);
  t.like(cp.options.backends[0], { proto: 'h2', tls: true });
  t.true(run(['--frontend-no-tls']).options.frontends[0].noTls);
  t.like(run(['--backend-tls', '--backend-no-tls']).options.backends[0], { tls: false });
  t.is(run(['--frontend-http2-window-bits=20']).options.frontendHttp2WindowSize, 2 ** 20 - 1);
  const s = run(['-s']);
  t.true(s.options.http2Proxy);
  t.false(s.warnings.some((w) => w.startsWith('http2-proxy')));
});

test('the table: unique names, every short letter once, every deprecated option says so', (t) => {
  t.is(new Set(OPTIONS.map((o) => o.long)).size, OPTIONS.length);
  const shorts = OPTIONS.filter((o) => o.short).map((o) => o.short);
  t.is(new Set(shorts).size, shorts.length);
  for (const o of OPTIONS) if (o.group === 'Deprecated') t.truthy(o.deprecated, o.long);
});
