/**
 * Target `nghttpx-options`: nghttpx's command line and configuration file parser. The input is
 * split at NUL octets: the first part is the text of a configuration file (given with `--conf`),
 * the rest are argv elements. Clean outcomes: a parsed command, or UsageError (what the
 * launcher prints in one line before exiting non-zero).
 *
 * The parser is reached only through `parseNghttpx` below, a thin adapter, so this target keeps
 * working while the option table and config reader change shape behind it.
 */
import fs = require('fs');
import { UsageError } from '../../lib/apps/common/units';
import * as options from '../../lib/apps/nghttpx/options';
import type { FuzzTarget } from './target';

/** The path the adapter names with `--conf`; reads of it are answered from memory. */
export const FUZZ_CONF_PATH = '/nonexistent/nghttp2-ts-fuzz/nghttpx.conf';
/** A second path answered with the same text, for `include=` lines. */
export const FUZZ_INCLUDE_PATH = '/nonexistent/nghttp2-ts-fuzz/included.conf';

/**
 * The adapter: parse `argv` with `confText` as the configuration file. No file is written or
 * read: while the parser runs, `fs.readFileSync` answers FUZZ_CONF_PATH and FUZZ_INCLUDE_PATH
 * from memory (a real file costs milliseconds per input on these machines' sandboxed file
 * systems) and every other path with ENOENT (a fuzzed `include=/dev/stdin` would never end). A
 * `--conf` in the fuzzed argv is dropped for the same reason.
 */
export function parseNghttpx(confText: Buffer, argv: string[]): unknown {
  const args = argv.filter((a) => !/^--conf(=|$)/.test(a));
  const real = fs.readFileSync;
  const fake = (file: unknown, opts?: unknown): unknown => {
    if (file !== FUZZ_CONF_PATH && file !== FUZZ_INCLUDE_PATH) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${String(file)}'`), { code: 'ENOENT' });
    }
    const enc = typeof opts === 'string' ? opts : (opts as { encoding?: string } | undefined)?.encoding;
    return enc ? confText.toString(enc as BufferEncoding) : Buffer.from(confText);
  };
  (fs as { readFileSync: unknown }).readFileSync = fake;
  try {
    return options.parseArgs(['--conf', FUZZ_CONF_PATH, ...args]);
  } finally {
    (fs as { readFileSync: unknown }).readFileSync = real;
  }
}

/** Every option name the parser knows (from its table when it has one), for the dictionary. */
function optionNames(): string[] {
  try {
    const table = require('../../lib/apps/nghttpx/option-table') as { BY_LONG?: Map<string, unknown> };
    return table.BY_LONG ? [...table.BY_LONG.keys()] : [];
  } catch {
    return [];
  }
}

export const target: FuzzTarget = {
  name: 'nghttpx-options',
  maxLen: 2048,
  dictionary: [
    '\0',
    '\n',
    '=',
    ',',
    ';',
    '#',
    'yes',
    'no',
    '*',
    'unix:',
    '127.0.0.1',
    '::1',
    '[::1]',
    '3000',
    '65535',
    '65536',
    '-1',
    'frontend=',
    'backend=',
    '-f',
    '-b',
    '--frontend=',
    '--backend=',
    'no-tls',
    'proto=h2',
    'proto=http/1.1',
    'tls',
    'api',
    'healthmon',
    'sni=',
    'fall=',
    'rise=',
    'weight=',
    'group=',
    'affinity=',
    'dns',
    'redirect-if-not-tls',
    'mruby=',
    'read-timeout=',
    'write-timeout=',
    'dnf',
    'upgrade-scheme',
    'proxyproto',
    'quic',
    '--add-request-header=',
    'add-response-header=',
    'x-foo: bar',
    'log-level=',
    'INFO',
    'WARN',
    'frontend-http2-window-size=',
    'workers=',
    '-n',
    '-c',
    '-L',
    '-k',
    '-s',
    '--http2-proxy',
    '--no-via',
    'accesslog-format=',
    '$remote_addr',
    'server-name=',
    'private-key-file=',
    'certificate-file=',
    `include=${FUZZ_INCLUDE_PATH}\n`,
    '1s',
    '10m',
    '100ms',
    '1K',
    '4M',
    '1G',
    'https://127.0.0.1:8080/',
    'http://[::1]:80/',
    ...optionNames().flatMap((n) => [`${n}=`, `--${n}`]),
  ],
  run(input: Buffer): void {
    const parts = input.toString('utf8').split('\0');
    try {
      parseNghttpx(Buffer.from(parts[0], 'utf8'), parts.slice(1));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
    }
  },
};
