/**
 * Checks on what the application asks a Session to send (RFC 9113 section 8.2): a malformed
 * field section is refused with ApiMisuseError before anything is queued.
 */
import { ApiMisuseError } from '../errors';
import type { HeaderField } from '../frame/types';
import { checkOutgoing, rememberFields, sameFields } from '../http/semantics';

/** What `checkFields` remembers of one kind of list (responses, or requests). */
export interface ListChecks {
  /** The names and values of the last list of this kind that passed, flat. */
  last: string[];
  /** Field names that passed, by position (see checkOutgoing's `names`), from the second list on. */
  names: string[];
  /** Field values that passed, by position (see checkOutgoing's `values`), from the second list on. */
  values: string[];
}

/**
 * What `checkFields` remembers: of response lists (a server answering with the same fields again)
 * and of request lists (a load generator sends the same one again and again). Each is made by the
 * first list of its kind (a client never sends a response, a server never a request: ~0.1 and
 * ~0.35 KB per connection).
 */
export interface ResponseCheckCache {
  response: ListChecks | null;
  request: ListChecks | null;
}

/** `names` and `values` before the second list (shared, never written: replaced first). */
const NOT_YET: string[] = [];

/** An empty {@link ResponseCheckCache}. */
export function newResponseCheckCache(): ResponseCheckCache {
  return { response: null, request: null };
}

/**
 * Refuse to send a malformed field section. A server answering with the same fields again
 * (nghttpd's cached 200 list), or a client repeating a request (h2load), checks them once:
 * `cache` remembers the last response list and the last request list. Returns true when `headers`
 * has the names and values of the list checked last (of its kind).
 */
export function checkFields(headers: HeaderField[], isRequest: boolean, what: string, cache: ResponseCheckCache): boolean {
  if (!Array.isArray(headers)) throw new ApiMisuseError(`${what}: headers must be an array of [name, value] pairs`);
  const checks = isRequest ? cache.request : cache.response;
  if (checks === null) {
    // The first list of its kind: checked field by field, kept (in an array of its length, see
    // rememberFields) for the next. The per-position memo of names and values (checkOutgoing's)
    // starts with the second: a client repeating one request never needs it.
    const err = checkOutgoing(headers, isRequest);
    if (err !== null) throw new ApiMisuseError(`${what}: ${err}`);
    const made: ListChecks = { last: rememberFields(headers, []), names: NOT_YET, values: NOT_YET };
    if (isRequest) cache.request = made;
    else cache.response = made;
    return false;
  }
  const last = checks.last;
  if (sameFields(headers, last)) return true;
  if (checks.names === NOT_YET) {
    checks.names = [];
    checks.values = [];
  }
  const err = checkOutgoing(headers, isRequest, checks.names, checks.values);
  if (err !== null) throw new ApiMisuseError(`${what}: ${err}`);
  // Strings compared by identity first: a list built anew with equal strings matches too.
  checks.last = rememberFields(headers, last);
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
