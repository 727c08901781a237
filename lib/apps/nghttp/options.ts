/**
 * nghttp's command line: the option table (short and long names as the reference spells them),
 * read by the CLI kit (lib/apps/common/argv.ts), and the validated `NghttpOptions`.
 */
import { checkedSize, helpOrVersion, OptionSpec, OptionTable } from '../common/argv';
import { parseHeaderArg, parseTrailerArg } from '../common/headers';
import { parseIntInRange, UsageError } from '../common/units';
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
export type ParsedCommand = { kind: 'run'; options: NghttpOptions; warnings: string[] } | { kind: 'help' } | { kind: 'version' };

/** The options nghttp knows, in the reference's order; the help text is our own wording. */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { long: 'verbose', short: 'v', help: 'Print the frames sent and received and their header fields. Repeat for more detail.' },
  { long: 'null-out', short: 'n', help: 'Do not write response bodies to stdout.' },
  {
    long: 'remote-name',
    short: 'O',
    help: 'Save bodies under a name derived from the URI (accepted but, as in the reference, not implemented).',
  },
  { long: 'timeout', short: 't', arg: 'DURATION', help: 'Give up on each request after DURATION; 0 turns the timeout off.' },
  { long: 'window-bits', short: 'w', arg: 'N', help: 'Stream-level initial window size 2**N-1 (N in 0..30).' },
  { long: 'connection-window-bits', short: 'W', arg: 'N', help: 'Connection-level window size 2**N-1 (N in 0..30).' },
  {
    long: 'get-assets',
    short: 'a',
    help: 'Also fetch the stylesheets, scripts and images the page links to from the same origin, prioritised html > css > js > images.',
  },
  { long: 'stat', short: 's', help: 'Print a resource-timing table at the end.' },
  { long: 'header', short: 'H', arg: 'HEADER', help: "Add or override a request header, pseudo-headers too, e.g. -H':method: PUT'." },
  { long: 'trailer', arg: 'HEADER', help: "Send a trailer field after the request body (needs -d), e.g. --trailer 'foo: bar'." },
  { long: 'cert', arg: 'CERT', help: 'Client certificate file (PEM).' },
  { long: 'key', arg: 'KEY', help: 'Client private key file (PEM).' },
  { long: 'data', short: 'd', arg: 'PATH', help: "POST the contents of PATH; '-' reads stdin." },
  { long: 'multiply', short: 'm', arg: 'N', help: 'Request every URI N times (repeated URIs are otherwise fetched once).' },
  { long: 'upgrade', short: 'u', help: 'Start with an HTTP/1.1 Upgrade to h2c (http:// only; OPTIONS when -d is given).' },
  { long: 'weight', short: 'p', arg: 'WEIGHT', help: 'Weight (1..256) of the N-th URI for the N-th -p; the last one repeats; default 16.' },
  {
    long: 'peer-max-concurrent-streams',
    short: 'M',
    arg: 'N',
    help: "Assume the server's SETTINGS_MAX_CONCURRENT_STREAMS is N until it says otherwise. Default: 100",
  },
  {
    long: 'header-table-size',
    short: 'c',
    arg: 'SIZE',
    help: 'HPACK decoder table size; give it several times to announce the smallest value before the last one.',
  },
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

const TABLE = new OptionTable(OPTION_TABLE);

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
    lines.push(...wrap(o.help ?? '', 64).map((l) => `              ${l}`));
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

/**
 * Parse nghttp's arguments (without `node` and the script). Throws UsageError with a message
 * fit for stderr on any bad option, value or URI.
 */
export function parseArgs(argv: readonly string[]): ParsedCommand {
  const args = TABLE.parse(argv);
  const shown = helpOrVersion(args);
  if (shown) return { kind: shown };

  const uriArgs = args.positionals;
  if (uriArgs.length === 0) throw new UsageError('no URI given');
  const uris = uriArgs.map(parseTargetUri);

  const headers = args.each('header').map((h) => parseHeaderArg(h.value, h.label));
  const trailers = args.each('trailer').map((h) => parseTrailerArg(h.value, h.label));
  const headerTableSizes = args.each('header-table-size').map((v) => checkedSize(v.value, v.label, 0xffffffff));
  const weights = args.each('weight').map((v) => parseIntInRange(v.value, v.label, 1, 256));
  const data = args.last('data');
  if (data === '') throw new UsageError(`${args.label('data')}: empty path`);
  const har = args.last('har');
  if (har === '') throw new UsageError(`${args.label('har')}: empty path`);
  const flag = (name: string) => args.has(name);

  const options: NghttpOptions = {
    uris,
    verbose: args.count('verbose'),
    nullOut: flag('null-out'),
    remoteName: flag('remote-name'),
    timeout: args.duration('timeout', 0),
    windowBits: args.int('window-bits', 0, 30, 16),
    connectionWindowBits: args.int('connection-window-bits', 0, 30),
    getAssets: flag('get-assets'),
    stat: flag('stat'),
    headers,
    trailers,
    cert: args.last('cert'),
    key: args.last('key'),
    data,
    multiply: args.int('multiply', 1, 1_000_000, 1),
    upgrade: flag('upgrade'),
    weights,
    peerMaxConcurrentStreams: args.int('peer-max-concurrent-streams', 1, 0xffffffff, 100),
    headerTableSizes,
    encoderHeaderTableSize: args.size('encoder-header-table-size', undefined, 0xffffffff),
    padding: args.int('padding', 0, 256, 0),
    har,
    color: flag('color'),
    continuation: flag('continuation'),
    noContentLength: flag('no-content-length'),
    noDep: flag('no-dep'),
    hexdump: flag('hexdump'),
    noPush: flag('no-push'),
    maxConcurrentStreams: args.int('max-concurrent-streams', 0, 0xffffffff, 100),
    expectContinue: flag('expect-continue'),
    noVerifyPeer: flag('no-verify-peer'),
    ktls: flag('ktls'),
    noRfc7540Pri: flag('no-rfc7540-pri'),
    json: flag('json'),
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
