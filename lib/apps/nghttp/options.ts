/**
 * nghttp's command line: the option table (short and long names as the reference spells them),
 * a getopt_long-like tokenizer in front of minimist, and the validated `NghttpOptions`.
 */
import minimist from 'minimist';
import { parseDuration, parseIntInRange, parseSize, UsageError } from '../common/units';
import { parseHeaderArg, parseTrailerArg } from './headers';
import { parseTargetUri, TargetUri } from './uri';

export { UsageError };

/** Everything nghttp was asked to do, validated. Sizes in octets, durations in milliseconds. */
export interface NghttpOptions {
  uris: TargetUri[];
  /** How many times -v was given (0 = quiet). */
  verbose: number;
  nullOut: boolean;
  remoteName: boolean;
  /** Per-request timeout in ms; 0 disables it. */
  timeout: number;
  /** -w: stream-level initial window is 2**windowBits - 1. */
  windowBits: number;
  /** -W: connection-level window is 2**connectionWindowBits - 1; undefined leaves 65535 alone. */
  connectionWindowBits?: number;
  getAssets: boolean;
  stat: boolean;
  /** -H in order; names lower-cased; pseudo-headers allowed. */
  headers: [string, string][];
  /** --trailer in order; names lower-cased. */
  trailers: [string, string][];
  cert?: string;
  key?: string;
  /** -d: a file path, or '-' for stdin. */
  data?: string;
  multiply: number;
  upgrade: boolean;
  /** -p values in command-line order (the last one repeats for the remaining URIs). */
  weights: number[];
  /** -M: assumed SETTINGS_MAX_CONCURRENT_STREAMS of the server until it says otherwise. */
  peerMaxConcurrentStreams: number;
  /** Every -c in order (the last one is the decoder table size). */
  headerTableSizes: number[];
  encoderHeaderTableSize?: number;
  /** -b: at most this many octets of padding per frame (0 = none). */
  padding: number;
  /** -r: HAR output path, '-' for stdout. */
  har?: string;
  color: boolean;
  continuation: boolean;
  noContentLength: boolean;
  noDep: boolean;
  hexdump: boolean;
  noPush: boolean;
  /** --max-concurrent-streams: our SETTINGS_MAX_CONCURRENT_STREAMS (pushed streams we accept). */
  maxConcurrentStreams: number;
  expectContinue: boolean;
  /** -y: go on after a failed certificate check without the warning. */
  noVerifyPeer: boolean;
  ktls: boolean;
  noRfc7540Pri: boolean;
  /** Ours: frame trace as JSON lines instead of nghttp's text. */
  json: boolean;
}

/** What the command line asks for: run, or print help/version and exit 0. */
export type ParsedCommand =
  | { kind: 'run'; options: NghttpOptions; warnings: string[] }
  | { kind: 'help' }
  | { kind: 'version' };

interface OptionSpec {
  long: string;
  short?: string;
  /** The argument name shown in the help; absent for flags. */
  arg?: string;
  help: string;
}

/** The options nghttp knows, in the reference's order; the help text is our own wording. */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { long: 'verbose', short: 'v', help: 'Print the frames sent and received and their header fields. Repeat for more detail.' },
  { long: 'null-out', short: 'n', help: 'Do not write response bodies to stdout.' },
  { long: 'remote-name', short: 'O', help: 'Save bodies under a name derived from the URI (accepted but, as in the reference, not implemented).' },
  { long: 'timeout', short: 't', arg: 'DURATION', help: 'Give up on each request after DURATION; 0 turns the timeout off.' },
  { long: 'window-bits', short: 'w', arg: 'N', help: 'Stream-level initial window size 2**N-1 (N in 0..30).' },
  { long: 'connection-window-bits', short: 'W', arg: 'N', help: 'Connection-level window size 2**N-1 (N in 0..30).' },
  { long: 'get-assets', short: 'a', help: 'Also fetch the stylesheets, scripts and images the page links to from the same origin, prioritised html > css > js > images.' },
  { long: 'stat', short: 's', help: 'Print a resource-timing table at the end.' },
  { long: 'header', short: 'H', arg: 'HEADER', help: "Add or override a request header, pseudo-headers too, e.g. -H':method: PUT'." },
  { long: 'trailer', arg: 'HEADER', help: "Send a trailer field after the request body (needs -d), e.g. --trailer 'foo: bar'." },
  { long: 'cert', arg: 'CERT', help: 'Client certificate file (PEM).' },
  { long: 'key', arg: 'KEY', help: 'Client private key file (PEM).' },
  { long: 'data', short: 'd', arg: 'PATH', help: "POST the contents of PATH; '-' reads stdin." },
  { long: 'multiply', short: 'm', arg: 'N', help: 'Request every URI N times (repeated URIs are otherwise fetched once).' },
  { long: 'upgrade', short: 'u', help: 'Start with an HTTP/1.1 Upgrade to h2c (http:// only; OPTIONS when -d is given).' },
  { long: 'weight', short: 'p', arg: 'WEIGHT', help: 'Weight (1..256) of the N-th URI for the N-th -p; the last one repeats; default 16.' },
  { long: 'peer-max-concurrent-streams', short: 'M', arg: 'N', help: "Assume the server's SETTINGS_MAX_CONCURRENT_STREAMS is N until it says otherwise. Default: 100" },
  { long: 'header-table-size', short: 'c', arg: 'SIZE', help: 'HPACK decoder table size; give it several times to announce the smallest value before the last one.' },
  { long: 'encoder-header-table-size', arg: 'SIZE', help: 'Upper bound on the HPACK encoder table size (the server may lower it).' },
  { long: 'padding', short: 'b', arg: 'N', help: 'Pad frame payloads with up to N octets; 0 disables padding.' },
  { long: 'har', short: 'r', arg: 'PATH', help: "Write the transactions as HAR 1.2 to PATH; '-' writes to stdout." },
  { long: 'color', help: 'Colour the frame log even when stdout is not a terminal.' },
  { long: 'continuation', help: 'Add large header fields so the request needs CONTINUATION frames.' },
  { long: 'no-content-length', help: 'Do not send content-length with a request body.' },
  { long: 'no-dep', help: 'Send no RFC 7540 dependency priorities.' },
  { long: 'hexdump', help: 'Hex-dump incoming bytes (after TLS decryption).' },
  { long: 'no-push', help: 'Refuse server push (SETTINGS_ENABLE_PUSH=0).' },
  { long: 'max-concurrent-streams', arg: 'N', help: 'How many pushed streams we accept at once. Default: 100' },
  { long: 'expect-continue', help: 'With -d: send expect: 100-continue and hold the body until 100 arrives (or a short wait ends).' },
  { long: 'no-verify-peer', short: 'y', help: 'Do not warn when the server certificate does not verify.' },
  { long: 'ktls', help: 'Accepted for compatibility; Node has no kernel TLS switch, so it changes nothing.' },
  { long: 'no-rfc7540-pri', help: 'Announce SETTINGS_NO_RFC7540_PRIORITIES=1.' },
  { long: 'json', help: 'Write the frame log as JSON lines (one object per frame) instead of text.' },
  { long: 'version', help: 'Print version information and exit.' },
  { long: 'help', short: 'h', help: 'Print this help and exit.' },
];

const BY_LONG = new Map(OPTION_TABLE.map((o) => [o.long, o]));
const BY_SHORT = new Map(OPTION_TABLE.filter((o) => o.short).map((o) => [o.short as string, o]));

/** Split prose into lines of at most `width` columns (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}

/** The help text printed by -h. */
export function helpText(): string {
  const lines = [
    'Usage: nghttp [OPTIONS]... <URI>...',
    'HTTP/2 client (nghttp2-ts)',
    '',
    '  <URI>       The URI to fetch; several URIs on the same origin share one',
    '              connection.',
    'Options:',
  ];
  for (const o of OPTION_TABLE) {
    const names = (o.short ? `-${o.short}, ` : '') + `--${o.long}` + (o.arg ? `=<${o.arg}>` : '');
    lines.push(`  ${names}`);
    lines.push(...wrap(o.help, 64).map((l) => `              ${l}`));
  }
  lines.push(
    '',
    '  <SIZE> is an integer with an optional unit K, M or G (powers of 1024),',
    '  e.g. 10K.',
    '  <DURATION> is a number with an optional unit h, m, s or ms (seconds when',
    '  omitted), e.g. 500ms.',
    '',
    'Unlike the reference nghttp, the exit status is non-zero when a request did',
    'not complete.',
  );
  return lines.join('\n') + '\n';
}

/** `nghttp nghttp2-ts/<version>`: the same shape as the reference's `nghttp nghttp2/1.52.0`. */
export function versionText(version: string): string {
  return `nghttp nghttp2-ts/${version}\n`;
}

/** Resolve a long option name, accepting an unambiguous prefix as getopt_long does. */
function lookupLong(name: string): OptionSpec {
  const exact = BY_LONG.get(name);
  if (exact) return exact;
  const candidates = OPTION_TABLE.filter((o) => o.long.startsWith(name));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    throw new UsageError(`option '--${name}' is ambiguous; possibilities: ${candidates.map((c) => '--' + c.long).join(' ')}`);
  }
  throw new UsageError(`unrecognized option '--${name}'`);
}

/**
 * getopt_long semantics in front of minimist: short clusters (`-nv`), a short option that takes
 * an argument eats the rest of its cluster or the next word (`-H'a: b'`, `-H 'a: b'`, even when
 * the value starts with '-'), long prefixes, `--` ends options, options may follow URIs.
 * Everything comes out as `--long` or `--long=value` so minimist cannot misread a value.
 */
export function normalizeArgv(argv: readonly string[]): { tokens: string[]; verbose: number } {
  const tokens: string[] = [];
  const positional: string[] = [];
  let verbose = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = lookupLong(name);
      if (spec.arg) {
        let value: string;
        if (eq >= 0) value = a.slice(eq + 1);
        else {
          if (i + 1 >= argv.length) throw new UsageError(`option '--${spec.long}' requires an argument`);
          value = argv[++i];
        }
        tokens.push(`--${spec.long}=${value}`);
      } else {
        if (eq >= 0) throw new UsageError(`option '--${spec.long}' doesn't allow an argument`);
        if (spec.long === 'verbose') verbose++;
        tokens.push(`--${spec.long}`);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const spec = BY_SHORT.get(a[j]);
        if (!spec) throw new UsageError(`invalid option -- '${a[j]}'`);
        if (spec.arg) {
          let value = a.slice(j + 1);
          if (value === '') {
            if (i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${a[j]}'`);
            value = argv[++i];
          }
          tokens.push(`--${spec.long}=${value}`);
          break;
        }
        if (spec.long === 'verbose') verbose++;
        tokens.push(`--${spec.long}`);
      }
      continue;
    }
    positional.push(a);
  }
  return { tokens: [...tokens, '--', ...positional], verbose };
}

const VALUED = OPTION_TABLE.filter((o) => o.arg).map((o) => o.long);
const FLAGS = OPTION_TABLE.filter((o) => !o.arg).map((o) => o.long);

function all(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}
function last(v: unknown): string | undefined {
  const a = all(v);
  return a.length ? a[a.length - 1] : undefined;
}

/** Window bits: 0..30 as the reference allows. */
function parseBits(text: string, option: string): number {
  return parseIntInRange(text, option, 0, 30);
}

/**
 * Parse nghttp's arguments (without `node` and the script). Throws UsageError with a message
 * fit for stderr on any bad option, value or URI.
 */
export function parseArgs(argv: readonly string[]): ParsedCommand {
  const { tokens, verbose } = normalizeArgv(argv);
  // `--no-push` and friends must stay whole: minimist would read them as `push=false`.
  const args = minimist(tokens, { string: VALUED, boolean: FLAGS, '--': true });
  for (const neg of ['no-push', 'no-dep', 'no-content-length', 'no-verify-peer', 'no-rfc7540-pri']) {
    const base = neg.slice(3);
    if (args[base] === false) args[neg] = true;
  }
  if (args.help) return { kind: 'help' };
  if (args.version) return { kind: 'version' };

  const uriArgs = all(args['--']).concat(all(args._));
  if (uriArgs.length === 0) throw new UsageError('no URI given (see nghttp --help)');
  const uris = uriArgs.map(parseTargetUri);

  const headers = all(args.header).map((h) => parseHeaderArg(h, '-H'));
  const trailers = all(args.trailer).map((h) => parseTrailerArg(h));
  const headerTableSizes = all(args['header-table-size']).map((v) => {
    const n = parseSize(v, '-c');
    if (n > 0xffffffff) throw new UsageError(`-c: ${v} is too large (at most 4294967295)`);
    return n;
  });
  const weights = all(args.weight).map((v) => parseIntInRange(v, '-p', 1, 256));

  const timeoutText = last(args.timeout);
  const windowBits = last(args['window-bits']);
  const connWindowBits = last(args['connection-window-bits']);
  const multiply = last(args.multiply);
  const peerMax = last(args['peer-max-concurrent-streams']);
  const maxStreams = last(args['max-concurrent-streams']);
  const padding = last(args.padding);
  const encSize = last(args['encoder-header-table-size']);
  const data = last(args.data);
  if (data === '') throw new UsageError('-d: empty path');
  const har = last(args.har);
  if (har === '') throw new UsageError('-r: empty path');

  const options: NghttpOptions = {
    uris,
    verbose,
    nullOut: !!args['null-out'],
    remoteName: !!args['remote-name'],
    timeout: timeoutText === undefined ? 0 : parseDuration(timeoutText, '-t'),
    windowBits: windowBits === undefined ? 16 : parseBits(windowBits, '-w'),
    connectionWindowBits: connWindowBits === undefined ? undefined : parseBits(connWindowBits, '-W'),
    getAssets: !!args['get-assets'],
    stat: !!args.stat,
    headers,
    trailers,
    cert: last(args.cert),
    key: last(args.key),
    data,
    multiply: multiply === undefined ? 1 : parseIntInRange(multiply, '-m', 1, 1_000_000),
    upgrade: !!args.upgrade,
    weights,
    peerMaxConcurrentStreams: peerMax === undefined ? 100 : parseIntInRange(peerMax, '-M', 1, 0xffffffff),
    headerTableSizes,
    encoderHeaderTableSize: encSize === undefined ? undefined : parseSize(encSize, '--encoder-header-table-size'),
    padding: padding === undefined ? 0 : parseIntInRange(padding, '-b', 0, 256),
    har,
    color: !!args.color,
    continuation: !!args.continuation,
    noContentLength: !!args['no-content-length'],
    noDep: !!args['no-dep'],
    hexdump: !!args.hexdump,
    noPush: !!args['no-push'],
    maxConcurrentStreams: maxStreams === undefined ? 100 : parseIntInRange(maxStreams, '--max-concurrent-streams', 0, 0xffffffff),
    expectContinue: !!args['expect-continue'],
    noVerifyPeer: !!args['no-verify-peer'],
    ktls: !!args.ktls,
    noRfc7540Pri: !!args['no-rfc7540-pri'],
    json: !!args.json,
  };
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new UsageError('--cert and --key must be given together');
  }
  const warnings: string[] = [];
  // The reference silently sends no trailer without a body; we say so.
  if (options.trailers.length && options.data === undefined) warnings.push('--trailer is ignored without a request body (-d)');
  if (options.expectContinue && options.data === undefined) warnings.push('--expect-continue is ignored without a request body (-d)');
  if (options.remoteName) warnings.push('-O is not implemented (as in the reference); bodies go to stdout');
  return { kind: 'run', options, warnings };
}

/** The weight of the i-th command-line URI: its -p, else the last -p, else 16. */
export function weightFor(options: Pick<NghttpOptions, 'weights'>, index: number): number {
  const w = options.weights;
  if (w.length === 0) return 16;
  return w[Math.min(index, w.length - 1)];
}
