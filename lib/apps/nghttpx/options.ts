/**
 * nghttpx's command line and configuration files -> NghttpxOptions, driven by the option table:
 * getopt-style flags, `name=value` files (`--conf`, default /etc/nghttpx/nghttpx.conf when it
 * exists; `include=`; flags as yes/no; `#` comments), errors naming the file and line, the
 * deprecated mode flags mapped onto today's parameters.
 */
import * as fs from 'fs';
import { UsageError } from '../common/units';
import { packageVersion } from '../common/version';
import { parseBackend, parseFrontend } from './addresses';
import { BackendAddress, defaultOptions, NghttpxOptions } from './config';
import { ApplyContext, BY_LONG, BY_SHORT, CONF_ONLY, OptionDef } from './option-table';

export { UsageError, defaultOptions };
export { parseBackend, parseFrontend, parseHeaderOption, parseProxyUri } from './addresses';
export { DEFAULT_ACCESSLOG_FORMAT, LOG_LEVELS } from './config';
export type { BackendAddress, FrontendAddress, LogLevel, NghttpxOptions, ProxyUri } from './config';

/** This package's version (package.json), shown as nghttpx's. */
export const NGHTTPX_VERSION = packageVersion();

/** The configuration file read when `--conf` is not given (only if it exists), as the reference. */
export const DEFAULT_CONF = '/etc/nghttpx/nghttpx.conf';

/** What the command line asks for. */
export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; options: NghttpxOptions; warnings: string[] };

/** Options of {@link parseArgs}. */
export interface ParseOptions {
  /** The default configuration file (tests point it elsewhere). Default {@link DEFAULT_CONF}. */
  defaultConf?: string;
}

/** Tokenise argv getopt_long-style into [name, value] pairs (flags get `yes`) and positionals. */
export function tokenize(argv: string[]): { opts: [string, string][]; positionals: string[] } {
  const opts: [string, string][] = [];
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
      const def = BY_LONG.get(name);
      if (!def || CONF_ONLY.has(name)) throw new UsageError(`unrecognized option '--${name}'${suggest(name)}`);
      if (def.arg !== undefined) {
        if (eq >= 0) opts.push([name, a.slice(eq + 1)]);
        else if (i + 1 < argv.length) opts.push([name, argv[++i]]);
        else throw new UsageError(`option '--${name}' requires an argument`);
      } else {
        if (eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
        opts.push([name, 'yes']);
      }
      continue;
    }
    if (a.length > 1 && a[0] === '-') {
      for (let j = 1; j < a.length; j++) {
        const def = BY_SHORT.get(a[j]);
        if (!def) throw new UsageError(`invalid option -- '${a[j]}'`);
        if (def.arg === undefined) {
          opts.push([def.long, 'yes']);
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest) opts.push([def.long, rest]);
        else if (i + 1 < argv.length) opts.push([def.long, argv[++i]]);
        else throw new UsageError(`option requires an argument -- '${a[j]}'`);
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  return { opts, positionals };
}

/** " (did you mean --x?)" for a misspelt long option, when one is close. */
function suggest(name: string): string {
  let best: string | undefined;
  let bestD = 3;
  for (const long of BY_LONG.keys()) {
    const d = distance(name, long);
    if (d < bestD) {
      bestD = d;
      best = long;
    }
  }
  return best ? ` (did you mean '--${best}'?)` : '';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** Collects what applying options reports, and remembers which were set. */
class Applier {
  readonly warnings: string[] = [];
  readonly legacy = new Set<string>();
  private readonly warned = new Set<string>();
  /** Lists the command line has started (they replace the files' lists). */
  private readonly cliLists = new Set<string>();
  private readonly including: string[] = [];

  constructor(private readonly o: NghttpxOptions) {}

  warn(msg: string): void {
    if (this.warned.has(msg)) return;
    this.warned.add(msg);
    this.warnings.push(msg);
  }

  /** Apply one option; `fromCli` decides list replacement. Errors are UsageErrors. */
  apply(def: OptionDef, value: string, fromCli: boolean, where?: string): void {
    if (def.list && fromCli && !this.cliLists.has(def.long)) {
      this.cliLists.add(def.long);
      const key = ({ frontend: 'frontends', backend: 'backends', 'add-request-header': 'addRequestHeaders', 'add-response-header': 'addResponseHeaders', altsvc: 'altsvcs', 'http2-altsvc': 'http2Altsvcs', subcert: 'subcerts', 'tls-ticket-key-file': 'tlsTicketKeyFiles' } as Record<string, keyof NghttpxOptions>)[def.long];
      if (key) (this.o[key] as unknown[]).length = 0;
      if (def.long === 'error-page') this.o.errorPages.clear();
    }
    const ctx: ApplyContext = {
      warn: (m) => this.warn(m),
      include: (p) => this.readFile(p),
      legacy: this.legacy,
    };
    def.apply(this.o, value, ctx);
    if (def.deprecated) this.warn(def.deprecated);
    const set = def.arg !== undefined || value.toLowerCase() === 'yes';
    if (!def.effective && set) this.warn(`${def.long}: accepted but not yet effective`);
  }

  /** Read one configuration file (`--conf` or `include=`); errors name the file and line. */
  readFile(file: string): void {
    const real = (() => {
      try {
        return fs.realpathSync(file);
      } catch {
        return file;
      }
    })();
    if (this.including.includes(real)) throw new UsageError(`include: ${file} includes itself (${[...this.including, real].join(' -> ')})`);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`Could not open config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    this.including.push(real);
    try {
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i].replace(/\r$/, '');
        const at = `${file}:${i + 1}`;
        if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
        const eq = line.indexOf('=');
        if (eq <= 0) throw new UsageError(`${at}: bad configuration line (expected name=value): ${line.trim()}`);
        const name = line.slice(0, eq).trim();
        const value = line.slice(eq + 1);
        if (name === 'conf') {
          this.warn(`${at}: conf: ignored`);
          continue;
        }
        const def = BY_LONG.get(name);
        if (!def || name === 'help' || name === 'version') throw new UsageError(`${at}: Unknown option: ${name}${suggest(name)}`);
        try {
          this.apply(def, value, false, at);
        } catch (e) {
          if (e instanceof UsageError && !/^\S+:\d+: /.test(e.message)) throw new UsageError(`${at}: ${e.message}`);
          throw e;
        }
      }
    } finally {
      this.including.pop();
    }
  }
}

/**
 * The 2014 modes, onto today's parameters: `--client` = cleartext frontends and h2-over-TLS
 * backends; `--http2-bridge` = h2-over-TLS backends; `--client-proxy` = `--client` plus
 * `--http2-proxy`; `--frontend-no-tls` = `no-tls` on every frontend; `--backend-no-tls` /
 * `--backend-tls` = TLS off / on for every backend.
 */
function mapLegacyModes(o: NghttpxOptions, legacy: Set<string>): void {
  const client = legacy.has('client') || legacy.has('client-proxy');
  if (legacy.has('client-proxy')) o.http2Proxy = true;
  if (client || legacy.has('frontend-no-tls')) for (const f of o.frontends) f.noTls = true;
  if (client || legacy.has('http2-bridge')) {
    for (const b of o.backends) {
      b.proto = 'h2';
      b.tls = true;
    }
  }
  if (legacy.has('backend-tls')) for (const b of o.backends) b.tls = true;
  if (legacy.has('backend-no-tls')) for (const b of o.backends) b.tls = false;
}

/** Parse argv (without node and script); reads `--conf` (the default file only if it exists). */
export function parseArgs(argv: string[], popts: ParseOptions = {}): ParsedCommand {
  const { opts, positionals } = tokenize(argv);
  if (opts.some(([n]) => n === 'help')) return { kind: 'help' };
  if (opts.some(([n]) => n === 'version')) return { kind: 'version' };
  const o = defaultOptions();
  const ap = new Applier(o);
  const confs = opts.filter(([n]) => n === 'conf');
  const conf = confs.length ? confs[confs.length - 1][1] : (popts.defaultConf ?? DEFAULT_CONF);
  if (confs.length || fs.existsSync(conf)) {
    o.conf = conf;
    ap.readFile(conf);
  }
  for (const [n, v] of opts) if (n !== 'conf') ap.apply(BY_LONG.get(n)!, v, true);
  if (positionals.length === 2) [o.privateKeyFile, o.certificateFile] = positionals;
  else if (positionals.length !== 0) throw new UsageError(`expected <PRIVATE_KEY> <CERT> or nothing, got ${positionals.length} positional argument(s)`);
  if (o.frontends.length === 0) o.frontends.push(parseFrontend('*,3000'));
  if (o.backends.length === 0) o.backends.push(parseBackend('127.0.0.1,80'));
  mapLegacyModes(o, ap.legacy);
  if (o.backendTlsSniField) for (const b of o.backends) b.sni = o.backendTlsSniField;
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
  return { kind: 'run', options: o, warnings: ap.warnings };
}
