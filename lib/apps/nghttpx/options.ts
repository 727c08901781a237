/**
 * nghttpx's command line and configuration files -> NghttpxOptions, driven by the option table:
 * getopt-style flags, `name=value` files (`--conf`, default /etc/nghttpx/nghttpx.conf when it
 * exists; `include=`; flags as yes/no; `#` comments), errors naming the file and line, the
 * deprecated mode flags mapped onto today's parameters.
 */
import fs = require('fs');
import { checkBackends } from './backend-rules';
import { UsageError } from '../common/units';
import { packageVersion } from '../common/version';
import { parseBackend, parseFrontend } from './addresses';
import { defaultOptions, NghttpxOptions } from './config';
import { ApplyContext, BY_LONG, CONF_ONLY, OptionDef, TABLE } from './option-table';

export { UsageError, defaultOptions };
export { parseBackend, parseFrontend, parseHeaderOption, parseProxyUri } from './addresses';
export { DEFAULT_ACCESSLOG_FORMAT, LOG_LEVELS } from './config';
export type { BackendAddress, FrontendAddress, LogLevel, NghttpxOptions, ProxyUri } from './config';

/** This package's version (package.json), shown as nghttpx's. */
export const NGHTTPX_VERSION = packageVersion();

/** The configuration file read when `--conf` is not given (only if it exists), as the reference. */
export const DEFAULT_CONF = '/etc/nghttpx/nghttpx.conf';

/** What the command line asks for. */
export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: NghttpxOptions; warnings: string[] };

/** Options of {@link parseArgs}. */
export interface ParseOptions {
  /** The default configuration file (tests point it elsewhere). Default {@link DEFAULT_CONF}. */
  defaultConf?: string;
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
  apply(def: OptionDef, value: string, fromCli: boolean): void {
    if (def.list && fromCli && !this.cliLists.has(def.long)) {
      this.cliLists.add(def.long);
      const key = (
        {
          frontend: 'frontends',
          backend: 'backends',
          'add-request-header': 'addRequestHeaders',
          'add-response-header': 'addResponseHeaders',
          altsvc: 'altsvcs',
          'http2-altsvc': 'http2Altsvcs',
          subcert: 'subcerts',
          'tls-ticket-key-file': 'tlsTicketKeyFiles',
        } as Record<string, keyof NghttpxOptions>
      )[def.long];
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
    if (!def.effective && set) {
      if (!def.unsupported) this.warn(`${def.long}: accepted but not yet effective`);
      else {
        const why = def.unsupported(value);
        if (why) this.warn(`${def.long}: accepted but has no effect here: ${why}`);
      }
    }
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
      // The reference ignores `conf=` in a file (with a warning); the kit's reader refuses it.
      const lines = text.split('\n').map((l, i) => {
        if (/^\s*conf\s*=/.test(l)) {
          this.warn(`${file}:${i + 1}: conf: ignored`);
          return '';
        }
        return l;
      });
      for (const occ of TABLE.readConfig(file, lines.join('\n'))) {
        try {
          this.apply(BY_LONG.get(occ.name)!, occ.value ?? '', false);
        } catch (e) {
          if (e instanceof UsageError) throw UsageError.at(e, occ.where);
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
  const args = TABLE.parse(argv);
  const opts = args.occurrences.map((occ) => [occ.name, occ.value ?? 'yes'] as [string, string]);
  const positionals = args.positionals;
  if (args.has('help')) return { kind: 'help' };
  if (args.has('version')) return { kind: 'version' };
  for (const [n] of opts)
    if (CONF_ONLY.has(n))
      throw new UsageError(`unrecognized option '--${n}' (config files only; on the command line give <PRIVATE_KEY> <CERT>)`);
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
  else if (positionals.length !== 0)
    throw new UsageError(`expected <PRIVATE_KEY> <CERT> or nothing, got ${positionals.length} positional argument(s)`);
  if (o.frontends.length === 0) o.frontends.push(parseFrontend('*,3000'));
  if (o.backends.length === 0) o.backends.push(parseBackend('127.0.0.1,80'));
  mapLegacyModes(o, ap.legacy);
  if (o.backendTlsSniField) for (const b of o.backends) b.sni = o.backendTlsSniField;
  checkBackends(o.backends);
  if (o.frontends.some((f) => !f.noTls)) {
    if (!o.privateKeyFile || !o.certificateFile)
      throw new UsageError('TLS frontend needs <PRIVATE_KEY> and <CERT> (or no-tls in every -f)');
    for (const f of [o.privateKeyFile, o.certificateFile]) {
      if (!fs.existsSync(f)) throw new UsageError(`Could not read ${f}`);
    }
  }
  return { kind: 'run', options: o, warnings: ap.warnings };
}
