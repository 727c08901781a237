/**
 * The little HTTP/1.1 the HTTP/2 transports need: telling the connection preface apart from an
 * HTTP/1.1 request, parsing a request or response head (with size limits), and the h2c Upgrade
 * handshake of RFC 7540 section 3.2 (`Upgrade: h2c` + `HTTP2-Settings`).
 */
import { CONNECTION_PREFACE } from '../protocol/frame/constants';
import { latin1Slice } from '../protocol/hpack/latin1';

/** A malformed or oversized HTTP/1.1 message head. `status` is the HTTP/1.1 answer to give. */
export class Http1ParseError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'Http1ParseError';
  }
}

/** Limits on an HTTP/1.1 head. Each blocks a memory exhaustion attack by a slow or huge head. */
export interface Http1Limits {
  /** Bytes of the whole head (request/status line + fields + CRLFCRLF). Default 64 KiB. */
  maxHeadSize: number;
  /** Number of header fields. Default 100. */
  maxFields: number;
}

/** Defaults for {@link Http1Limits}. */
export const DEFAULT_HTTP1_LIMITS: Http1Limits = { maxHeadSize: 65536, maxFields: 100 };

/** A parsed HTTP/1.1 request head. Field names are lowercased; values are latin1 byte strings. */
export interface Http1RequestHead {
  method: string;
  target: string;
  /** e.g. `HTTP/1.1`. */
  version: string;
  fields: [string, string][];
}

/** A parsed HTTP/1.1 response head. */
export interface Http1ResponseHead {
  version: string;
  status: number;
  reason: string;
  fields: [string, string][];
}

/** The result of a successful head parse: the head, and how many bytes of input it took. */
export interface Parsed<T> {
  head: T;
  consumed: number;
}

/** What the first bytes of a cleartext connection are. */
export type Sniffed = 'h2' | 'http1' | 'undecided';

/**
 * Classify the first bytes of a cleartext connection. RFC 9113 section 3.4: "the connection
 * preface starts with the string PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" — a prefix of it is
 * 'undecided' (wait for more), anything else is HTTP/1.x.
 */
export function sniffPreface(buf: Buffer): Sniffed {
  const n = Math.min(buf.length, CONNECTION_PREFACE.length);
  if (buf.compare(CONNECTION_PREFACE, 0, n, 0, n) !== 0) return 'http1';
  return n === CONNECTION_PREFACE.length ? 'h2' : 'undecided';
}

/** tchar (RFC 9110 section 5.6.2) by octet. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;
const HTTP_SLASH = Buffer.from('HTTP/', 'latin1');

/**
 * Whether `buf` can still become the start of an HTTP/1.x request (RFC 9112 section 3:
 * `request-line = method SP request-target SP HTTP-version CRLF`), checked as far as it goes, so
 * that a peer sending something else can be answered at once instead of after a timeout. Only
 * the request line is checked (the head parser judges the rest).
 */
export function couldBeHttp1Request(buf: Buffer): boolean {
  const n = buf.length;
  let i = 0;
  // method = token
  while (i < n && TCHAR[buf[i]] === 1) i++;
  if (i === n) return true;
  if (i === 0 || buf[i] !== 0x20) return false;
  i++;
  // request-target: visible characters (at least one)
  const t0 = i;
  while (i < n && buf[i] > 0x20 && buf[i] < 0x7f) i++;
  if (i === n) return true;
  if (i === t0 || buf[i] !== 0x20) return false;
  i++;
  // HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF
  for (let k = 0; k < HTTP_SLASH.length; k++, i++) {
    if (i === n) return true;
    if (buf[i] !== HTTP_SLASH[k]) return false;
  }
  const rest = [0x30, 0x2e, 0x30, 0x0d, 0x0a];
  for (let k = 0; k < rest.length; k++, i++) {
    if (i === n) return true;
    const c = buf[i];
    if (k === 0 || k === 2 ? c < 0x30 || c > 0x39 : c !== rest[k]) return false;
  }
  return true;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

function findHeadEnd(buf: Buffer, limits: Http1Limits): number {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length >= limits.maxHeadSize) throw new Http1ParseError(`HTTP/1.1 head longer than ${limits.maxHeadSize} bytes`, 431);
    return -1;
  }
  if (end + 4 > limits.maxHeadSize) throw new Http1ParseError(`HTTP/1.1 head longer than ${limits.maxHeadSize} bytes`, 431);
  return end;
}

/**
 * The field lines of a head from `pos` to `end` (lines separated by CRLF, no CRLF after the last)
 * into [lowercase name, trimmed value] pairs, in one pass: no split, no regular expression per
 * field. `buf` holds the head's octets and `s` the same octets as a latin1 string: lines are read
 * and compared as octets (an element load per octet, where `charCodeAt` and `startsWith` on the
 * string cost ~3x and ~6x as much in V8 11), strings are cut from `s`.
 */
function parseFields(s: string, buf: Uint8Array, pos: number, end: number, limits: Http1Limits, memo?: FieldLineMemo): [string, string][] {
  const fields: [string, string][] = [];
  const prev = memo?.lineBytes;
  const prevSpans = memo?.spans;
  const prevPairs = memo?.pairs;
  const prevLines = prevSpans === undefined ? 0 : prevSpans.length >> 1;
  const spans: number[] | undefined = memo ? [] : undefined;
  while (pos < end) {
    const k = fields.length;
    // Octets this line shares with the start of the last head's line at this place.
    let shared = 0;
    if (k < prevLines) {
      // That line, octet for octet, ended by CRLF (or the head's end): its pair again (checked
      // then). A memo line holds no CR or LF, so equal octets up to a CRLF are the whole line.
      const a = prevSpans![2 * k];
      const n = prevSpans![2 * k + 1] - a;
      const m = n < end - pos ? n : end - pos;
      while (shared < m && buf[pos + shared] === prev![a + shared]) shared++;
      const e = pos + n;
      if (shared === n && (e === end || (buf[e] === 0x0d && buf[e + 1] === 0x0a))) {
        if (k === limits.maxFields) throw new Http1ParseError(`more than ${limits.maxFields} header fields`, 431);
        fields.push(prevPairs![k]);
        spans!.push(pos, e);
        pos = e + 2;
        continue;
      }
    }
    let eol = s.indexOf('\r\n', pos);
    if (eol < 0 || eol > end) eol = end;
    const c0 = buf[pos];
    // RFC 9112 section 5.2: obsolete line folding; we reject it (a server MAY reject with 400).
    if (c0 === 0x20 || c0 === 0x09) throw new Http1ParseError('obsolete line folding in HTTP/1.1 head');
    // RFC 9110 section 5.6.2: token = 1*tchar; RFC 9112 section 5.1: "No whitespace is allowed
    // between the field name and colon."
    let i = pos;
    let upper = false;
    let hash = 0;
    for (; i < eol; i++) {
      let c = buf[i];
      if (TCHAR[c] !== 1) break;
      if (c >= 0x41 && c <= 0x5a) {
        upper = true;
        c += 0x20;
      }
      hash = nameHashStep(hash, c);
    }
    if (i === eol || buf[i] !== 0x3a) {
      const line = s.slice(pos, eol);
      if (line.indexOf(':') <= 0) throw new Http1ParseError(`malformed header field line: ${JSON.stringify(line.slice(0, 80))}`);
      throw new Http1ParseError(`invalid header field name: ${JSON.stringify(line.slice(0, line.indexOf(':')).slice(0, 80))}`);
    }
    if (i === pos) throw new Http1ParseError(`malformed header field line: ${JSON.stringify(s.slice(pos, eol).slice(0, 80))}`);
    if (fields.length === limits.maxFields) throw new Http1ParseError(`more than ${limits.maxFields} header fields`, 431);
    // The name of the last head's line at this place when this line starts with that name and its
    // colon (a field whose value changes: x-count, Date), else a common name from the table (no
    // slice, no toLowerCase; a string every later compare and map lookup finds at once); any
    // other is cut out of the head.
    const slot = hash & KNOWN_MASK;
    const known = KNOWN_NAMES[slot];
    const name =
      shared > i - pos
        ? prevPairs![k][0]
        : known !== undefined && sameLowercase(buf, pos, i, KNOWN_OCTETS[slot]!)
          ? known
          : upper
            ? s.slice(pos, i).toLowerCase()
            : s.slice(pos, i);
    // OWS around the value is not part of it (RFC 9112 section 5: field-line = field-name ":" OWS field-value OWS).
    let a = i + 1;
    let b = eol;
    while (a < b && isOws(buf[a])) a++;
    while (b > a && isOws(buf[b - 1])) b--;
    // RFC 9110 section 5.5: "Field values containing CR, LF, or NUL characters are invalid and
    // dangerous"; a recipient "MUST either reject the message or replace each of those characters
    // with SP": we reject.
    for (let q = a; q < b; q++) {
      const c = buf[q];
      if (c < 0x0e && (c === 0 || c === 0x0a || c === 0x0d)) throw new Http1ParseError(`invalid character in value of ${s.slice(pos, i)}`);
    }
    fields.push([name, s.slice(a, b)]);
    if (spans !== undefined) spans.push(pos, eol);
    pos = eol + 2;
  }
  if (memo !== undefined) {
    memo.spans = spans;
    memo.pairs = fields;
  }
  return fields;
}

/**
 * The field lines of the last head parsed with this memo and their pairs: a line equal octet for
 * octet to the one at the same place in that head is taken as its pair (no name lookup, value
 * trim, checks or strings made), so the fields a server repeats (all but Date and a few others)
 * are parsed once per connection, and are the same pair objects head after head.
 */
export interface FieldLineMemo {
  /** The octets of the last head parsed with this memo (a copy, from its first octet); undefined before the first head. */
  lineBytes: Buffer | undefined;
  /** Where its field lines start and end (no CRLF) in `lineBytes`: start, end, start, end... in order. */
  spans: number[] | undefined;
  /** Their pairs, in the same order. */
  pairs: [string, string][] | undefined;
}

/** The field-name hash of KNOWN_NAMES: `h` (the hash so far) taken on by one lowercase octet `c`. */
function nameHashStep(h: number, c: number): number {
  return (Math.imul(h, 31) + c) | 0;
}

/** Field names most heads carry, by a hash of their octets (parseFields computes it as it checks the name). */
const KNOWN_MASK = 255;
const KNOWN_NAMES: (string | undefined)[] = new Array(KNOWN_MASK + 1).fill(undefined);
/** The octets of each of KNOWN_NAMES, at the same place. */
const KNOWN_OCTETS: (Uint8Array | undefined)[] = new Array(KNOWN_MASK + 1).fill(undefined);
for (const n of [
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'alt-svc',
  'authorization',
  'cache-control',
  'connection',
  'content-encoding',
  'content-length',
  'content-range',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expires',
  'forwarded',
  'host',
  'if-modified-since',
  'if-none-match',
  'keep-alive',
  'last-modified',
  'location',
  'origin',
  'pragma',
  'range',
  'referer',
  'server',
  'set-cookie',
  'strict-transport-security',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'x-forwarded-for',
  'x-forwarded-proto',
]) {
  let h = 0;
  for (let k = 0; k < n.length; k++) h = nameHashStep(h, n.charCodeAt(k));
  // Two names in one slot: the first keeps it (the other is sliced as any name).
  if (KNOWN_NAMES[h & KNOWN_MASK] === undefined) {
    KNOWN_NAMES[h & KNOWN_MASK] = n;
    KNOWN_OCTETS[h & KNOWN_MASK] = Buffer.from(n, 'latin1');
  }
}

/** Whether buf[from, to) is `name` (its octets, lowercase) but for ASCII case. */
function sameLowercase(buf: Uint8Array, from: number, to: number, name: Uint8Array): boolean {
  if (to - from !== name.length) return false;
  for (let k = 0; k < name.length; k++) {
    let c = buf[from + k];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== name[k]) return false;
  }
  return true;
}

/**
 * The item of the comma list `v` that starts at `from` and ends at `comma` (the list's end when
 * `comma` < 0), trimmed: the list walked in place, a lone value (the usual case) read as it is.
 */
export function listItem(v: string, from: number, comma: number): string {
  return (comma < 0 ? (from === 0 ? v : v.slice(from)) : v.slice(from, comma)).trim();
}

/** RFC 9110 section 5.6.3: OWS = *( SP / HTAB ). */
function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Header field lines (no CRLFs) into [lowercase name, trimmed value] pairs, checked as a head's
 * (also a chunked body's trailer section); throws {@link Http1ParseError}.
 */
export function parseFieldLines(lines: string[], limits: Http1Limits): [string, string][] {
  if (lines.length > limits.maxFields) throw new Http1ParseError(`more than ${limits.maxFields} header fields`, 431);
  return parseFieldSection(lines.join('\r\n'), limits);
}

/**
 * A field section as one string (field lines separated by CRLF, none after the last: a chunked
 * body's trailer section) into [lowercase name, trimmed value] pairs; throws {@link Http1ParseError}.
 */
export function parseFieldSection(s: string, limits: Http1Limits): [string, string][] {
  return parseFields(s, Buffer.from(s, 'latin1'), 0, s.length, limits);
}

/** {@link parseFieldSection} of the octets `buf[0, end)` (read as they are: no string made first to be turned back into octets). */
export function parseFieldSectionOctets(buf: Buffer, end: number, limits: Http1Limits): [string, string][] {
  return parseFields(latin1Slice(buf, 0, end), buf, 0, end, limits);
}

/**
 * Parse an HTTP/1.1 request head at the start of `buf`. Returns null while the head is
 * incomplete; throws {@link Http1ParseError} when it is malformed or exceeds `limits`.
 */
export function parseRequestHead(buf: Buffer, limits: Http1Limits = DEFAULT_HTTP1_LIMITS): Parsed<Http1RequestHead> | null {
  const end = findHeadEnd(buf, limits);
  if (end < 0) return null;
  const s = latin1Slice(buf, 0, end);
  let eol = s.indexOf('\r\n');
  if (eol < 0) eol = end;
  const line = eol === end ? s : s.slice(0, eol);
  // RFC 9112 section 3.2: the request-target is URI syntax, visible US-ASCII (as couldBeHttp1Request judges a partial line).
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) (HTTP\/\d\.\d)$/.exec(line);
  if (!m) throw new Http1ParseError(`malformed request line: ${JSON.stringify(line.slice(0, 80))}`);
  if (m[3] !== 'HTTP/1.1' && m[3] !== 'HTTP/1.0') throw new Http1ParseError(`unsupported version ${m[3]}`, 505);
  return { head: { method: m[1], target: m[2], version: m[3], fields: parseFields(s, buf, eol + 2, end, limits) }, consumed: end + 4 };
}

/**
 * Parse an HTTP/1.1 response head at the start of `buf`. Returns null while incomplete; throws
 * {@link Http1ParseError} when malformed or oversized.
 */
export function parseResponseHead(
  buf: Buffer,
  limits: Http1Limits = DEFAULT_HTTP1_LIMITS,
  /** The field lines of the last head parsed with it (see {@link FieldLineMemo}), updated. */
  memo?: FieldLineMemo,
): Parsed<Http1ResponseHead> | null {
  const end = findHeadEnd(buf, limits);
  if (end < 0) return null;
  const s = latin1Slice(buf, 0, end);
  let eol = s.indexOf('\r\n');
  if (eol < 0) eol = end;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 section 4), read by
  // character: "HTTP/" DIGIT "." DIGIT SP 3DIGIT, then SP and the reason, if any.
  const d1 = s.charCodeAt(5);
  const d2 = s.charCodeAt(7);
  const s1 = s.charCodeAt(9);
  const s2 = s.charCodeAt(10);
  const s3 = s.charCodeAt(11);
  if (
    eol < 12 ||
    !s.startsWith('HTTP/') ||
    !isDigit(d1) ||
    s.charCodeAt(6) !== 0x2e ||
    !isDigit(d2) ||
    s.charCodeAt(8) !== 0x20 ||
    !isDigit(s1) ||
    !isDigit(s2) ||
    !isDigit(s3) ||
    (eol > 12 && s.charCodeAt(12) !== 0x20)
  )
    throw new Http1ParseError(`malformed status line: ${JSON.stringify(s.slice(0, Math.min(eol, 80)))}`);
  for (let k = 13; k < eol; k++) {
    const c = buf[k];
    if (c < 0x0e && (c === 0 || c === 0x0a || c === 0x0d)) throw new Http1ParseError('invalid character in the reason phrase');
  }
  const version = d1 === 0x31 && d2 === 0x31 ? 'HTTP/1.1' : d1 === 0x31 && d2 === 0x30 ? 'HTTP/1.0' : s.slice(0, 8);
  const fields = parseFields(s, buf, eol + 2, end, limits, memo);
  if (memo !== undefined) {
    // The octets the memo's spans point into: this head's, through its blank line (the input
    // may be a read buffer that the next read overwrites).
    const copy = Buffer.allocUnsafe(end + 4);
    buf.copy(copy, 0, 0, end + 4);
    memo.lineBytes = copy;
  }
  return {
    head: {
      version,
      status: (s1 - 0x30) * 100 + (s2 - 0x30) * 10 + (s3 - 0x30),
      reason: eol > 13 ? s.slice(13, eol) : '',
      fields,
    },
    consumed: end + 4,
  };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The value of the first field named `name` (lowercase), or undefined. */
export function fieldValue(fields: [string, string][], name: string): string | undefined {
  for (const [n, v] of fields) if (n === name) return v;
  return undefined;
}

/** The comma-separated tokens of every field named `name`, lowercased. */
export function fieldTokens(fields: [string, string][], name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of fields) {
    if (n !== name) continue;
    for (const t of v.split(',')) {
      const s = t.trim().toLowerCase();
      if (s) out.push(s);
    }
  }
  return out;
}

/** The `close`, `keep-alive` and `upgrade` options of the Connection fields (RFC 9110 section 7.6.1). */
export function connectionTokens(fields: [string, string][]): { close: boolean; keepAlive: boolean; upgrade: boolean } {
  let close = false;
  let keepAlive = false;
  let upgrade = false;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i][0] !== 'connection') continue;
    const v = fields[i][1];
    for (let from = 0; ; ) {
      const comma = v.indexOf(',', from);
      const s = listItem(v, from, comma).toLowerCase();
      if (s === 'close') close = true;
      else if (s === 'keep-alive') keepAlive = true;
      else if (s === 'upgrade') upgrade = true;
      if (comma < 0) break;
      from = comma + 1;
    }
  }
  return { close, keepAlive, upgrade };
}

/** Encode SETTINGS parameters as a SETTINGS frame payload (one implementation, in the protocol layer). */
export { encodeSettingsPayload } from '../protocol/session/settings';

/**
 * RFC 7540 section 3.2.1: "The content of the HTTP2-Settings header field is the payload of a
 * SETTINGS frame, encoded as a base64url string (that is, the URL- and filename-safe Base64
 * encoding described in Section 5 of [RFC4648], with any trailing '=' characters omitted)."
 */
export function encodeHttp2SettingsHeader(payload: Buffer): string {
  return payload.toString('base64url');
}

/** Decode an `HTTP2-Settings` value; throws {@link Http1ParseError} when it is not a whole number of settings. */
export function decodeHttp2SettingsHeader(value: string): Buffer {
  if (!/^[A-Za-z0-9_-]*=*$/.test(value)) throw new Http1ParseError('HTTP2-Settings is not base64url');
  const payload = Buffer.from(value.replace(/=+$/, ''), 'base64url');
  // RFC 9113 section 6.5: "A SETTINGS frame with a length other than a multiple of 6 octets
  // MUST be treated as a connection error" — for the header, we refuse the upgrade.
  if (payload.length % 6 !== 0) throw new Http1ParseError('HTTP2-Settings payload is not a multiple of 6 octets');
  return payload;
}

/**
 * An h2c Upgrade request (RFC 7540 section 3.2), or the reason a request is not one. A body is
 * allowed when it has a Content-Length of at most `maxBody` octets: "Requests that contain a
 * payload body MUST be sent in their entirety before the client can send HTTP/2 frames", so the
 * server reads it, then switches; a chunked body is never upgraded.
 */
export function h2cUpgradeOf(head: Http1RequestHead, maxBody = 0): { settingsPayload: Buffer; bodyLength: number } | { reason: string } {
  if (!fieldTokens(head.fields, 'upgrade').includes('h2c')) return { reason: 'no Upgrade: h2c' };
  const conn = fieldTokens(head.fields, 'connection');
  const settings = head.fields.filter(([n]) => n === 'http2-settings');
  // RFC 7540 section 3.2.1: "A server MUST NOT upgrade the connection to HTTP/2 if this header
  // field is not present or if more than one is present."
  if (settings.length !== 1) return { reason: 'HTTP2-Settings must appear exactly once' };
  if (!conn.includes('upgrade') || !conn.includes('http2-settings')) return { reason: 'Connection must list Upgrade and HTTP2-Settings' };
  if (fieldValue(head.fields, 'transfer-encoding') !== undefined)
    return { reason: 'upgrade requests with a chunked body are not upgraded' };
  const lengths = head.fields.filter(([n]) => n === 'content-length').map(([, v]) => v);
  let bodyLength = 0;
  if (lengths.length) {
    if (!lengths.every((v) => /^\d{1,15}$/.test(v) && v === lengths[0])) return { reason: 'invalid Content-Length' };
    bodyLength = Number(lengths[0]);
    if (bodyLength > maxBody) return { reason: `upgrade request body over ${maxBody} octets` };
  }
  try {
    return { settingsPayload: decodeHttp2SettingsHeader(settings[0][1]), bodyLength };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}

/** Headers that are connection-specific in HTTP/1.1 and MUST NOT appear in HTTP/2 (RFC 9113 section 8.2.2). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
  'te',
]);

/**
 * The HTTP/2 request header list of an upgraded HTTP/1.1 request (RFC 9113 section 8.3.1):
 * pseudo-headers from the request line and Host, minus connection-specific fields.
 */
export function requestHeadersFromHttp1(head: Http1RequestHead, scheme: 'http' | 'https'): [string, string][] {
  const host = fieldValue(head.fields, 'host');
  const out: [string, string][] = [
    [':method', head.method],
    [':scheme', scheme],
  ];
  let path = head.target;
  let authority = host;
  // An absolute-form target carries its own authority (RFC 9112 section 3.2.2).
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)(.*)$/.exec(path);
  if (abs) {
    authority = abs[1];
    path = abs[2] || '/';
  }
  if (authority !== undefined) out.push([':authority', authority]);
  out.push([':path', path]);
  for (const [n, v] of head.fields) if (!HOP_BY_HOP.has(n)) out.push([n, v]);
  return out;
}

/** Serialize an HTTP/1.1 request head. */
export function formatRequestHead(method: string, target: string, fields: [string, string][]): Buffer {
  let s = `${method} ${target} HTTP/1.1\r\n`;
  for (const [n, v] of fields) s += `${n}: ${v}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

/** Serialize a complete small HTTP/1.1 response (status line, fields, body), closing the connection. */
export function formatResponse(status: number, reason: string, fields: [string, string][], body = ''): Buffer {
  let s = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [n, v] of fields) s += `${n}: ${v}\r\n`;
  const b = Buffer.from(body, 'utf8');
  s += `content-length: ${b.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(s, 'latin1'), b]);
}

/** RFC 7540 section 3.2: the server's answer accepting an h2c Upgrade. */
export const SWITCHING_PROTOCOLS = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', 'latin1');
