/**
 * The command-line reader every tool shares. A tool describes its options once, in an option
 * table (names as the reference spells them, `--no-*` names included); `OptionTable.parse` reads
 * argv the way getopt_long does and hands the normalised words to minimist, and
 * `OptionTable.readConfig` + `applyOption` read `name=value` configuration files with the same
 * table, so a flag and a config line go through one code path.
 *
 * getopt_long's rules, kept: short clusters (`-nv`, `-vvv`); a short option that takes a value
 * eats the rest of its word or the next word, even one starting with '-' (`-H'a: b'`, `-w16`,
 * `-m -1`); `--name=value` and `--name value`; unambiguous prefixes of long names (`--verb`);
 * `--` ends the options; options may follow positionals. Added: "did you mean" for a misspelt
 * long option, and error messages that name the option as the user typed it.
 */
import fs = require('fs');
import minimist from 'minimist';
import { parseDuration, parseIntInRange, parseSize, UsageError } from './units';

export { UsageError };

/** Where an option's value came from, handed to an option's `apply`. */
export interface OptionSource {
  /** The option as the user wrote it: `-c`, `--header-table-size`, or the long name in a config file. */
  label: string;
  /** `FILE:LINE` for a configuration-file line; undefined for the command line. */
  where?: string;
}

/**
 * One option of a tool. `T` is what `apply` writes into (a tool that reads values with the
 * `ParsedArgs` accessors instead leaves `apply` out).
 */
export interface OptionSpec<T = unknown> {
  /** The long name without dashes, as the reference spells it (`no-tls`, `header-table-size`). */
  long: string;
  /** The one-letter name, if any. */
  short?: string;
  /** The value's name in the help (`SIZE`, `DURATION`, `N`, `PATH`); absent for a flag. */
  arg?: string;
  /** One paragraph of help (the tool's help text may format it). */
  help?: string;
  /** Each occurrence adds a value (`-H`, `-p`); without it the last occurrence wins. */
  repeatable?: boolean;
  /** Not allowed in a configuration file (`conf`, `help`, `version`). */
  commandLineOnly?: boolean;
  /**
   * Apply one occurrence to `target`. `value` is undefined for a flag on the command line and
   * the raw text (`yes`, ...) for a flag in a config file (see `flagValue`). Throw UsageError;
   * `applyOption` prefixes the source.
   */
  apply?: (target: T, value: string | undefined, source: OptionSource) => void;
}

/** One option as found on the command line or in a config file, in order. */
export interface Occurrence {
  /** The long name (resolved from a short name or a prefix). */
  name: string;
  /** The value; undefined for a flag given on the command line. */
  value?: string;
  /** The option as written, and where (see OptionSource). */
  label: string;
  where?: string;
}

/** What `-x`/`--xyz` text means for the help-and-version check. */
const NO_ARG = undefined;

/** Levenshtein distance, for "did you mean". Small inputs only (option names). */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * A config-file flag's value (`yes` turns it on, `no` off, as nghttpx reads them); on the
 * command line a flag has no value and is on.
 */
export function flagValue(value: string | undefined, source: OptionSource): boolean {
  if (value === undefined) return true;
  const v = value.trim().toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw new UsageError(`${source.label}: a flag takes 'yes' or 'no' in a config file, got '${value}'`);
}

/** A tool's option table with its lookups, argv reader and config-file reader. */
export class OptionTable<T = unknown> {
  private readonly byLong = new Map<string, OptionSpec<T>>();
  private readonly byShort = new Map<string, OptionSpec<T>>();

  /**
   * @param specs the options, in the order the help lists them
   * @param settings `prefixes: false` turns off getopt_long's unambiguous-prefix matching
   */
  constructor(
    readonly specs: readonly OptionSpec<T>[],
    private readonly settings: { prefixes?: boolean } = {},
  ) {
    for (const s of specs) {
      if (this.byLong.has(s.long)) throw new Error(`option table: --${s.long} twice`);
      this.byLong.set(s.long, s);
      if (s.short !== undefined) {
        if (s.short.length !== 1 || this.byShort.has(s.short)) throw new Error(`option table: bad or repeated -${s.short}`);
        this.byShort.set(s.short, s);
      }
    }
  }

  /** The spec of a long name exactly as given, or undefined. */
  get(long: string): OptionSpec<T> | undefined {
    return this.byLong.get(long);
  }

  /** The spec of a one-letter name, or undefined. */
  getShort(short: string): OptionSpec<T> | undefined {
    return this.byShort.get(short);
  }

  /** The closest long name to a misspelt one, if any is close enough to be a likely typo. */
  suggest(name: string): string | undefined {
    // `--tls` for `--no-tls`, `--no-push` for `--push`: the negation is the likeliest slip.
    const flipped = name.startsWith('no-') ? name.slice(3) : `no-${name}`;
    if (this.byLong.has(flipped)) return flipped;
    const longer = this.specs.find((o) => name.length >= 3 && o.long.startsWith(name));
    if (longer) return longer.long;
    let best: string | undefined;
    let bestD = Infinity;
    for (const long of this.byLong.keys()) {
      const d = editDistance(name, long);
      if (d < bestD) {
        bestD = d;
        best = long;
      }
    }
    return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
  }

  private unknownLong(name: string, prefix: string): UsageError {
    const near = this.suggest(name);
    return new UsageError(`${prefix}unrecognized option '--${name}'${near ? `; did you mean '--${near}'?` : ''}`);
  }

  /**
   * Resolve a long name from the command line: exact, else an unambiguous prefix (unless the
   * table turned prefixes off), else a UsageError with a suggestion.
   */
  lookupLong(name: string): OptionSpec<T> {
    const exact = this.byLong.get(name);
    if (exact) return exact;
    if (this.settings.prefixes !== false && name !== '') {
      const candidates = this.specs.filter((o) => o.long.startsWith(name));
      if (candidates.length === 1) return candidates[0];
      if (candidates.length > 1) {
        throw new UsageError(`option '--${name}' is ambiguous; possibilities: ${candidates.map((c) => '--' + c.long).join(' ')}`);
      }
    }
    throw this.unknownLong(name, '');
  }

  /** Read argv (without `node` and the script) into occurrences and positionals. */
  parse(argv: readonly string[]): ParsedArgs {
    const occurrences: Occurrence[] = [];
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
        const spec = this.lookupLong(name);
        const label = `--${spec.long}`;
        if (spec.arg !== NO_ARG) {
          let value: string;
          if (eq >= 0) value = a.slice(eq + 1);
          else if (i + 1 < argv.length) value = argv[++i];
          else throw new UsageError(`option '${label}' requires an argument`);
          occurrences.push({ name: spec.long, value, label });
        } else {
          if (eq >= 0) throw new UsageError(`option '${label}' doesn't allow an argument`);
          occurrences.push({ name: spec.long, label });
        }
        continue;
      }
      if (a.length > 1 && a[0] === '-') {
        for (let j = 1; j < a.length; j++) {
          const spec = this.byShort.get(a[j]);
          if (!spec) throw new UsageError(`invalid option -- '${a[j]}'`);
          const label = `-${a[j]}`;
          if (spec.arg === NO_ARG) {
            occurrences.push({ name: spec.long, label });
            continue;
          }
          let value = a.slice(j + 1);
          if (value === '') {
            if (i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${a[j]}'`);
            value = argv[++i];
          }
          occurrences.push({ name: spec.long, value, label });
          break;
        }
        continue;
      }
      positionals.push(a);
    }
    return new ParsedArgs(this, occurrences, positionals);
  }

  /**
   * Read a configuration file of `name=value` lines (`#` comments and blank lines skipped;
   * spaces around the name and value trimmed). Names must be exact long names. Errors say
   * `FILE:LINE: ...`. `text` may be given instead of reading the file.
   */
  readConfig(file: string, text?: string): Occurrence[] {
    if (text === undefined) text = readTextFile(file, 'configuration file');
    const out: Occurrence[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      const where = `${file}:${i + 1}`;
      const t = line.trim();
      if (!t || t.startsWith('#')) return;
      const eq = t.indexOf('=');
      if (eq <= 0) throw new UsageError(`bad configuration line (expected name=value): ${t}`, where);
      const name = t.slice(0, eq).trim();
      const spec = this.byLong.get(name);
      if (!spec || spec.commandLineOnly) {
        const near = this.suggest(name);
        throw new UsageError(
          `unknown option '${name}'${near && !this.byLong.get(near)?.commandLineOnly ? `; did you mean '${near}'?` : ''}`,
          where,
        );
      }
      out.push({ name, value: t.slice(eq + 1).trim(), label: name, where });
    });
    return out;
  }
}

/**
 * Apply one occurrence (from `parse` or `readConfig`) through its spec's `apply`. A UsageError
 * from a config line comes back prefixed with `FILE:LINE: `, so the user sees where it came from.
 */
export function applyOption<T>(table: OptionTable<T>, target: T, occ: Occurrence): void {
  const spec = table.get(occ.name);
  if (!spec) throw new UsageError(`unknown option '${occ.name}'`, occ.where);
  if (!spec.apply) throw new Error(`option table: --${spec.long} has no apply`);
  try {
    spec.apply(target, occ.value, { label: occ.label, where: occ.where });
  } catch (e) {
    if (e instanceof UsageError) throw UsageError.at(e, occ.where);
    throw e;
  }
}

/**
 * Apply one long option by name and value (nghttpx's `--conf` lines, an API's option list).
 * `where` (e.g. `nghttpx.conf:12`) prefixes any error; the name must be exact.
 */
export function applyNamedOption<T>(table: OptionTable<T>, target: T, name: string, value: string | undefined, where?: string): void {
  if (!table.get(name)) {
    const near = table.suggest(name);
    throw new UsageError(`unknown option '${name}'${near ? `; did you mean '${near}'?` : ''}`, where);
  }
  applyOption(table, target, { name, value, label: where ? name : `--${name}`, where });
}

/** Read a text file named on the command line, with an error that says which file and why. */
export function readTextFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new UsageError(`${what} '${file}' is a directory`);
    if (code === 'ENOENT') throw new UsageError(`${what} '${file}' does not exist`);
    throw new UsageError(`could not read ${what} '${file}': ${code ?? (e as Error).message}`);
  }
}

/**
 * The options found in one argv, in order, and typed accessors. The values are also collected
 * by minimist (`values`: last value or array per long name, positionals in `_`).
 */
export class ParsedArgs {
  /**
   * minimist's record of the normalised words: `values['header-table-size']` (a string, or an
   * array when repeated), flags as booleans, positionals in `values._`. Typed here, not as
   * minimist's own type, so the published typings need no @types/minimist.
   */
  readonly values: { readonly [name: string]: unknown; readonly _: string[] };

  constructor(
    private readonly table: Pick<OptionTable<never>, 'specs' | 'get'>,
    readonly occurrences: readonly Occurrence[],
    readonly positionals: readonly string[],
  ) {
    const valued = table.specs.filter((s) => s.arg !== NO_ARG).map((s) => s.long);
    const flags = table.specs.filter((s) => s.arg === NO_ARG).map((s) => s.long);
    // Every word is `--long=value` (flags `--long=true`), so minimist cannot misread a value that
    // starts with '-', nor split `--no-tls` into `tls=false`: the `=` form is matched first.
    const words = occurrences.map((o) => `--${o.name}=${o.value ?? 'true'}`);
    const parsed = minimist([...words, '--', ...positionals], { string: valued, boolean: flags, '--': true });
    this.values = { ...parsed, _: [...(parsed['--'] ?? []), ...parsed._.map(String)] };
  }

  /** Whether the option was given at least once. */
  has(name: string): boolean {
    return this.occurrences.some((o) => o.name === name);
  }

  /** How many times it was given (`-vvv` is 3). */
  count(name: string): number {
    let n = 0;
    for (const o of this.occurrences) if (o.name === name) n++;
    return n;
  }

  /** Every value given, in order. */
  all(name: string): string[] {
    this.known(name);
    return this.occurrences.filter((o) => o.name === name && o.value !== undefined).map((o) => o.value as string);
  }

  /** The last value given, or undefined. */
  last(name: string): string | undefined {
    const v = this.values[name];
    if (v === undefined) return undefined;
    return String(Array.isArray(v) ? v[v.length - 1] : v);
  }

  /** The option as the user last wrote it (`-c` or `--header-table-size`), for messages. */
  label(name: string): string {
    for (let i = this.occurrences.length - 1; i >= 0; i--) if (this.occurrences[i].name === name) return this.occurrences[i].label;
    const spec = this.table.get(name);
    return spec?.short ? `-${spec.short}` : `--${name}`;
  }

  /** Each occurrence's value with its label, in order (for repeatable options with messages). */
  each(name: string): { value: string; label: string }[] {
    return this.occurrences
      .filter((o) => o.name === name && o.value !== undefined)
      .map((o) => ({ value: o.value as string, label: o.label }));
  }

  /** The last value as a SIZE (K/M/G units), within `max`; `dflt` when absent. */
  size(name: string, dflt: number, max?: number): number;
  size(name: string, dflt?: undefined, max?: number): number | undefined;
  size(name: string, dflt?: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.last(name);
    if (v === undefined) return dflt;
    return checkedSize(v, this.label(name), max);
  }

  /** The last value as a DURATION in milliseconds (h/m/s/ms units); `dflt` when absent. */
  duration(name: string, dflt: number): number;
  duration(name: string, dflt?: undefined): number | undefined;
  duration(name: string, dflt?: number): number | undefined {
    const v = this.last(name);
    return v === undefined ? dflt : parseDuration(v, this.label(name));
  }

  /** The last value as an integer in [min, max]; `dflt` when absent. */
  int(name: string, min: number, max: number, dflt: number): number;
  int(name: string, min: number, max: number, dflt?: undefined): number | undefined;
  int(name: string, min: number, max: number, dflt?: number): number | undefined {
    const v = this.last(name);
    return v === undefined ? dflt : parseIntInRange(v, this.label(name), min, max);
  }

  private known(name: string): void {
    if (!this.table.get(name)) throw new Error(`option table has no --${name}`);
  }
}

/** A SIZE no larger than `max` (e.g. 2**32-1 for a SETTINGS value). */
export function checkedSize(text: string, label: string, max: number): number {
  const n = parseSize(text, label);
  if (n > max) throw new UsageError(`${label}: ${text} is too large (at most ${max})`);
  return n;
}

/** `--help`, `--version` or a run: checked before anything else so they win over bad values. */
export function helpOrVersion(args: ParsedArgs): 'help' | 'version' | undefined {
  if (args.has('help')) return 'help';
  if (args.has('version')) return 'version';
  return undefined;
}
