/** Parsers of nghttpx option values: each checks one value and says what was wrong in one line. */
import { parseSize, UsageError } from '../common/units';
import { LOG_LEVELS, LogLevel, NghttpxOptions } from './config';

/** A flag's value in a configuration file: `yes` (any case) enables it, anything else disables it. */
export function yes(v: string): boolean {
  return v.toLowerCase() === 'yes';
}

/** An integer option value in min..max. */
export function int(v: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`${what}: bad value.  Specify an integer in ${min}..${max}.`);
  return Number(v);
}

/** A flow-control window size in min..2^31-1. */
export function window(v: string, what: string, min: number): number {
  const n = parseSize(v, what);
  if (n < min || n > 2 ** 31 - 1) throw new UsageError(`${what}: must be in ${min}..2147483647, got ${v}`);
  return n;
}

/** One of a fixed set of values, case-insensitive; returned as spelt in the set. */
export function oneOf<T extends string>(v: string, what: string, values: T[]): T {
  const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
  if (!hit) throw new UsageError(`${what}: unknown value ${v} (one of ${values.join(', ')})`);
  return hit;
}

/** A log severity (FATAL, ERROR, WARN, INFO, NOTICE). */
export function logLevel(v: string): LogLevel {
  const lv = v.toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(lv)) throw new UsageError(`log-level: Invalid severity level: ${v}`);
  return lv as LogLevel;
}

/** A TLS protocol version name. */
export function tlsVersion(v: string, what: string): string {
  return oneOf(v, what, ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1.0']);
}

/** `PROTOID,PORT[,HOST,[ORIGIN[,PARAMS]]]`: checked, kept as written. */
export function altsvc(v: string, what: string): string {
  const parts = v.split(',');
  if (parts.length < 2 || !parts[0] || !/^\d{1,5}$/.test(parts[1]) || Number(parts[1]) > 65535)
    throw new UsageError(`${what}: bad value ${v} (PROTOID,PORT[,HOST,[ORIGIN[,PARAMS]]])`);
  return v;
}

/** `--error-page=(<CODE>|*)=<PATH>` into the record. */
export function errorPage(o: NghttpxOptions, v: string): void {
  const eq = v.indexOf('=');
  const code = v.slice(0, eq);
  const path = v.slice(eq + 1);
  if (eq <= 0 || !path) throw new UsageError(`error-page: bad value ${v} ((<CODE>|*)=<PATH>)`);
  if (code === '*') o.errorPages.set('*', path);
  else o.errorPages.set(int(code, 'error-page', 400, 599), path);
}

/** `--add-forwarded`: the list of Forwarded parameters to add. */
export function forwardedParams(v: string): string[] {
  const out = v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const p of out) if (!['by', 'for', 'host', 'proto'].includes(p)) throw new UsageError(`add-forwarded: unknown parameter ${p}`);
  return out;
}

/** `--forwarded-by`/`--forwarded-for`: obfuscated, ip, or (by) a static `_name`. */
export function forwardedNode(v: string, what: string, allowStatic: boolean): string {
  if (v === 'obfuscated' || v === 'ip') return v;
  // RFC 7239 section 6.3: an obfuscated identifier starts with "_" and is [A-Za-z0-9._-].
  if (allowStatic && /^_[A-Za-z0-9._-]+$/.test(v)) return v;
  throw new UsageError(`${what}: bad value ${v}`);
}
