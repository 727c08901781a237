/**
 * nghttpx's command line and config file -> NghttpxOptions: getopt-style flags (`-fVALUE`,
 * `-f VALUE`, `--name=VALUE`, `--name VALUE`), `--conf` name=value files, `-f`/`-b` parsing.
 */
import * as fs from 'fs';
import { UsageError } from '../common/units';
import { parsePattern, RoutePattern } from './routing';
import { packageVersion } from '../common/version';

export { UsageError };

/** Version printed by `-v`. */
/** This package's version (package.json), shown as nghttpx's. */
export const NGHTTPX_VERSION = packageVersion();

/** One `-f` frontend. */
export interface FrontendAddress {
  /** Host to bind ('*' = all interfaces) or undefined for a UNIX socket. */
  host?: string;
  port?: number;
  /** UNIX domain socket path (`unix:PATH`). */
  unixPath?: string;
  /** `no-tls` given: cleartext h2c / HTTP/1.1. */
  noTls: boolean;
}

/** One `-b` backend address with its patterns and parameters. */
export interface BackendAddress {
  host?: string;
  port?: number;
  unixPath?: string;
  patterns: RoutePattern[];
  proto: 'h2' | 'http/1.1';
  tls: boolean;
  /** `sni=` (TLS backends). */
  sni?: string;
}

/** `--backend-http-proxy-uri=http://[USER:PASS@]HOST:PORT`: the proxy h2 backend connections are tunnelled through. */
export interface ProxyUri {
  host: string;
  port: number;
  /** `user:pass` (percent-decoded), for Proxy-Authorization: Basic. */
  userinfo?: string;
}

/** Log levels, most verbose first. */
export const LOG_LEVELS = ['INFO', 'NOTICE', 'WARN', 'ERROR', 'FATAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything nghttpx does, as parsed from the command line and `--conf`. */
export interface NghttpxOptions {
  frontends: FrontendAddress[];
  backends: BackendAddress[];
  privateKeyFile?: string;
  certificateFile?: string;
  http2Proxy: boolean;
  noVia: boolean;
  serverName: string;
  noServerRewrite: boolean;
  addXForwardedFor: boolean;
  stripIncomingXForwardedFor: boolean;
  noAddXForwardedProto: boolean;
  noStripIncomingXForwardedProto: boolean;
  addRequestHeaders: [string, string][];
  addResponseHeaders: [string, string][];
  accesslogFile?: string;
  accesslogFormat: string;
  errorlogFile: string;
  logLevel: LogLevel;
  frontendFrameDebug: boolean;
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE we advertise to clients. */
  frontendWindowSize: number;
  /** Connection-level receive window for clients. */
  frontendConnectionWindowSize: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE we advertise to h2 backends (bounds what one response may buffer). */
  backendWindowSize: number;
  /** Connection-level receive window for h2 backends. */
  backendConnectionWindowSize: number;
  insecure: boolean;
  /** `--cacert`: CA certificates trusted for TLS backends. */
  cacert?: string;
  /** `--backend-http-proxy-uri`. */
  backendHttpProxy?: ProxyUri;
  /** `--request-header-field-buffer`: largest request header block (bytes). */
  requestHeaderFieldBuffer: number;
  /** `--max-request-header-fields`. */
  maxRequestHeaderFields: number;
  errorlogSyslog: boolean;
  accesslogSyslog: boolean;
  /** `--syslog-facility` name (daemon, local0...). */
  syslogFacility: string;
  /** `--backlog`. */
  backlog: number;
  /** The `--conf` path that was read, if any. */
  conf?: string;
}

/** What the command line asks for. */
export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; options: NghttpxOptions; warnings: string[] };

/** The default access log format (combined). */
export const DEFAULT_ACCESSLOG_FORMAT = '$remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

interface OptionSpec {
  long: string;
  short?: string;
  arg: boolean;
}

const SPECS: OptionSpec[] = [
  { long: 'frontend', short: 'f', arg: true },
  { long: 'backend', short: 'b', arg: true },
  { long: 'conf', arg: true },
  { long: 'http2-proxy', short: 's', arg: false },
  { long: 'no-via', arg: false },
  { long: 'server-name', arg: true },
  { long: 'no-server-rewrite', arg: false },
  { long: 'add-x-forwarded-for', arg: false },
  { long: 'strip-incoming-x-forwarded-for', arg: false },
  { long: 'no-add-x-forwarded-proto', arg: false },
  { long: 'no-strip-incoming-x-forwarded-proto', arg: false },
  { long: 'add-request-header', arg: true },
  { long: 'add-response-header', arg: true },
  { long: 'accesslog-file', arg: true },
  { long: 'accesslog-format', arg: true },
  { long: 'errorlog-file', arg: true },
  { long: 'log-level', short: 'L', arg: true },
  { long: 'frontend-frame-debug', short: 'o', arg: false },
  { long: 'frontend-http2-max-concurrent-streams', short: 'c', arg: true },
  { long: 'frontend-http2-window-size', arg: true },
  { long: 'frontend-http2-connection-window-size', arg: true },
  { long: 'backend-http2-window-size', arg: true },
  { long: 'backend-http2-connection-window-size', arg: true },
  { long: 'insecure', short: 'k', arg: false },
  { long: 'single-process', arg: false },
  { long: 'single-thread', arg: false },
  { long: 'workers', short: 'n', arg: true },
  { long: 'private-key-file', arg: true },
  { long: 'certificate-file', arg: true },
  { long: 'help', short: 'h', arg: false },
  { long: 'version', short: 'v', arg: false },
];
const BY_LONG = new Map(SPECS.map((s) => [s.long, s]));
const BY_SHORT = new Map(SPECS.filter((s) => s.short).map((s) => [s.short!, s]));

/** Split `HOST,PORT` or `unix:PATH`; `what` names the option in errors. */
function parseAddress(text: string, what: string, allowStar: boolean): { host?: string; port?: number; unixPath?: string } {
  if (text.startsWith('unix:')) {
    const p = text.slice(5);
    if (!p) throw new UsageError(`${what}: empty UNIX domain socket path`);
    return { unixPath: p };
  }
  const comma = text.lastIndexOf(',');
  if (comma <= 0) throw new UsageError(`${what}: Invalid host, port: ${text}`);
  let host = text.slice(0, comma);
  const portText = text.slice(comma + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`${what}: Port is invalid: ${portText}`);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '*' && !allowStar) throw new UsageError(`${what}: Invalid host, port: ${text}`);
  return { host, port: Number(portText) };
}

/**
 * `-f (HOST,PORT|unix:PATH)[;PARAM]...`. Port 0 (refused by nghttpx) picks a free port here, so
 * that scripts and tests need not guess one; the listen line says which.
 */
export function parseFrontend(text: string): FrontendAddress {
  const [addr, ...params] = text.split(';');
  const fe: FrontendAddress = { ...parseAddress(addr, 'frontend', true), noTls: false };
  for (const p of params) {
    if (p === '') continue;
    if (p === 'no-tls') fe.noTls = true;
    else if (['api', 'healthmon', 'sni-fwd', 'proxyproto', 'quic'].includes(p)) {
      throw new UsageError(`frontend: parameter ${p} is not supported by this nghttpx yet`);
    } else throw new UsageError(`frontend: unknown parameter ${p}`);
  }
  return fe;
}

const UNSUPPORTED_BACKEND_PARAMS = ['fall', 'rise', 'affinity', 'dns', 'redirect-if-not-tls', 'upgrade-scheme', 'mruby', 'read-timeout', 'write-timeout', 'group', 'group-weight', 'weight', 'dnf'];

/** `-b (HOST,PORT|unix:PATH)[;PATTERN[:PATTERN...]][;PARAM]...` */
export function parseBackend(text: string): BackendAddress {
  const [addr, patternText = '', ...params] = text.split(';');
  const be: BackendAddress = { ...parseAddress(addr, 'backend', false), patterns: [], proto: 'http/1.1', tls: false };
  const seen = new Set<string>();
  for (const p of patternText.split(':')) {
    const pat = parsePattern(p);
    if (!seen.has(pat.key)) be.patterns.push(pat);
    seen.add(pat.key);
  }
  for (const p of params) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? undefined : p.slice(eq + 1);
    if (key === 'proto') {
      if (value !== 'h2' && value !== 'http/1.1') throw new UsageError(`backend: proto: unknown protocol ${value ?? ''}`);
      be.proto = value;
    } else if (key === 'tls' && value === undefined) be.tls = true;
    else if (key === 'sni' && value) be.sni = value;
    else if (UNSUPPORTED_BACKEND_PARAMS.includes(key)) throw new UsageError(`backend: parameter ${key} is not supported by this nghttpx yet`);
    else throw new UsageError(`backend: unknown parameter ${p}`);
  }
  return be;
}

/** `NAME: VALUE` of --add-request-header / --add-response-header. */
export function parseHeaderOption(text: string, what: string): [string, string] {
  const colon = text.indexOf(':', 1);
  const name = colon < 0 ? '' : text.slice(0, colon).trim().toLowerCase();
  if (!name || !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) throw new UsageError(`${what}: invalid header field: ${text}`);
  return [name, text.slice(colon + 1).trim()];
}

function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${what}: bad value.  Specify an integer in ${min}..${max}.`);
  return Number(text);
}

function parseYes(value: string, what: string): boolean {
  if (value === 'yes') return true;
  throw new UsageError(`${what}: flags take 'yes' in a config file, got '${value}'`);
}

/** Tokenise argv getopt_long-style into [name, value] pairs and positionals. */
export function tokenize(argv: string[]): { opts: [string, string | undefined][]; positionals: string[] } {
  const opts: [string, string | undefined][] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = BY_LONG.get(name);
      if (!spec) throw new UsageError(`unrecognized option '--${name}'`);
      if (spec.arg) {
        if (eq >= 0) opts.push([name, a.slice(eq + 1)]);
        else if (i + 1 < argv.length) opts.push([name, argv[++i]]);
        else throw new UsageError(`option '--${name}' requires an argument`);
      } else {
        if (eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
        opts.push([name, undefined]);
      }
      continue;
    }
    if (a.length > 1 && a[0] === '-') {
      for (let j = 1; j < a.length; j++) {
        const spec = BY_SHORT.get(a[j]);
        if (!spec) throw new UsageError(`invalid option -- '${a[j]}'`);
        if (!spec.arg) {
          opts.push([spec.long, undefined]);
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest) opts.push([spec.long, rest]);
        else if (i + 1 < argv.length) opts.push([spec.long, argv[++i]]);
        else throw new UsageError(`option requires an argument -- '${a[j]}'`);
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  return { opts, positionals };
}

/** Read a `--conf` file: `name=value` lines, `#` comments, blank lines ignored. */
export function readConfFile(path: string): [string, string][] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`Could not read configuration file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: [string, string][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new UsageError(`${path}:${i + 1}: bad configuration line (expected name=value): ${t}`);
    const name = t.slice(0, eq).trim();
    const spec = BY_LONG.get(name);
    if (!spec || name === 'conf' || name === 'help' || name === 'version') throw new UsageError(`Unknown option: ${name}`);
    out.push([name, t.slice(eq + 1).trim()]);
  });
  return out;
}

/** Defaults: those of nghttpx (frontend `*,3000` over TLS, backend `127.0.0.1,80`). */
export function defaultOptions(): NghttpxOptions {
  return {
    frontends: [],
    backends: [],
    http2Proxy: false,
    noVia: false,
    serverName: 'nghttpx',
    noServerRewrite: false,
    addXForwardedFor: false,
    stripIncomingXForwardedFor: false,
    noAddXForwardedProto: false,
    noStripIncomingXForwardedProto: false,
    addRequestHeaders: [],
    addResponseHeaders: [],
    accesslogFormat: DEFAULT_ACCESSLOG_FORMAT,
    errorlogFile: '/dev/stderr',
    logLevel: 'NOTICE',
    frontendFrameDebug: false,
    maxConcurrentStreams: 100,
    frontendWindowSize: 65535,
    frontendConnectionWindowSize: 65535,
    backendWindowSize: 65535,
    backendConnectionWindowSize: 2 ** 31 - 1,
    insecure: false,
    requestHeaderFieldBuffer: 65536,
    maxRequestHeaderFields: 100,
    errorlogSyslog: false,
    accesslogSyslog: false,
    syslogFacility: 'daemon',
    backlog: 65536,
  };
}

/** Apply one option (from the command line, or a config line when `fromConf`). */
function apply(o: NghttpxOptions, name: string, value: string | undefined, fromConf: boolean, lists: Set<string>, warnings: string[]): void {
  const spec = BY_LONG.get(name)!;
  const flag = () => (fromConf ? parseYes(value ?? '', name) : true);
  // A list given on the command line replaces the config file's.
  const list = <T>(arr: T[], key: string): T[] => {
    if (!fromConf && !lists.has(key)) {
      lists.add(key);
      arr.length = 0;
    }
    return arr;
  };
  const v = value ?? '';
  switch (name) {
    case 'frontend': list(o.frontends, name).push(parseFrontend(v)); break;
    case 'backend': list(o.backends, name).push(parseBackend(v)); break;
    case 'http2-proxy': if (flag()) throw new UsageError('http2-proxy: forward proxy mode (-s) is not supported by this nghttpx yet'); break;
    case 'no-via': o.noVia = flag(); break;
    case 'server-name': o.serverName = v; break;
    case 'no-server-rewrite': o.noServerRewrite = flag(); break;
    case 'add-x-forwarded-for': o.addXForwardedFor = flag(); break;
    case 'strip-incoming-x-forwarded-for': o.stripIncomingXForwardedFor = flag(); break;
    case 'no-add-x-forwarded-proto': o.noAddXForwardedProto = flag(); break;
    case 'no-strip-incoming-x-forwarded-proto': o.noStripIncomingXForwardedProto = flag(); break;
    case 'add-request-header': list(o.addRequestHeaders, name).push(parseHeaderOption(v, name)); break;
    case 'add-response-header': list(o.addResponseHeaders, name).push(parseHeaderOption(v, name)); break;
    case 'accesslog-file': o.accesslogFile = v; break;
    case 'accesslog-format': o.accesslogFormat = v; break;
    case 'errorlog-file': o.errorlogFile = v; break;
    case 'log-level': {
      const lv = v.toUpperCase();
      if (!(LOG_LEVELS as readonly string[]).includes(lv)) throw new UsageError(`log-level: Invalid severity level: ${v}`);
      o.logLevel = lv as LogLevel;
      break;
    }
    case 'frontend-frame-debug': o.frontendFrameDebug = flag(); break;
    case 'frontend-http2-max-concurrent-streams': o.maxConcurrentStreams = parseInteger(v, name, 1, 2 ** 31 - 1); break;
    case 'frontend-http2-window-size': o.frontendWindowSize = parseInteger(v, name, 0, 2 ** 31 - 1); break;
    case 'frontend-http2-connection-window-size': o.frontendConnectionWindowSize = parseInteger(v, name, 65535, 2 ** 31 - 1); break;
    case 'backend-http2-window-size': o.backendWindowSize = parseInteger(v, name, 0, 2 ** 31 - 1); break;
    case 'backend-http2-connection-window-size': o.backendConnectionWindowSize = parseInteger(v, name, 65535, 2 ** 31 - 1); break;
    case 'insecure': o.insecure = flag(); break;
    case 'single-process': case 'single-thread': flag(); break;
    case 'workers': {
      const n = parseInteger(v, name, 1, 65530);
      if (n > 1) warnings.push(`workers: ${n} requested; this nghttpx runs one event loop (requests are served the same)`);
      break;
    }
    case 'private-key-file': o.privateKeyFile = v; break;
    case 'certificate-file': o.certificateFile = v; break;
    default: throw new UsageError(`${spec.long}: not handled`);
  }
}

/** Parse argv (without node and script); reads `--conf` (nghttpx's default path only if it exists). */
export function parseArgs(argv: string[]): ParsedCommand {
  const { opts, positionals } = tokenize(argv);
  if (opts.some(([n]) => n === 'help')) return { kind: 'help' };
  if (opts.some(([n]) => n === 'version')) return { kind: 'version' };
  const o = defaultOptions();
  const warnings: string[] = [];
  const confs = opts.filter(([n]) => n === 'conf');
  const conf = confs.length ? confs[confs.length - 1][1]! : '/etc/nghttpx/nghttpx.conf';
  if (confs.length || fs.existsSync(conf)) {
    o.conf = conf;
    const none = new Set<string>();
    for (const [n, v] of readConfFile(conf)) apply(o, n, v, true, none, warnings);
  }
  const lists = new Set<string>();
  for (const [n, v] of opts) if (n !== 'conf') apply(o, n, v, false, lists, warnings);
  if (positionals.length === 2) [o.privateKeyFile, o.certificateFile] = positionals;
  else if (positionals.length !== 0) throw new UsageError(`expected <PRIVATE_KEY> <CERT> or nothing, got ${positionals.length} positional argument(s)`);
  if (o.frontends.length === 0) o.frontends.push(parseFrontend('*,3000'));
  if (o.backends.length === 0) o.backends.push(parseBackend('127.0.0.1,80'));
  if (!o.backends.some((b) => b.patterns.some((p) => p.key === '/'))) {
    throw new UsageError('backend: No catch-all backend address is configured');
  }
  const groups = new Map<string, BackendAddress>();
  for (const b of o.backends) {
    for (const p of b.patterns) {
      const first = groups.get(p.key);
      if (first && (first.proto !== b.proto || first.tls !== b.tls)) throw new UsageError(`backend: all backends in the same group must use the same protocol and TLS setting: ${p.key}`);
      if (!first) groups.set(p.key, b);
    }
  }
  if (o.frontends.some((f) => !f.noTls)) {
    if (!o.privateKeyFile || !o.certificateFile) throw new UsageError('TLS frontend needs <PRIVATE_KEY> and <CERT> (or no-tls in every -f)');
    for (const f of [o.privateKeyFile, o.certificateFile]) {
      if (!fs.existsSync(f)) throw new UsageError(`Could not read ${f}`);
    }
  }
  return { kind: 'run', options: o, warnings };
}
