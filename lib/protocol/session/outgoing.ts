/**
 * Checks on what the application asks a Session to send (RFC 9113 section 8.2): a malformed
 * field section is refused with ApiMisuseError before anything is queued.
 */
import { ApiMisuseError } from '../errors';
import type { HeaderField } from '../frame/types';
import { checkOutgoing, rememberFields, sameFields } from '../http/semantics';

/** The names and values of the last response (and request) header list that passed `checkFields`. */
export interface ResponseCheckCache {
  last: string[] | null;
  /** The last request list (a load generator sends the same one again and again). */
  lastRequest?: string[] | null;
  /** Response field names that passed, by position (see checkOutgoing's `names`). */
  names?: string[];
  /** Request field names that passed, by position. */
  requestNames?: string[];
  /** Response field values that passed, by position (see checkOutgoing's `values`). */
  values?: string[];
  /** Request field values that passed, by position. */
  requestValues?: string[];
}

/**
 * Refuse to send a malformed field section. A server answering with the same fields again
 * (nghttpd's cached 200 list), or a client repeating a request (h2load), checks them once:
 * `cache` remembers the last response list and the last request list. Returns true when `headers`
 * has the names and values of the list checked last (of its kind).
 */
export function checkFields(headers: HeaderField[], isRequest: boolean, what: string, cache: ResponseCheckCache): boolean {
  if (!Array.isArray(headers)) throw new ApiMisuseError(`${what}: headers must be an array of [name, value] pairs`);
  const last = isRequest ? (cache.lastRequest ?? null) : cache.last;
  if (last !== null && sameFields(headers, last)) return true;
  const err = isRequest
    ? checkOutgoing(headers, true, cache.requestNames, cache.requestValues)
    : checkOutgoing(headers, false, cache.names, cache.values);
  if (err !== null) throw new ApiMisuseError(`${what}: ${err}`);
  // Strings compared by identity first: a list built anew with equal strings matches too.
  const copy: string[] = last ?? [];
  if (isRequest) cache.lastRequest = copy;
  else cache.last = copy;
  rememberFields(headers, copy);
  return false;
}

/** RFC 9113 section 8.3: "Pseudo-header fields MUST NOT appear in a trailer section." */
export function checkTrailers(headers: HeaderField[]): void {
  for (let i = 0; i < headers.length; i++)
    if (headers[i][0].charCodeAt(0) === 0x3a) throw new ApiMisuseError(`sendTrailers: pseudo-header ${headers[i][0]} in trailers`);
}

/** Whether a response header list is informational (its `:status` is 1xx). */
export function isInformational(headers: HeaderField[]): boolean {
  for (let i = 0; i < headers.length; i++) {
    if (headers[i][0] === ':status') return headers[i][1].charCodeAt(0) === 0x31; // '1xx'
  }
  return false;
}
