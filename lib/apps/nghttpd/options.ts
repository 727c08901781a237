/**
 * nghttpd's command line: every option of the reference `nghttpd` (nghttp2 1.52.0) with its
 * name and default, parsed into one plain `NghttpdOptions` object. Bad values throw UsageError.
 */
import fs = require('fs');
import path = require('path');
import { helpOrVersion, OptionSpec, OptionTable } from '../common/argv';
import { parseTrailerArg } from '../common/headers';
import { parseIntInRange, UsageError } from '../common/units';
import { packageVersion } from '../common/version';

export { UsageError };

/** The version we print (`--version`) and put in the `server` header: package.json's. */
export const NGHTTPD_VERSION = packageVersion();
/** `server` header value: names this implementation (the reference sends `nghttpd nghttp2/1.52.0`). */
export const SERVER_NAME = `nghttpd nghttp2-ts/${NGHTTPD_VERSION}`;

/** Everything nghttpd can be told on its command line. */
export interface NghttpdOptions {
  /** <PORT>: 0..65535 (0 = any free port; the listen line prints the real one). */
  port: number;
  /** <PRIVATE_KEY> and <CERT> paths (required unless noTls). */
  privateKeyFile?: string;
  certFile?: string;
  /** -a: address to bind; undefined = all addresses (as getaddrinfo with AI_PASSIVE). */
  address?: string;
  /** -D: detach into the background (needs -d). */
  daemon: boolean;
  /** -V: request a client certificate (not verified). */
  verifyClient: boolean;
  /** -d: document root (absolute); default the current working directory. */
  htdocs: string;
  /** -v: print frames. */
  verbose: boolean;
  /** --no-tls: cleartext h2c (plus, beyond the reference, HTTP/1.1 Upgrade: h2c). */
  noTls: boolean;
  /** -c: HPACK decoder table size (SETTINGS_HEADER_TABLE_SIZE we advertise). */
  headerTableSize?: number;
  /** --encoder-header-table-size: cap on our HPACK encoder's table. */
  encoderHeaderTableSize?: number;
  /** --color: colour even when stdout is not a terminal. */
  color: boolean;
  /** -p: request path -> paths to push (a later -p for the same path adds to its list, as in the reference). */
  push: Map<string, string[]>;
  /** -b: at most this many padding octets per frame (0 = none). */
  padding: number;
  /** -m: SETTINGS_MAX_CONCURRENT_STREAMS. Default 100. */
  maxConcurrentStreams: number;
  /** -n: worker processes sharing the port. Default 1. */
  workers: number;
  /** -e: gzip the error pages (when the client accepts gzip). */
  errorGzip: boolean;
  /** -w: stream initial window = 2**N-1 (0..30). */
  windowBits?: number;
  /** -W: connection window = 2**N-1 (0..30). */
  connectionWindowBits?: number;
  /** --dh-param-file: PEM DH parameters for DHE suites. */
  dhParamFile?: string;
  /** --early-response: respond as soon as the request HEADERS arrive. */
  earlyResponse: boolean;
  /** --trailer (repeatable): trailer fields [lower-case name, value] sent after a body. */
  trailers: Array<[string, string]>;
  /** --hexdump: dump incoming (decrypted) bytes. */
  hexdump: boolean;
  /** --echo-upload: POST/PUT bodies come back as the response. */
  echoUpload: boolean;
  /** --mime-types-file: path; `mimeTypesFileSet` says whether the user gave it. */
  mimeTypesFile: string;
  mimeTypesFileSet: boolean;
  /** --no-content-length. */
  noContentLength: boolean;
  /** --ktls: accepted; Node has no kTLS switch (a warning says so). */
  ktls: boolean;
  /** --no-rfc7540-pri: advertise SETTINGS_NO_RFC7540_PRIORITIES=1. */
  noRfc7540Pri: boolean;
}

/** What the command line asks for. */
export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: NghttpdOptions; warnings: string[] };

/** nghttpd's options as nghttp2 1.52 spells them (the help text is helpText below). */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { long: 'address', short: 'a', arg: 'ADDR' },
  { long: 'daemon', short: 'D' },
  { long: 'verify-client', short: 'V' },
  { long: 'htdocs', short: 'd', arg: 'PATH' },
  { long: 'verbose', short: 'v' },
  { long: 'no-tls' },
  { long: 'header-table-size', short: 'c', arg: 'SIZE' },
  { long: 'encoder-header-table-size', arg: 'SIZE' },
  { long: 'color' },
  { long: 'push', short: 'p', arg: 'PATH=PUSH_PATH,...', repeatable: true },
  { long: 'padding', short: 'b', arg: 'N' },
  { long: 'max-concurrent-streams', short: 'm', arg: 'N' },
  { long: 'workers', short: 'n', arg: 'N' },
  { long: 'error-gzip', short: 'e' },
  { long: 'window-bits', short: 'w', arg: 'N' },
  { long: 'connection-window-bits', short: 'W', arg: 'N' },
  { long: 'dh-param-file', arg: 'PATH' },
  { long: 'early-response' },
  { long: 'trailer', arg: 'HEADER', repeatable: true },
  { long: 'hexdump' },
  { long: 'echo-upload' },
  { long: 'mime-types-file', arg: 'PATH' },
  { long: 'no-content-length' },
  { long: 'ktls' },
  { long: 'no-rfc7540-pri' },
  { long: 'version' },
  { long: 'help', short: 'h' },
];
const TABLE = new OptionTable(OPTION_TABLE);

/** `-p PATH=PUSH_PATH,...` -> [PATH, [PUSH_PATH...]]. */
export function parsePushSpec(spec: string, option = '-p'): [string, string[]] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`${option}: bad value '${spec}' (expected <PATH>=<PUSH_PATH>[,<PUSH_PATH>...])`);
  const from = spec.slice(0, eq);
  const to = spec.slice(eq + 1).split(',');
  for (const p of [from, ...to]) {
    if (!p.startsWith('/')) throw new UsageError(`${option}: '${p}' in '${spec}' must be an absolute path starting with '/'`);
    if (/[\x00-\x20\x7f]/.test(p)) throw new UsageError(`${option}: '${p}' contains a space or control character`);
  }
  return [from, to];
}

/** `--trailer 'name: value'` -> [lower-case name, value] (the shared header parser, pseudo-headers refused). */
export function parseTrailer(text: string, option = '--trailer'): [string, string] {
  return parseTrailerArg(text, option);
}

function readableFile(file: string, what: string): string {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new UsageError(`${what}: '${file}' is a directory, not a regular file`);
    if (!st.isFile()) throw new UsageError(`${what}: '${file}' is not a regular file`);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${what}: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return path.resolve(file);
}

/**
 * Parse nghttpd's argv (without `node` and the script). Throws UsageError on any bad flag,
 * value or file; the message names the option.
 */
export function parseArgs(argv: string[], cwd = process.cwd()): ParsedCommand {
  const args = TABLE.parse(argv);
  const shown = helpOrVersion(args);
  if (shown) return { kind: shown };
  const last = (name: string) => args.last(name);
  const flag = (name: string) => args.has(name);

  const warnings: string[] = [];
  const noTls = flag('no-tls');
  const positionals = [...args.positionals];
  const want = noTls ? 1 : 3;
  if (positionals.length < want) {
    throw new UsageError(
      noTls ? 'Too few arguments: <PORT> is required' : 'Too few arguments: <PORT> <PRIVATE_KEY> <CERT> are required (or use --no-tls)',
    );
  }
  if (positionals.length > 3 || (noTls && positionals.length > 1 && positionals.length !== 3)) {
    throw new UsageError(`Too many arguments: ${positionals.slice(want).join(' ')}`);
  }
  if (noTls && positionals.length === 3) warnings.push('--no-tls: <PRIVATE_KEY> and <CERT> are ignored');
  const port = parseIntInRange(positionals[0], '<PORT>', 0, 65535);

  const opt: NghttpdOptions = {
    port,
    daemon: flag('daemon'),
    verifyClient: flag('verify-client'),
    htdocs: cwd,
    verbose: flag('verbose'),
    noTls,
    color: flag('color'),
    push: new Map(),
    padding: 0,
    maxConcurrentStreams: 100,
    workers: 1,
    errorGzip: flag('error-gzip'),
    earlyResponse: flag('early-response'),
    trailers: [],
    hexdump: flag('hexdump'),
    echoUpload: flag('echo-upload'),
    mimeTypesFile: '/etc/mime.types',
    mimeTypesFileSet: false,
    noContentLength: flag('no-content-length'),
    ktls: flag('ktls'),
    noRfc7540Pri: flag('no-rfc7540-pri'),
  };
  if (!noTls) {
    opt.privateKeyFile = readableFile(path.resolve(cwd, positionals[1]), '<PRIVATE_KEY>');
    opt.certFile = readableFile(path.resolve(cwd, positionals[2]), '<CERT>');
  }

  const address = last('address');
  if (address !== undefined) {
    if (address === '') throw new UsageError(`${args.label('address')}: the address must not be empty`);
    opt.address = address;
  }
  const htdocs = last('htdocs');
  if (htdocs !== undefined) {
    if (htdocs === '') throw new UsageError(`${args.label('htdocs')}: the path must not be empty`);
    const abs = path.resolve(cwd, htdocs);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch (e) {
      throw new UsageError(`${args.label('htdocs')}: cannot use '${htdocs}' as document root: ${(e as NodeJS.ErrnoException).code}`);
    }
    if (!st.isDirectory()) throw new UsageError(`${args.label('htdocs')}: '${htdocs}' is not a directory`);
    opt.htdocs = abs;
  }
  if (opt.daemon && htdocs === undefined) throw new UsageError('-D: also give -d <PATH> (a daemon works from /)');

  opt.headerTableSize = args.size('header-table-size', undefined, 0xffffffff);
  opt.encoderHeaderTableSize = args.size('encoder-header-table-size', undefined, 0xffffffff);
  for (const p of args.each('push')) {
    const [from, to] = parsePushSpec(p.value, p.label);
    // The reference's parse_push_config appends to the path's list: -p given twice for one path
    // pushes both sets, in order.
    const paths = opt.push.get(from);
    if (paths === undefined) opt.push.set(from, to);
    else paths.push(...to);
  }
  opt.padding = args.int('padding', 0, 255, 0);
  opt.maxConcurrentStreams = args.int('max-concurrent-streams', 0, 2 ** 31 - 1, 100);
  opt.workers = args.int('workers', 1, 256, 1);
  opt.windowBits = args.int('window-bits', 0, 30);
  opt.connectionWindowBits = args.int('connection-window-bits', 0, 30);
  const dh = last('dh-param-file');
  if (dh !== undefined) opt.dhParamFile = readableFile(path.resolve(cwd, dh), args.label('dh-param-file'));
  for (const t of args.each('trailer')) opt.trailers.push(parseTrailer(t.value, t.label));
  const mt = last('mime-types-file');
  if (mt !== undefined) {
    opt.mimeTypesFile = readableFile(path.resolve(cwd, mt), args.label('mime-types-file'));
    opt.mimeTypesFileSet = true;
  }
  if (opt.ktls) warnings.push('--ktls: Node has no kernel TLS switch; using ordinary TLS');
  if (noTls && opt.verifyClient) warnings.push('-V: ignored with --no-tls');
  if (noTls && opt.dhParamFile) warnings.push('--dh-param-file: ignored with --no-tls');
  return { kind: 'run', options: opt, warnings };
}

/** `--help` text: the reference's options, described in our words. */
export function helpText(): string {
  return `Usage: nghttpd [OPTION]... <PORT> [<PRIVATE_KEY> <CERT>]
A static HTTP/2 file server (nghttp2's nghttpd, in TypeScript).

  <PORT>      Port to listen on (0 picks a free one; the "listen" line shows it).
  <PRIVATE_KEY> <CERT>
              PEM key and certificate for TLS. Needed unless --no-tls.
Options:
  -a, --address=<ADDR>
              Bind to this address only. Default: every address.
  -D, --daemon
              Detach and run in the background from '/'; needs -d.
  -V, --verify-client
              Ask TLS clients for a certificate (not verified); a
              client without one is refused.
  -d, --htdocs=<PATH>
              Serve files from <PATH>. Default: the current directory.
  -v, --verbose
              Print every frame sent and received, and the header
              fields, prefixed with [id=<connection>].
  --no-tls    Serve cleartext HTTP/2 (prior knowledge). Unlike the C
              nghttpd it also takes HTTP/1.1 "Upgrade: h2c", and answers
              other HTTP/1.1 requests with a short 505 explanation.
  -c, --header-table-size=<SIZE>
              HPACK table size our decoder allows (sent in SETTINGS).
  --encoder-header-table-size=<SIZE>
              Upper bound on our HPACK encoder's table; the effective size
              is the smaller of this and what the client allows.
  --color     Colour the -v output even when not writing to a terminal.
  -p, --push=<PATH>=<PUSH_PATH>[,<PUSH_PATH>...]
              When <PATH> is requested, push each <PUSH_PATH> first.
              Repeat for more paths, e.g. -p/=/style.css,/app.js
  -b, --padding=<N>
              Pad each DATA/HEADERS frame with up to <N> octets (0: off).
  -m, --max-concurrent-streams=<N>
              SETTINGS_MAX_CONCURRENT_STREAMS we announce.
              Default: 100
  -n, --workers=<N>
              Number of worker processes sharing the port.
              Default: 1
  -e, --error-gzip
              Gzip error pages for clients that accept gzip.
  -w, --window-bits=<N>
              Stream receive window of 2**<N>-1 octets (0..30).
  -W, --connection-window-bits=<N>
              Connection receive window of 2**<N>-1 octets (0..30).
  --dh-param-file=<PATH>
              PEM DH parameters; enables DHE cipher suites.
  --early-response
              Answer when the request HEADERS arrive instead of waiting
              for the end of the request body.
  --trailer=<HEADER>
              Send '<name>: <value>' as a trailer after each response
              body. Repeatable. Example: --trailer 'foo: bar'
  --hexdump   Dump received bytes (after TLS) as canonical hex+ASCII.
  --echo-upload
              Answer POST and PUT with the uploaded body.
  --mime-types-file=<PATH>
              Where to read content types by file extension.
              Default: /etc/mime.types
  --no-content-length
              Leave out content-length.
  --ktls      Accepted for compatibility; Node has no kernel TLS switch.
  --no-rfc7540-pri
              Announce SETTINGS_NO_RFC7540_PRIORITIES=1.
  --version   Print the version and exit.
  -h, --help  Print this help and exit.

  <SIZE> is an integer with an optional K, M or G suffix (powers of 1024).
`;
}
