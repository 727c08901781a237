/**
 * The one parser for header fields given on a command line or in a config file
 * (`-H 'name: value'`, `--trailer`, nghttpx's `--add-request-header`).
 */
import { UsageError } from './units';

/** What a header option accepts beyond `name: value`. */
export interface HeaderArgRules {
  /** A name starting with ':' (`-H ':method: PUT'`). Default true; trailers refuse them. */
  pseudo?: boolean;
  /** An empty value. Default false (nghttp and h2load refuse it: "value missing"). */
  emptyValue?: boolean;
}

/** RFC 9110 section 5.6.2: field-name = token; tchar (lower case, as HTTP/2 requires). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/**
 * `name: value` -> [lower-case name, trimmed value]. The name may start with ':' (a
 * pseudo-header) unless `rules.pseudo` is false; the first ':' after that ends the name.
 * Throws UsageError naming `option` (`-H`, `--trailer`, ...).
 */
export function parseHeaderArg(text: string, option = '-H', rules: HeaderArgRules = {}): [string, string] {
  const colon = text.indexOf(':', 1);
  if (colon < 0 || (text[0] === ':' && colon === 1)) throw new UsageError(`${option}: invalid header: ${text} (expected 'name: value')`);
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  const pseudo = name.startsWith(':');
  // RFC 9113 section 8.1: "Trailers MUST NOT include pseudo-header fields".
  if (pseudo && rules.pseudo === false) throw new UsageError(`${option}: pseudo-header fields are not allowed here: ${text}`);
  if (!TOKEN.test(pseudo ? name.slice(1) : name)) throw new UsageError(`${option}: '${name}' is not a valid field name`);
  if (value === '' && !rules.emptyValue) throw new UsageError(`${option}: invalid header - value missing (the value is empty): ${text}`);
  // RFC 9113 section 8.2.1: a field value must not contain NUL, CR or LF.
  if (/[\r\n\0]/.test(value)) throw new UsageError(`${option}: the value of '${name}' contains CR, LF or NUL`);
  return [name, value];
}

/** A trailer field: like -H, but a pseudo-header is refused (RFC 9113 section 8.1). */
export function parseTrailerArg(text: string, option = '--trailer'): [string, string] {
  return parseHeaderArg(text, option, { pseudo: false });
}
