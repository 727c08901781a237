/**
 * nghttpx's option table: every long option of the reference's `--help` (154), in its groups,
 * each parsing its value into the configuration record, plus the 2014-era flags kept for their
 * users with the reference's deprecation notices. The same table serves the command line and
 * the `name=value` lines of configuration files.
 */
import { OptionSpec, OptionTable } from '../common/argv';
import type { NghttpxOptions } from './config';
// The entries live in one module per group of the help (this file holds their shape and the table).
import { CONNECTION_OPTIONS } from './option-connections';
import { DEPRECATED_OPTIONS } from './option-deprecated';
import { HTTP_OPTIONS } from './option-http';
import { TLS_OPTIONS } from './option-tls';

/** What applying one option may need besides its value. */
export interface ApplyContext {
  /** A one-line warning (logged at start-up). */
  warn(msg: string): void;
  /** `include=PATH`: read that file now, at this point of the configuration. */
  include(path: string): void;
  /** Deprecated mode flags seen (`client`, `http2-bridge`...), mapped once everything is read. */
  legacy: Set<string>;
}

/** One option, as the CLI kit's table holds it (`arg`: the value's syntax; undefined for a flag). */
export interface OptionDef extends Omit<OptionSpec<ApplyTarget>, 'apply'> {
  /** The help's group (`Connections`, `Timeout`, ...). */
  group: string;
  /**
   * Whether its behaviour is built. An option that is not is still parsed into the record, and
   * setting it warns "accepted but not yet effective". Whoever builds one flips it here.
   */
  effective: boolean;
  /**
   * Not effective for good: the one-line warning saying why, for a value given (undefined: no
   * warning for that value, e.g. 0 meaning "leave it alone"). Replaces "not yet effective".
   */
  unsupported?: (value: string) => string | undefined;
  /** Repeatable: the command line's uses replace the configuration file's. */
  list?: boolean;
  /** Not in the reference's help: a deprecated flag; its notice is logged when used. */
  deprecated?: string;
  /** Parse `value` into the record (flags get `yes` from the command line). */
  apply(o: NghttpxOptions, value: string, ctx: ApplyContext): void;
}

/** What the kit's table applies an option to. */
export interface ApplyTarget {
  options: NghttpxOptions;
  ctx: ApplyContext;
}

/** Every option, in the reference's order and groups, then the deprecated ones. */
export const OPTIONS: OptionDef[] = [
  ...CONNECTION_OPTIONS,
  ...TLS_OPTIONS,
  ...HTTP_OPTIONS,
  ...DEPRECATED_OPTIONS,
  // Configuration files only: the positional <PRIVATE_KEY> and <CERT>.
  { long: 'private-key-file', arg: '<PATH>', group: 'Config', effective: true, apply: (o, v) => (o.privateKeyFile = v) },
  { long: 'certificate-file', arg: '<PATH>', group: 'Config', effective: true, apply: (o, v) => (o.certificateFile = v) },
];

/** Options by long name. */
export const BY_LONG = new Map(OPTIONS.map((d) => [d.long, d]));
/** Options that exist only in configuration files. */
export const CONF_ONLY = new Set(['private-key-file', 'certificate-file']);

/** The table in the CLI kit's form: its getopt reader and config reader parse nghttpx's argv and files. */
export const TABLE = new OptionTable<ApplyTarget>(
  OPTIONS.map((d) => ({
    ...d,
    repeatable: d.list,
    commandLineOnly: ['conf', 'help', 'version'].includes(d.long),
    apply: (t: ApplyTarget, value: string | undefined) => d.apply(t.options, value ?? 'yes', t.ctx),
  })),
);
