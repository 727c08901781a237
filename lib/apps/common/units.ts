/**
 * The argument syntaxes nghttp2's tools share: SIZE (integer with an optional K, M or G
 * suffix, times 1024) and DURATION (integer or decimal with an optional h, m, s or ms suffix;
 * no unit means seconds).
 */

/** A command-line value that does not parse; the message says what was expected. */
export class UsageError extends Error {
  /** Where the bad text was (`FILE:LINE` of a configuration line), if in a file; the message starts with it. */
  readonly where?: string;
  constructor(message: string, where?: string) {
    super(where === undefined ? message : `${where}: ${message}`);
    this.name = 'UsageError';
    this.where = where;
  }

  /** `err` placed at `where`, unless it names a place already (an error inside an included file keeps its own). */
  static at(err: UsageError, where: string | undefined): UsageError {
    return where === undefined || err.where !== undefined ? err : new UsageError(err.message, where);
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parse a SIZE such as `4096`, `16K`, `1m`. Throws UsageError naming the option. */
export function parseSize(text: string, option = 'SIZE'): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(String(text).trim());
  if (!m) throw new UsageError(`${option}: bad SIZE '${text}' (expected an integer with an optional K, M or G suffix)`);
  const n = Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()];
  if (!Number.isSafeInteger(n)) throw new UsageError(`${option}: SIZE '${text}' is too large`);
  return n;
}

const DURATION_UNITS: Record<string, number> = { '': 1000, s: 1000, ms: 1, m: 60_000, h: 3_600_000 };

/** Parse a DURATION such as `30`, `1.5s`, `500ms`, `2m`, `1h` into milliseconds. */
export function parseDuration(text: string, option = 'DURATION'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|[smh]?)$/i.exec(String(text).trim());
  if (!m) throw new UsageError(`${option}: bad DURATION '${text}' (expected a number with an optional h, m, s or ms suffix)`);
  return Number(m[1]) * DURATION_UNITS[m[2].toLowerCase()];
}

/** Parse a whole number within [min, max]; throws UsageError naming the option. */
export function parseIntInRange(text: string, option: string, min: number, max: number): number {
  const s = String(text).trim();
  if (!/^-?\d+$/.test(s)) throw new UsageError(`${option}: '${text}' is not an integer`);
  const n = Number(s);
  if (n < min || n > max) throw new UsageError(`${option}: ${n} is out of range (${min}..${max})`);
  return n;
}
