/**
 * h2load's command line: nghttp2 1.52's option names, defaults and value checks, parsed into an
 * H2loadConfig; and the URI list resolved into one target (scheme, host, port) plus paths.
 */
import { helpOrVersion, OptionSpec, OptionTable } from '../common/argv';
import { parseHeaderArg } from '../common/headers';
import { checkSuites, TlsSuites } from '../common/tls-suites';
import { parseIntInRange, parseSize, UsageError } from '../common/units';

export { UsageError };

/** Everything a run needs, validated. Durations are milliseconds. */
export interface H2loadConfig {
  /** URIs from the command line (or the input file, once resolved). */
  uris: string[];
  /** -n: total requests across clients (ignored with -D). */
  requests: number;
  /** -c: clients, one connection each (with -r: the most connections made). */
  clients: number;
  /** -t: threads; thread 0 runs in the main thread, the others in worker_threads. */
  threads: number;
  /** -m: concurrent streams per connection (HTTP/1.1: pipelining depth). */
  maxConcurrentStreams: number;
  /** -i: file with one URI per line ('-' = stdin). */
  inputFile?: string;
  /** -f: SETTINGS_MAX_FRAME_SIZE we advertise. */
  maxFrameSize: number;
  /** -w: stream window = 2**bits - 1. */
  windowBits: number;
  /** -W: connection window = 2**bits - 1. */
  connectionWindowBits: number;
  /** -H: extra or overriding header fields, names lowercased. */
  headers: [string, string][];
  /** -p: what an http:// URI speaks. */
  noTlsProto: 'h2c' | 'http/1.1';
  /** -d: file POSTed with every request. */
  dataFile?: string;
  /** -r: connections made per rate period (0 = all at once). */
  rate: number;
  /** --rate-period. */
  ratePeriodMs: number;
  /** -D: main duration of a timing-based run. */
  durationMs?: number;
  /** --warm-up-time (with -D). */
  warmUpMs: number;
  /** -T: close a connection this long after it connected. */
  activeTimeoutMs?: number;
  /** -N: close a connection after this long without reading anything. */
  inactivityTimeoutMs?: number;
  /** -B: scheme, host and port for every request, or `unix:PATH`. */
  baseUri?: string;
  /** --npn-list: ALPN identifiers offered over TLS, most wanted first. */
  npnList: string[];
  /** --header-table-size: SETTINGS_HEADER_TABLE_SIZE (our decoder). */
  headerTableSize: number;
  /** --encoder-header-table-size: own cap on the encoder's table. */
  encoderHeaderTableSize: number;
  /** --log-file: per-request TSV rows. */
  logFile?: string;
  /** --connect-to: dial this instead of the URI's authority. */
  connectTo?: { host: string; port?: number };
  /** --rps: requests per second per client (0 = as fast as possible). */
  rps: number;
  /** -v: print each response header. */
  verbose: boolean;
  /** --json (beyond the reference): stdout is the whole summary as one JSON document. */
  json: boolean;
  /** --html-report (beyond the reference): write an HTML report with latency and req/s plots. */
  htmlReport?: string;
  /** --timing-script-file: each client's request times (ms from its connection) and URIs. */
  timingScript?: { offsetsMs: number[]; uris: string[] };
  /** --timing-script-file as given (read by the run; '-' = stdin). */
  timingScriptFile?: string;
  /** -n was given (with a timing script, -n defaults to the number of script lines). */
  requestsGiven?: boolean;
  /** --ciphers, --tls13-ciphers, --groups as given (H2LOAD_TLS_DEFAULTS for the others). */
  tlsSuites?: TlsSuites;
}

/**
 * h2load's defaults for the TLS lists (its --help), so that its ClientHello offers what the C
 * h2load offers (Node's own defaults order the TLSv1.3 suites differently).
 */
export const H2LOAD_TLS_DEFAULTS: Required<TlsSuites> = {
  ciphers:
    'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384',
  tls13Ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256',
  groups: 'X25519:P-256:P-384:P-521',
};

/** The parse result: run, or print help / version. */
export type ParsedArgs = { kind: 'run'; config: H2loadConfig } | { kind: 'help' } | { kind: 'version' };

/** h2load's options as nghttp2 1.52 spells them (the help text is lib/apps/h2load/help.ts). */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { long: 'requests', short: 'n', arg: 'N' },
  { long: 'clients', short: 'c', arg: 'N' },
  { long: 'threads', short: 't', arg: 'N' },
  { long: 'input-file', short: 'i', arg: 'PATH' },
  { long: 'max-concurrent-streams', short: 'm', arg: 'N' },
  { long: 'max-frame-size', short: 'f', arg: 'SIZE' },
  { long: 'window-bits', short: 'w', arg: 'N' },
  { long: 'connection-window-bits', short: 'W', arg: 'N' },
  { long: 'header', short: 'H', arg: 'HEADER', repeatable: true },
  { long: 'no-tls-proto', short: 'p', arg: 'PROTOID' },
  { long: 'data', short: 'd', arg: 'PATH' },
  { long: 'rate', short: 'r', arg: 'N' },
  { long: 'rate-period', arg: 'DURATION' },
  { long: 'duration', short: 'D', arg: 'DURATION' },
  { long: 'warm-up-time', arg: 'DURATION' },
  { long: 'connection-active-timeout', short: 'T', arg: 'DURATION' },
  { long: 'connection-inactivity-timeout', short: 'N', arg: 'DURATION' },
  { long: 'base-uri', short: 'B', arg: 'URI' },
  { long: 'npn-list', arg: 'LIST' },
  { long: 'header-table-size', arg: 'SIZE' },
  { long: 'encoder-header-table-size', arg: 'SIZE' },
  { long: 'log-file', arg: 'PATH' },
  { long: 'connect-to', arg: 'HOST[:PORT]' },
  { long: 'rps', arg: 'N' },
  { long: 'h1' },
  { long: 'verbose', short: 'v' },
  { long: 'version' },
  { long: 'help', short: 'h' },
  { long: 'json' },
  { long: 'html-report', arg: 'FILE' },
  { long: 'timing-script-file', arg: 'PATH' },
  { long: 'ciphers', arg: 'SUITE' },
  { long: 'tls13-ciphers', arg: 'SUITE' },
  { long: 'groups', arg: 'GROUPS' },
  // Known to nghttp2's h2load but not offered here (refused with a message, not mistaken for URIs).
  { long: 'qlog-file-base', arg: 'PATH' },
  { long: 'max-udp-payload-size', arg: 'SIZE' },
  { long: 'no-udp-gso' },
  { long: 'ktls' },
];
const TABLE = new OptionTable(OPTION_TABLE);

const UNSUPPORTED: Record<string, string> = {
  'qlog-file-base': 'is QUIC-only; this h2load has no HTTP/3',
  'max-udp-payload-size': 'is QUIC-only; this h2load has no HTTP/3',
  'no-udp-gso': 'is QUIC-only; this h2load has no HTTP/3',
  ktls: 'is not supported (no kernel TLS from Node)',
};

function parseConnectTo(text: string): { host: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:\[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--connect-to: bad HOST[:PORT]: ${text}`);
  const host = m[1].replace(/^\[|\]$/g, '');
  if (m[2] === undefined) return { host };
  return { host, port: parseIntInRange(m[2], '--connect-to port', 1, 65535) };
}

/** Parse argv (without `node` and the script). Throws UsageError with a message naming the option. */
export function parseArgs(argv: string[]): ParsedArgs {
  const a = TABLE.parse(argv);
  const shown = helpOrVersion(a);
  if (shown) return { kind: shown };
  for (const [name, why] of Object.entries(UNSUPPORTED)) {
    if (a.has(name)) throw new UsageError(`${a.label(name)} ${why}`);
  }
  const str = (name: string) => a.last(name);
  // Messages name the option as the user wrote it (`-n` or `--requests`).
  const num = (name: string, dflt: number, parse: (t: string, l: string) => number) => {
    const v = str(name);
    return v === undefined ? dflt : parse(v, a.label(name));
  };
  const dur = (name: string): number | undefined => a.duration(name);

  const requests = num('requests', 1, (t, l) => parseIntInRange(t, l, 0, Number.MAX_SAFE_INTEGER));
  const clients = num('clients', 1, (t, l) => {
    const n = parseIntInRange(t, l, 0, Number.MAX_SAFE_INTEGER);
    if (n === 0) throw new UsageError('-c: the number of clients must be greater than 0');
    return n;
  });
  const threads = num('threads', 1, (t, l) => {
    const n = parseIntInRange(t, l, 0, 256);
    if (n === 0) throw new UsageError('-t: the number of threads must be greater than 0');
    return n;
  });
  const maxConcurrentStreams = num('max-concurrent-streams', 1, (t, l) => {
    const n = parseIntInRange(t, l, 0, 0x7fffffff);
    if (n === 0) throw new UsageError('-m: the max concurrent streams must be greater than 0');
    return n;
  });
  const maxFrameSize = num('max-frame-size', 16384, (t, l) => {
    const n = parseSize(t, l);
    if (n < 16384) throw new UsageError('-f, --max-frame-size: minimum 16384');
    if (n > 16777215) throw new UsageError('-f, --max-frame-size: maximum 16777215');
    return n;
  });
  const windowBits = num('window-bits', 30, (t, l) => parseIntInRange(t, l, 0, 30));
  const connectionWindowBits = num('connection-window-bits', 30, (t, l) => parseIntInRange(t, l, 0, 30));
  const headers = a.each('header').map((h) => parseHeaderArg(h.value, h.label));
  let noTlsProto: 'h2c' | 'http/1.1' = 'h2c';
  const p = str('no-tls-proto');
  if (p !== undefined) {
    if (p === 'h2c' || p === 'http/1.1') noTlsProto = p;
    else throw new UsageError(`${a.label('no-tls-proto')}: unsupported protocol ${p} (h2c or http/1.1)`);
  }
  const rate = num('rate', 0, (t, l) => parseIntInRange(t, l, 0, Number.MAX_SAFE_INTEGER));
  const ratePeriodMs = dur('rate-period') ?? 1000;
  // The reference accepts 0 (its help says positive): with -r, only the first batch is then made.
  if (ratePeriodMs < 0) throw new UsageError('--rate-period: the rate period must not be negative');
  const durationMs = dur('duration');
  const warmUpMs = dur('warm-up-time') ?? 0;
  if (rate > 0 && durationMs !== undefined) throw new UsageError('-r, -D: they are mutually exclusive');
  const activeTimeoutMs = dur('connection-active-timeout');
  const inactivityTimeoutMs = dur('connection-inactivity-timeout');
  let npnList = ['h2', 'h2-16', 'h2-14', 'http/1.1'];
  const npn = str('npn-list');
  if (npn !== undefined) {
    npnList = npn.split(',');
    if (npnList.some((s) => s === '' || s.length > 255)) throw new UsageError(`${a.label('npn-list')}: bad list '${npn}'`);
  }
  if (a.has('h1')) {
    npnList = ['http/1.1'];
    noTlsProto = 'http/1.1';
  }
  const headerTableSize = num('header-table-size', 4096, parseSize);
  const encoderHeaderTableSize = num('encoder-header-table-size', 4096, parseSize);
  const rps = num('rps', 0, (t, l) => parseIntInRange(t, l, 0, Number.MAX_SAFE_INTEGER));
  const ct = str('connect-to');
  const uris = [...a.positionals];
  const inputFile = str('input-file');

  if (rate > 0 && rate < threads)
    throw new UsageError('-r, -t: the connection rate must be greater than or equal to the number of threads');
  if (threads > clients) throw new UsageError('-c, -t: the number of clients must be greater than or equal to the number of threads');
  const script = str('timing-script-file');
  if (script !== undefined && rps > 0) throw new UsageError('--timing-script-file, --rps: they are mutually exclusive');
  // With a timing script, -n is per client (so it may be below -c).
  if (durationMs === undefined && requests < clients && script === undefined) {
    throw new UsageError('-n, -c: the number of requests must be greater than or equal to the clients');
  }
  if (!inputFile && script === undefined && uris.length === 0) throw new UsageError('no URI given');
  let tlsSuites: TlsSuites | undefined;
  if (a.has('ciphers') || a.has('tls13-ciphers') || a.has('groups')) {
    tlsSuites = { ciphers: str('ciphers'), tls13Ciphers: str('tls13-ciphers'), groups: str('groups') };
    checkSuites(tlsSuites, { ciphers: a.label('ciphers'), tls13Ciphers: a.label('tls13-ciphers'), groups: a.label('groups') });
  }

  return {
    kind: 'run',
    config: {
      uris,
      requests,
      clients,
      threads,
      maxConcurrentStreams,
      inputFile,
      maxFrameSize,
      windowBits,
      connectionWindowBits,
      headers,
      noTlsProto,
      dataFile: str('data'),
      rate,
      ratePeriodMs,
      // nghttp2's -D 0 means "not timing-based".
      durationMs: durationMs !== undefined && durationMs > 0 ? durationMs : undefined,
      warmUpMs,
      activeTimeoutMs: activeTimeoutMs || undefined,
      inactivityTimeoutMs: inactivityTimeoutMs || undefined,
      baseUri: str('base-uri'),
      npnList,
      headerTableSize,
      encoderHeaderTableSize,
      logFile: str('log-file'),
      connectTo: ct !== undefined ? parseConnectTo(ct) : undefined,
      rps,
      verbose: a.has('verbose'),
      json: a.has('json'),
      htmlReport: str('html-report'),
      timingScriptFile: str('timing-script-file'),
      requestsGiven: a.has('requests'),
      tlsSuites,
    },
  };
}

/**
 * A timing script (--timing-script-file): lines of `offset<TAB>URI`, the offset in milliseconds
 * (decimals allowed) from the client's connection. Throws UsageError naming the bad line.
 */
export function parseTimingScript(text: string): { offsetsMs: number[]; uris: string[] } {
  const offsetsMs: number[] = [];
  const uris: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const tab = line.indexOf('\t');
    const off = tab < 0 ? NaN : Number(line.slice(0, tab));
    const uri = tab < 0 ? '' : line.slice(tab + 1).trim();
    if (!Number.isFinite(off) || off < 0 || line.slice(0, tab).trim() === '' || uri === '') {
      throw new UsageError(`--timing-script-file: line ${i + 1}: expected <milliseconds>TAB<URI>, got ${JSON.stringify(line)}`);
    }
    offsetsMs.push(off);
    uris.push(uri);
  });
  if (uris.length === 0) throw new UsageError('--timing-script-file: no script line');
  return { offsetsMs, uris };
}

/** Where every client connects and what it asks for. */
export interface Target {
  scheme: 'http' | 'https';
  /** Host for SNI and :authority. */
  host: string;
  port: number;
  /** `:authority` / Host. */
  authority: string;
  /** Dial this host and port (from --connect-to), else host and port. */
  connectHost: string;
  connectPort: number;
  /** -B unix:PATH: dial this UNIX socket instead. */
  unixPath?: string;
  /** Request paths (with query), used round-robin. */
  paths: string[];
}

function parseUri(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`invalid URI: ${text}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`invalid URI (http or https expected): ${text}`);
  if (!u.hostname) throw new UsageError(`invalid URI (no host): ${text}`);
  return u;
}

/**
 * The first URI (or -B) gives scheme, host and port; every URI gives a path (later URIs may be
 * bare paths like `/nope`, as in h2load).
 */
export function resolveTarget(config: H2loadConfig, uris: string[] = config.uris): Target {
  if (uris.length === 0) throw new UsageError('no URI given');
  let unixPath: string | undefined;
  let base: URL | undefined;
  if (config.baseUri !== undefined) {
    if (config.baseUri.startsWith('unix:')) {
      unixPath = config.baseUri.slice(5);
      if (unixPath === '') throw new UsageError('-B: unix: needs a path');
    } else {
      base = parseUri(config.baseUri);
    }
  }
  const paths: string[] = [];
  let first: URL | undefined;
  for (const text of uris) {
    if (text.startsWith('/') || (first === undefined && base !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(text))) {
      const b = base ?? first;
      if (!b) throw new UsageError(`invalid URI: ${text} (the first URI needs a scheme and host)`);
      // A path is a path, '//x' too (as h2load's URI parser reads it), never an authority.
      let u: URL;
      try {
        u = text.startsWith('/') ? new URL(`http://h${text}`) : new URL(text, b);
      } catch {
        throw new UsageError(`invalid URI: ${text}`);
      }
      // `new URL` drops leading control characters, so '\x01x:/y' came out absolute (scheme x:).
      if (!text.startsWith('/') && u.origin !== b.origin) throw new UsageError(`invalid URI: ${text}`);
      paths.push(u.pathname + u.search);
      continue;
    }
    const u = parseUri(text);
    if (!first) first = u;
    paths.push((u.pathname || '/') + u.search);
  }
  const src = base ?? first!;
  const scheme = src.protocol === 'https:' ? 'https' : 'http';
  const host = src.hostname.replace(/^\[|\]$/g, '');
  const port = src.port ? Number(src.port) : scheme === 'https' ? 443 : 80;
  return {
    scheme,
    host,
    port,
    authority: src.host,
    connectHost: config.connectTo?.host ?? host,
    connectPort: config.connectTo?.port ?? port,
    unixPath,
    paths,
  };
}

/** URIs from an -i file's text: one per line, blank lines skipped. */
export function urisFromText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
