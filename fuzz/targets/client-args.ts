/**
 * Target `client-args`: the command lines of nghttp and h2load and the URIs in them
 * (lib/apps/nghttp/options.ts + uri.ts, lib/apps/h2load/options.ts). The input is split at NUL
 * octets into argv; its first octet picks the tool (even: nghttp, odd: h2load). For h2load the
 * URIs are also resolved into the connection target, the way a run starts, and the whole input
 * is read as a --timing-script-file and an -i file. No file is opened: both parsers only keep
 * the paths they are given.
 *
 * Clean outcomes: a parsed command, or UsageError (what the launcher prints in one line before
 * exiting 1). Anything else (a TypeError from `new URL`, a RangeError) is a crash: the tool would
 * answer a user's typo with "internal error". Invariants: a parsed URI has an http(s) scheme, a
 * port in 0..65535 and a path starting with '/'.
 */
import { UsageError } from '../../lib/apps/common/units';
import * as h2load from '../../lib/apps/h2load/options';
import * as nghttp from '../../lib/apps/nghttp/options';
import { FuzzTarget, InvariantError } from './target';

function checkPort(port: number, where: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvariantError(`${where}: port ${port}`);
}

function checkPath(path: string, where: string): void {
  if (!path.startsWith('/')) throw new InvariantError(`${where}: path '${path}' does not start with '/'`);
}

function runNghttp(argv: string[]): void {
  const r = nghttp.parseArgs(argv);
  if (r.kind !== 'run') return;
  for (const u of r.options.uris) {
    if (u.scheme !== 'http' && u.scheme !== 'https') throw new InvariantError(`nghttp: scheme ${u.scheme}`);
    checkPort(u.port, 'nghttp');
    checkPath(u.path, 'nghttp');
    if (u.host === '') throw new InvariantError(`nghttp: empty host in ${u.raw}`);
  }
}

function runH2load(argv: string[], text: string): void {
  try {
    h2load.parseTimingScript(text);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
  }
  const r = h2load.parseArgs(argv);
  if (r.kind !== 'run') return;
  const uris = r.config.uris.length ? r.config.uris : h2load.urisFromText(text);
  if (uris.length === 0) return;
  const t = h2load.resolveTarget(r.config, uris);
  checkPort(t.port, 'h2load');
  checkPort(t.connectPort, 'h2load --connect-to');
  for (const p of t.paths) checkPath(p, 'h2load');
}

export const target: FuzzTarget = {
  name: 'client-args',
  maxLen: 1024,
  dictionary: [
    '\0',
    'http://127.0.0.1:3000/',
    'https://[::1]:8443/a?b=c',
    'http://a/',
    'http://user:pw@host:80/p#frag',
    'unix:/tmp/s',
    '//',
    '/',
    '?',
    '#',
    '%',
    '[',
    ']',
    ':',
    '@',
    '65535',
    '65536',
    '-1',
    '0',
    '1s',
    '10ms',
    '4K',
    '16M',
    '-n',
    '-c',
    '-m',
    '-t',
    '-w',
    '-W',
    '-H',
    ':method: POST',
    'x-a: b',
    '-d',
    '-B',
    '-i',
    '-p',
    'h2c',
    'http/1.1',
    '-D',
    '-r',
    '-T',
    '-N',
    '--h1',
    '--connect-to=',
    '--base-uri=',
    '--timing-script-file=',
    '--rps=',
    '--npn-list=',
    '--rate-period=',
    '--warm-up-time=',
    '--header-table-size=',
    '--encoder-header-table-size=',
    '-v',
    '-n',
    '-a',
    '-s',
    '-u',
    '-m',
    '--trailer=',
    '--weight=',
    '--padding=',
    '--har=',
    '--cert=',
    '--key=',
    '--continuation',
    '--no-push',
    '--max-concurrent-streams=',
    '--peer-max-concurrent-streams=',
    '--window-bits=',
    '--timeout=',
    '--',
    '--help',
    '--version',
    '1.5\thttp://a/x\n',
  ],
  run(input: Buffer): void {
    const text = input.subarray(1).toString('utf8');
    const argv = text.length ? text.split('\0') : [];
    try {
      if (input.length === 0 || input[0] % 2 === 0) runNghttp(argv);
      else runH2load(argv, text);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
    }
  },
};
