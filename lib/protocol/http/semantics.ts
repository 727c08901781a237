/**
 * HTTP semantics over HTTP/2 (RFC 9113 section 8): what makes a request, response or trailer
 * section malformed. Each check returns an error message (the caller resets the stream with
 * PROTOCOL_ERROR, RFC 9113 section 8.1.1) or null. One pass over the header list, no allocation.
 */
import type { HeaderField } from '../frame/types';

/** What validation learned about a message (reused scratch object). */
export interface MessageInfo {
  /** content-length, or -1 when absent. */
  contentLength: number;
  /** :method of a request ('' for responses). */
  method: string;
  /** :status of a response (0 for requests). */
  status: number;
  /** The RFC 9218 `priority` field of a request, if present. */
  priority: string | null;
  /**
   * Request fields that passed the per-field checks (name and value octets, connection-specific
   * names, `te`), by position: name at 2i, value at 2i+1. A client sends much the same header
   * list on every request (HPACK hands back the same strings from its table), so a field equal
   * to the one at its position last time skips the octet scans. Absent: every field is scanned.
   */
  checkedFields?: string[] | null;
  /**
   * The last request list found valid and its verdict: a client repeating its request (a load
   * generator; HPACK hands back the same strings) gets the verdict again after one compare per
   * string (a pointer compare for the same string) instead of the per-field checks. Absent: no
   * list is remembered; null: none yet (made by the first valid list: a client's session, which
   * validates requests only for pushes, never needs one).
   */
  lastRequest?: RequestVerdict | null;
}

/** A valid request list's names and values (name at 2i, value at 2i+1) and what validation learned from it. */
export interface RequestVerdict {
  fields: string[];
  connectProtocol: boolean;
  contentLength: number;
  method: string;
  priority: string | null;
}

/** Fields remembered in `checkedFields` (the start of a request's list, where the usual fields are). */
const MEMO_FIELDS = 32;

/** A fresh MessageInfo. */
export function newMessageInfo(): MessageInfo {
  return {
    contentLength: -1,
    method: '',
    status: 0,
    priority: null,
    checkedFields: null,
    lastRequest: null,
  };
}

/**
 * RFC 9113 section 8.2.1: "A field name MUST NOT contain characters in the ranges 0x00-0x20,
 * 0x41-0x5a, or 0x7f-0xff (all ranges inclusive). This specifically excludes all non-visible
 * ASCII characters, ASCII SP (0x20), and uppercase characters ('A' to 'Z', ASCII 0x41 to 0x5a)."
 * "With the exception of pseudo-header fields (Section 8.3), which have a name that starts with a
 * single colon, field names MUST NOT include a colon (ASCII COLON, 0x3a)."
 */
function badName(name: string, from: number): boolean {
  const n = name.length;
  if (n === from) return true;
  for (let i = from; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7e || BAD_NAME_CHAR[c] === 1) return true;
  }
  return false;
}

/** 1 for the octets below 0x7f that a field name may not contain: 0x00-0x20, 'A'-'Z', ':'. */
const BAD_NAME_CHAR = (() => {
  const t = new Uint8Array(0x7f);
  for (let c = 0; c < 0x7f; c++) t[c] = c <= 0x20 || (c >= 0x41 && c <= 0x5a) || c === 0x3a ? 1 : 0;
  return t;
})();

/**
 * RFC 9113 section 8.2.1: "A field value MUST NOT contain the zero value (ASCII NUL, 0x00), line
 * feed (ASCII LF, 0x0a), or carriage return (ASCII CR, 0x0d) at any position." "A field value
 * MUST NOT start or end with an ASCII whitespace character (ASCII SP or HTAB, 0x20 or 0x09)."
 */
function badValue(v: string): boolean {
  const n = v.length;
  if (n === 0) return false;
  let c = v.charCodeAt(0);
  if (c === 0x20 || c === 0x09) return true;
  c = v.charCodeAt(n - 1);
  if (c === 0x20 || c === 0x09) return true;
  for (let i = 0; i < n; i++) {
    c = v.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return true;
  }
  return false;
}

/**
 * RFC 9113 section 8.2.2: "An endpoint MUST NOT generate an HTTP/2 message containing
 * connection-specific header fields. This includes the Connection header field and those listed
 * as having connection-specific semantics in Section 7.6.1 of [HTTP] (that is, Proxy-Connection,
 * Keep-Alive, Transfer-Encoding, and Upgrade). Any message containing connection-specific header
 * fields MUST be treated as malformed (Section 8.1.1)."
 */
function connectionSpecific(name: string): boolean {
  switch (name) {
    case 'connection':
    case 'proxy-connection':
    case 'keep-alive':
    case 'transfer-encoding':
    case 'upgrade':
      return true;
    default:
      return false;
  }
}

/** Parse a content-length value: digits only (RFC 9110 section 8.6); -2 when invalid. */
function parseContentLength(v: string): number {
  if (v.length === 0 || v.length > 15) return -2;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -2;
    n = n * 10 + c;
  }
  return n;
}

/** Checks shared by every regular field; returns an error or null. Updates content-length. */
function regularField(name: string, value: string, info: MessageInfo, isRequest: boolean): string | null {
  if (badName(name, 0)) return `invalid field name "${name}"`;
  if (badValue(value)) return `invalid value for "${name}"`;
  if (connectionSpecific(name)) return `connection-specific field "${name}"`;
  if (name === 'te') {
    // RFC 9113 section 8.2.2: "The only exception to this is the TE header field, which MAY be
    // present in an HTTP/2 request; when it is, it MUST NOT contain any value other than "trailers"."
    if (!isRequest || value !== 'trailers') return `te: "${value}" (only "trailers" is allowed in requests)`;
  } else if (name === 'content-length') {
    const n = parseContentLength(value);
    if (n === -2) return `invalid content-length "${value}"`;
    if (info.contentLength >= 0 && info.contentLength !== n) return 'conflicting content-length values';
    info.contentLength = n;
  } else if (name === 'priority' && isRequest) {
    info.priority = value;
  }
  return null;
}

/**
 * Validate a request header list (RFC 9113 sections 8.2, 8.3.1, 8.5; RFC 8441 section 4).
 * `connectProtocol`: we advertised SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (allows `:protocol`).
 */
export function validateRequest(headers: HeaderField[], connectProtocol: boolean, endStream: boolean, info: MessageInfo): string | null {
  const last = info.lastRequest;
  if (last === undefined) return checkRequest(headers, connectProtocol, endStream, info);
  // The same names and values as the last valid list: the same verdict (it depends on nothing else).
  if (last !== null && last.connectProtocol === connectProtocol && sameFields(headers, last.fields)) {
    info.contentLength = last.contentLength;
    info.method = last.method;
    info.status = 0;
    info.priority = last.priority;
    return null;
  }
  const err = checkRequest(headers, connectProtocol, endStream, info);
  if (err !== null) return err;
  if (last === null) {
    info.lastRequest = {
      fields: rememberFields(headers, []),
      connectProtocol,
      contentLength: info.contentLength,
      method: info.method,
      priority: info.priority,
    };
    return null;
  }
  last.fields = rememberFields(headers, last.fields);
  last.connectProtocol = connectProtocol;
  last.contentLength = info.contentLength;
  last.method = info.method;
  last.priority = info.priority;
  return null;
}

/** {@link validateRequest} without the remembered verdict. */
function checkRequest(headers: HeaderField[], connectProtocol: boolean, endStream: boolean, info: MessageInfo): string | null {
  info.contentLength = -1;
  info.method = '';
  info.status = 0;
  info.priority = null;
  let scheme: string | null = null;
  let path: string | null = null;
  let authority: string | null = null;
  let protocol: string | null = null;
  let method: string | null = null;
  let regular = false;
  // Made by the first request checked (null till then: a client's session checks none but pushes).
  let checked = info.checkedFields;
  if (checked === null) checked = info.checkedFields = [];
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i];
    const name = h[0];
    const value = h[1];
    // The same field at the same position passed the octet checks last time (=== on the same
    // string object is a pointer compare; HPACK returns its table's strings).
    const known = checked !== undefined && checked[2 * i] === name && checked[2 * i + 1] === value;
    if (name.charCodeAt(0) === 0x3a) {
      // RFC 9113 section 8.3: "All pseudo-header fields MUST appear in a field block before all
      // regular field lines. Any request or response that contains a pseudo-header field that
      // appears in a field block after a regular field line MUST be treated as malformed".
      if (regular) return `pseudo-header "${name}" after a regular field`;
      if (!known && badValue(value)) return `invalid value for "${name}"`;
      // "The same pseudo-header field name MUST NOT appear more than once in a field block."
      switch (name) {
        case ':method':
          if (method !== null) return 'duplicate :method';
          method = value;
          break;
        case ':scheme':
          if (scheme !== null) return 'duplicate :scheme';
          scheme = value;
          break;
        case ':path':
          if (path !== null) return 'duplicate :path';
          path = value;
          break;
        case ':authority':
          if (authority !== null) return 'duplicate :authority';
          authority = value;
          break;
        case ':protocol':
          // RFC 8441 section 4: ":protocol" is only defined where SETTINGS_ENABLE_CONNECT_PROTOCOL was sent.
          if (!connectProtocol) return ':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL';
          if (protocol !== null) return 'duplicate :protocol';
          protocol = value;
          break;
        default:
          // RFC 9113 section 8.3: "Endpoints MUST treat a request or response that contains
          // undefined or invalid pseudo-header fields as malformed".
          return `undefined pseudo-header "${name}" in a request`;
      }
    } else {
      regular = true;
      if (known) {
        // Only what the field tells about the message is left to read.
        if (name === 'content-length') {
          const n = parseContentLength(value);
          if (info.contentLength >= 0 && info.contentLength !== n) return 'conflicting content-length values';
          info.contentLength = n;
        } else if (name === 'priority') {
          info.priority = value;
        }
        continue;
      }
      const err = regularField(name, value, info, true);
      if (err !== null) return err;
    }
    if (checked !== undefined && !known && i < MEMO_FIELDS) {
      checked[2 * i] = name;
      checked[2 * i + 1] = value;
    }
  }
  if (method === null || method.length === 0) return 'missing :method';
  info.method = method;
  if (method === 'CONNECT' && protocol === null) {
    // RFC 9113 section 8.5: "The ":scheme" and ":path" pseudo-header fields MUST be omitted."
    // "The ":authority" pseudo-header field contains the host and port to connect to".
    if (scheme !== null || path !== null) return 'CONNECT with :scheme or :path';
    if (authority === null || authority.length === 0) return 'CONNECT without :authority';
    return null;
  }
  if (protocol !== null && method !== 'CONNECT') return ':protocol on a non-CONNECT request';
  // RFC 9113 section 8.3.1: "All HTTP/2 requests MUST include exactly one valid value for the
  // ":method", ":scheme", and ":path" pseudo-header fields, unless they are CONNECT requests".
  if (scheme === null || scheme.length === 0) return 'missing :scheme';
  if (path === null) return 'missing :path';
  // "This pseudo-header field MUST NOT be empty for "http" or "https" URIs" ... "the value "*"
  // for the ":path" pseudo-header field" only for OPTIONS.
  if (path.length === 0) return 'empty :path';
  if (path === '*' ? method !== 'OPTIONS' : path.charCodeAt(0) !== 0x2f && (scheme === 'http' || scheme === 'https')) {
    return `invalid :path "${path}"`;
  }
  void endStream;
  return null;
}

/** Validate a response header list (RFC 9113 sections 8.2, 8.3.2). */
export function validateResponse(headers: HeaderField[], endStream: boolean, info: MessageInfo): string | null {
  info.contentLength = -1;
  info.method = '';
  info.status = 0;
  info.priority = null;
  let status: string | null = null;
  let regular = false;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    const value = headers[i][1];
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return `pseudo-header "${name}" after a regular field`;
      if (name !== ':status') return `undefined pseudo-header "${name}" in a response`;
      if (status !== null) return 'duplicate :status';
      status = value;
      continue;
    }
    regular = true;
    const err = regularField(name, value, info, false);
    if (err !== null) return err;
  }
  // RFC 9113 section 8.3.2: "For HTTP/2 responses, a single ":status" pseudo-header field is
  // defined that carries the HTTP status code field ... This pseudo-header field MUST be included
  // in all responses, including interim responses; otherwise, the response is malformed".
  if (status === null) return 'missing :status';
  if (status.length !== 3) return `invalid :status "${status}"`;
  const code = parseContentLength(status);
  if (code < 100 || code > 999) return `invalid :status "${status}"`;
  // RFC 9113 section 8.6: "HTTP/2 removes support for the 101 (Switching Protocols) informational
  // status code ([HTTP], Section 15.2.2)."
  if (code === 101) return ':status 101 is not allowed in HTTP/2';
  // An interim response cannot end the stream: a final response must follow (RFC 9113 8.1).
  if (code < 200 && endStream) return `interim response ${code} with END_STREAM`;
  info.status = code;
  return null;
}

/**
 * The last response header list that passed {@link validateResponse} (names and values in
 * order, END_STREAM) and what it yielded. One per receiving session.
 */
export interface ResponseVerdictCache {
  /** Names and values of the list, alternating. */
  fields: string[];
  /** Whether that HEADERS frame ended the stream. */
  endStream: boolean;
  /** Its :status. */
  status: number;
  /** Its content-length (-1: none). */
  contentLength: number;
}

/**
 * Whether `headers` are, field by field, the names and values in `flat` (name at 2i, value at
 * 2i+1, as {@link rememberFields} keeps them). Strings held from the same HPACK table or the
 * same cached list compare by identity first, so a repeated list costs a pointer compare per
 * string.
 */
export function sameFields(headers: readonly HeaderField[], flat: readonly string[]): boolean {
  if (flat.length !== headers.length * 2) return false;
  for (let i = 0, j = 0; i < headers.length; i++, j += 2) {
    const h = headers[i];
    if (h[0] !== flat[j] || h[1] !== flat[j + 1]) return false;
  }
  return true;
}

/**
 * Keep the names and values of `headers` for {@link sameFields}: in `flat` (its old contents
 * replaced), or, when `flat` is empty (nothing remembered yet), in a new array of exactly their
 * number. Returns the array that holds them. (An empty array filled index by index takes 17
 * slots or more, and a connection keeps its remembered lists for its life.)
 */
export function rememberFields(headers: readonly HeaderField[], flat: string[]): string[] {
  const n = headers.length * 2;
  if (flat.length === 0) {
    const first: string[] = [];
    for (let i = 0; i < headers.length; i++) first.push(headers[i][0], headers[i][1]);
    return first.slice();
  }
  // Written in place (emptying the array first dropped its backing store, grown again push by push).
  if (flat.length > n) flat.length = n;
  for (let i = 0, j = 0; j < n; i++, j += 2) {
    flat[j] = headers[i][0];
    flat[j + 1] = headers[i][1];
  }
  return flat;
}

/** An empty {@link ResponseVerdictCache}. */
export function newResponseVerdictCache(): ResponseVerdictCache {
  return { fields: [], endStream: false, status: 0, contentLength: -1 };
}

/**
 * {@link validateResponse}, checked once for a list equal to the last valid one: a server answers
 * a load generator with the same fields (from its HPACK table: the same strings) again and again,
 * and the verdict depends on nothing else. Comparing the strings costs less than re-reading them
 * character by character.
 */
export function validateResponseCached(
  headers: HeaderField[],
  endStream: boolean,
  info: MessageInfo,
  cache: ResponseVerdictCache,
): string | null {
  const last = cache.fields;
  if (last.length > 0 && cache.endStream === endStream && sameFields(headers, last)) {
    info.contentLength = cache.contentLength;
    info.method = '';
    info.status = cache.status;
    info.priority = null;
    return null;
  }
  const err = validateResponse(headers, endStream, info);
  if (err !== null) return err;
  cache.fields = rememberFields(headers, last);
  cache.endStream = endStream;
  cache.status = info.status;
  cache.contentLength = info.contentLength;
  return null;
}

/**
 * Validate a trailer section (RFC 9113 section 8.1). `info.contentLength` is set to the
 * section's content-length (-1 when it has none), which the session judges as libnghttp2 does.
 */
export function validateTrailers(headers: HeaderField[], info?: MessageInfo): string | null {
  const scratch = info ?? newMessageInfo();
  scratch.contentLength = -1;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    // RFC 9113 section 8.3: "Pseudo-header fields MUST NOT appear in a trailer section."
    if (name.charCodeAt(0) === 0x3a) return `pseudo-header "${name}" in trailers`;
    const err = regularField(name, headers[i][1], scratch, false);
    if (err !== null && !err.startsWith('te:')) return err;
  }
  return null;
}

/** An RFC 9218 priority: urgency 0..7 (lower first) and whether the response is incremental. */
export interface PriorityParams {
  urgency: number;
  incremental: boolean;
}

/**
 * Parse an RFC 9218 Priority field value (a Structured Fields dictionary) for `u` and `i`.
 * RFC 9218 section 4: unknown parameters and out-of-range values are ignored ("... MUST ignore
 * ... values it does not understand"); returns the defaults (u=3, non-incremental) for anything
 * else. Null only when the value is empty.
 */
export function parsePriorityField(value: string): PriorityParams | null {
  if (value.length === 0) return null;
  let urgency = 3;
  let incremental = false;
  for (const raw of value.split(',')) {
    const item = raw.trim();
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).split(';')[0].trim();
    const v =
      eq < 0
        ? ''
        : item
            .slice(eq + 1)
            .split(';')[0]
            .trim();
    if (key === 'u') {
      if (/^[0-7]$/.test(v)) urgency = Number(v);
    } else if (key === 'i') {
      if (eq < 0 || v === '?1') incremental = true;
      else if (v === '?0') incremental = false;
    }
  }
  return { urgency, incremental };
}

/**
 * Check a header list we are about to send: the same field rules as for received messages
 * (RFC 9113 section 8.2: lowercase names, no connection-specific fields, no NUL/CR/LF in values),
 * so the application cannot make us emit a malformed message. Returns an error message or null.
 * Pseudo-headers are not checked for completeness here (the peer does that).
 */
export function checkOutgoing(headers: HeaderField[], isRequest: boolean, names?: string[], values?: string[]): string | null {
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    const value = headers[i][1];
    if (typeof name !== 'string' || typeof value !== 'string') return `field ${i} is not a [name, value] pair of strings`;
    // `names` (optional): the names that passed at each position before. A name equal to it (a
    // pointer compare for the same string: a proxy's field names come from tables) skips the
    // name checks, which depend on the name alone.
    if (names === undefined || names[i] !== name) {
      const pseudo = name.charCodeAt(0) === 0x3a;
      if (badName(name, pseudo ? 1 : 0)) return `invalid field name "${name}" (names are lowercase tokens)`;
      if (!pseudo && connectionSpecific(name)) return `connection-specific field "${name}" is not allowed in HTTP/2`;
      if (names !== undefined && i < MEMO_FIELDS) names[i] = name;
    }
    // `values` (optional): the same for values, whose octet check depends on the value alone (a
    // proxy relaying a backend head that differs in one field sends the others' strings again).
    if (values === undefined || values[i] !== value) {
      if (hasNulCrLf(value)) return `invalid value for "${name}" (NUL, CR or LF)`;
      if (values !== undefined && i < MEMO_FIELDS) values[i] = value;
    }
    if (name === 'te' && (!isRequest || value !== 'trailers')) return `te: "${value}" (only "te: trailers" in requests)`;
  }
  return null;
}

/**
 * Whether `v` holds NUL, CR or LF. Longer values are searched with indexOf: a value sliced out of
 * a larger string (an HTTP/1.1 head's) is read character by character several times slower than
 * a flat one, while indexOf reads its flat content at once.
 */
function hasNulCrLf(v: string): boolean {
  const n = v.length;
  if (n < 16) {
    for (let j = 0; j < n; j++) {
      const c = v.charCodeAt(j);
      if (c < 0x0e && (c === 0 || c === 0x0a || c === 0x0d)) return true;
    }
    return false;
  }
  return v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\0') >= 0;
}
