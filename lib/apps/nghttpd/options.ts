/**
 * nghttpd's command line: every option of the reference `nghttpd` (nghttp2 1.52.0) with its
 * name and default, parsed into one plain `NghttpdOptions` object. Bad values throw UsageError.
 */
import * as fs from 'fs';
import * as path from 'path';
import minimist from 'minimist';
import { parseIntInRange, parseSize, UsageError } from '../common/units';
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
  /** -p: request path -> paths to push (later -p for the same path replaces the earlier one). */
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
export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; options: NghttpdOptions; warnings: string[] };

const VALUE_SHORT = 'adcpbmnwW';
const FLAG_SHORT = 'DVvehv';
const STRINGS = [
  'address', 'htdocs', 'header-table-size', 'encoder-header-table-size', 'push', 'padding',
  'max-concurrent-streams', 'workers', 'window-bits', 'connection-window-bits', 'dh-param-file',
  'trailer', 'mime-types-file',
];
const BOOLEANS = [
  'daemon', 'verify-client', 'verbose', 'color', 'error-gzip', 'early-response', 'hexdump',
  'echo-upload', 'ktls', 'version', 'help',
  // minimist reads --no-X as X=false: these three are the negated names.
  'tls', 'content-length', 'rfc7540-pri',
];
const ALIASES: Record<string, string> = {
  a: 'address', D: 'daemon', V: 'verify-client', d: 'htdocs', v: 'verbose', c: 'header-table-size',
  p: 'push', b: 'padding', m: 'max-concurrent-streams', n: 'workers', e: 'error-gzip',
  w: 'window-bits', W: 'connection-window-bits', h: 'help',
};
const KNOWN_LONG = new Set([...STRINGS, ...BOOLEANS.filter((b) => !['tls', 'content-length', 'rfc7540-pri'].includes(b)),
  'no-tls', 'no-content-length', 'no-rfc7540-pri']);

/**
 * Split getopt-style short clusters so minimist sees one option per token:
 * `-vd/tmp` -> `-v -d /tmp`, `-w16` -> `-w 16`, `-p/=/a.css` -> `-p /=/a.css`.
 */
export function expandShortOptions(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { out.push(...argv.slice(i)); break; }
    if (arg.length < 2 || arg[0] !== '-' || arg[1] === '-') { out.push(arg); continue; }
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j];
      if (VALUE_SHORT.includes(c)) {
        // Emitted as --long=value so that minimist takes any value, even one starting with '-'.
        const rest = arg.slice(j + 1);
        let value: string;
        if (rest.length > 0) value = rest.startsWith('=') && c !== 'p' ? rest.slice(1) : rest;
        else if (i + 1 < argv.length) value = argv[++i];
        else throw new UsageError(`-${c}: option requires an argument`);
        out.push(`--${ALIASES[c]}=${value}`);
        break;
      }
      if (!FLAG_SHORT.includes(c)) throw new UsageError(`-${c}: unknown option (see --help)`);
      out.push('-' + c);
    }
  }
  return out;
}

function last(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
}
function all(v: unknown): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

/** `-p PATH=PUSH_PATH,...` -> [PATH, [PUSH_PATH...]]. */
export function parsePushSpec(spec: string): [string, string[]] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`-p: bad value '${spec}' (expected <PATH>=<PUSH_PATH>[,<PUSH_PATH>...])`);
  const from = spec.slice(0, eq);
  const to = spec.slice(eq + 1).split(',');
  for (const p of [from, ...to]) {
    if (!p.startsWith('/')) throw new UsageError(`-p: '${p}' in '${spec}' must be an absolute path starting with '/'`);
    if (/[\x00-\x20\x7f]/.test(p)) throw new UsageError(`-p: '${p}' contains a space or control character`);
  }
  return [from, to];
}

/** `--trailer 'name: value'` -> [lower-case name, value]. */
export function parseTrailer(text: string): [string, string] {
  const colon = text.indexOf(':', 1);
  if (colon <= 0) throw new UsageError(`--trailer: '${text}' is not a header field (expected 'name: value')`);
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  if (name.startsWith(':') || text.startsWith(':')) throw new UsageError(`--trailer: '${text}': pseudo header fields are not allowed in trailers`);
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) throw new UsageError(`--trailer: '${name}' is not a valid field name`);
  if (value === '') throw new UsageError(`--trailer: '${text}': the value must not be empty`);
  if (/[\x00\r\n]/.test(value)) throw new UsageError(`--trailer: the value of '${name}' contains CR, LF or NUL`);
  return [name, value];
}

function readableFile(file: string, what: string): string {
  try {
    const st = fs.statSync(file);
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
  for (const a of argv) {
    if (a === '--') break;
    if (a === '--tls' || a === '--content-length' || a === '--rfc7540-pri' || a.startsWith('--tls=')) {
      throw new UsageError(`${a}: unknown option (see --help)`);
    }
    const eq = /^--([a-z0-9-]+)=/.exec(a);
    if (eq && (BOOLEANS.includes(eq[1]) || ['no-tls', 'no-content-length', 'no-rfc7540-pri'].includes(eq[1]))) {
      throw new UsageError(`--${eq[1]}: takes no value`);
    }
  }
  const args = minimist(expandShortOptions(argv), {
    string: STRINGS,
    boolean: BOOLEANS,
    alias: ALIASES,
    default: { tls: true, 'content-length': true, 'rfc7540-pri': true },
    unknown: (a: string) => {
      if (a.startsWith('--')) {
        const name = a.slice(2).split('=')[0];
        if (!KNOWN_LONG.has(name)) throw new UsageError(`${a}: unknown option (see --help)`);
        return true;
      }
      if (a.startsWith('-') && a.length > 1) throw new UsageError(`${a}: unknown option (see --help)`);
      return true;
    },
  });
  if (args.help) return { kind: 'help' };
  if (args.version) return { kind: 'version' };
  for (const b of BOOLEANS) {
    if (Array.isArray(args[b]) || (args[b] !== undefined && typeof args[b] !== 'boolean')) {
      throw new UsageError(`--${b}: takes no value`);
    }
  }

  const warnings: string[] = [];
  const noTls = args.tls === false;
  const positionals = (args._ as unknown[]).map(String);
  const want = noTls ? 1 : 3;
  if (positionals.length < want) {
    throw new UsageError(noTls ? 'Too few arguments: <PORT> is required'
      : 'Too few arguments: <PORT> <PRIVATE_KEY> <CERT> are required (or use --no-tls)');
  }
  if (positionals.length > 3 || (noTls && positionals.length > 1 && positionals.length !== 3)) {
    throw new UsageError(`Too many arguments: ${positionals.slice(want).join(' ')}`);
  }
  if (noTls && positionals.length === 3) warnings.push('--no-tls: <PRIVATE_KEY> and <CERT> are ignored');
  const port = parseIntInRange(positionals[0], '<PORT>', 0, 65535);

  const opt: NghttpdOptions = {
    port,
    daemon: !!args.daemon,
    verifyClient: !!args['verify-client'],
    htdocs: cwd,
    verbose: !!args.verbose,
    noTls,
    color: !!args.color,
    push: new Map(),
    padding: 0,
    maxConcurrentStreams: 100,
    workers: 1,
    errorGzip: !!args['error-gzip'],
    earlyResponse: !!args['early-response'],
    trailers: [],
    hexdump: !!args.hexdump,
    echoUpload: !!args['echo-upload'],
    mimeTypesFile: '/etc/mime.types',
    mimeTypesFileSet: false,
    noContentLength: args['content-length'] === false,
    ktls: !!args.ktls,
    noRfc7540Pri: args['rfc7540-pri'] === false,
  };
  if (!noTls) {
    opt.privateKeyFile = readableFile(path.resolve(cwd, positionals[1]), '<PRIVATE_KEY>');
    opt.certFile = readableFile(path.resolve(cwd, positionals[2]), '<CERT>');
  }

  const address = last(args.address);
  if (address !== undefined) {
    if (address === '') throw new UsageError('-a: the address must not be empty');
    opt.address = address;
  }
  const htdocs = last(args.htdocs);
  if (htdocs !== undefined) {
    if (htdocs === '') throw new UsageError('-d: the path must not be empty');
    const abs = path.resolve(cwd, htdocs);
    let st: fs.Stats;
    try { st = fs.statSync(abs); } catch (e) {
      throw new UsageError(`-d: cannot use '${htdocs}' as document root: ${(e as NodeJS.ErrnoException).code}`);
    }
    if (!st.isDirectory()) throw new UsageError(`-d: '${htdocs}' is not a directory`);
    opt.htdocs = abs;
  }
  if (opt.daemon && htdocs === undefined) throw new UsageError('-D: also give -d <PATH> (a daemon works from /)');

  const c = last(args['header-table-size']);
  if (c !== undefined) opt.headerTableSize = sizeU32(c, '-c');
  const enc = last(args['encoder-header-table-size']);
  if (enc !== undefined) opt.encoderHeaderTableSize = sizeU32(enc, '--encoder-header-table-size');
  for (const p of all(args.push)) {
    const [from, to] = parsePushSpec(p);
    opt.push.set(from, to);
  }
  const b = last(args.padding);
  if (b !== undefined) opt.padding = parseIntInRange(b, '-b', 0, 255);
  const m = last(args['max-concurrent-streams']);
  if (m !== undefined) opt.maxConcurrentStreams = parseIntInRange(m, '-m', 0, 2 ** 31 - 1);
  const n = last(args.workers);
  if (n !== undefined) opt.workers = parseIntInRange(n, '-n', 1, 256);
  const w = last(args['window-bits']);
  if (w !== undefined) opt.windowBits = parseIntInRange(w, '-w', 0, 30);
  const W = last(args['connection-window-bits']);
  if (W !== undefined) opt.connectionWindowBits = parseIntInRange(W, '-W', 0, 30);
  const dh = last(args['dh-param-file']);
  if (dh !== undefined) opt.dhParamFile = readableFile(path.resolve(cwd, dh), '--dh-param-file');
  for (const t of all(args.trailer)) opt.trailers.push(parseTrailer(t));
  const mt = last(args['mime-types-file']);
  if (mt !== undefined) {
    opt.mimeTypesFile = readableFile(path.resolve(cwd, mt), '--mime-types-file');
    opt.mimeTypesFileSet = true;
  }
  if (opt.ktls) warnings.push('--ktls: Node has no kernel TLS switch; using ordinary TLS');
  if (noTls && opt.verifyClient) warnings.push('-V: ignored with --no-tls');
  if (noTls && opt.dhParamFile) warnings.push('--dh-param-file: ignored with --no-tls');
  return { kind: 'run', options: opt, warnings };
}

function sizeU32(text: string, option: string): number {
  const n = parseSize(text, option);
  if (n > 0xffffffff) throw new UsageError(`${option}: ${text} is too large (at most 4G-1)`);
  return n;
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
