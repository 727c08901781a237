/**
 * nghttpx's header rewriting, pure: the request header list sent to a backend and the response
 * header list sent to a client (hop-by-hop fields dropped, Via, Server, X-Forwarded-*).
 */
import type { NghttpxOptions } from './options';
import type { Field, ProxyRequest } from './request';

export type { Field };

/**
 * Whether `n` is a connection-specific field: RFC 9113 section 8.2.2 "An endpoint MUST NOT generate an HTTP/2
 * message containing connection-specific header fields"; a proxy drops them in both directions
 * (RFC 9110 section 7.6.1). `te` is kept only as `te: trailers`.
 */
function isHopByHop(n: string): boolean {
  // By length first: most names are told apart by one compare (a Set lookup hashes the name: it
  // cost ~60 instructions per field, 5 fields per proxied response).
  switch (n.length) {
    case 7:
      return n === 'upgrade';
    case 10:
      return n === 'connection' || n === 'keep-alive';
    case 14:
      return n === 'http2-settings';
    case 16:
      return n === 'proxy-connection';
    case 17:
      return n === 'transfer-encoding';
    default:
      return false;
  }
}

type RewriteOptions = Pick<
  NghttpxOptions,
  | 'http2Proxy'
  | 'addForwarded'
  | 'stripIncomingForwarded'
  | 'noVia'
  | 'addXForwardedFor'
  | 'stripIncomingXForwardedFor'
  | 'noAddXForwardedProto'
  | 'noStripIncomingXForwardedProto'
  | 'addRequestHeaders'
  | 'addResponseHeaders'
  | 'noServerRewrite'
  | 'serverName'
  | 'http2NoCookieCrumbling'
  | 'noStripIncomingEarlyData'
>;

/**
 * How the client's cookies go to a backend, as nghttpx sends them: after the client's other
 * fields, `join`ed into one field for HTTP/1.1 (RFC 9113 section 8.2.3: "these MUST be
 * concatenated into a single octet string using the two-octet delimiter of 0x3b, 0x20"), or
 * `crumble`d into one field per cookie-pair for HTTP/2 ("an endpoint MAY split the Cookie header
 * field into separate header fields, each with one or more cookie-pairs"), which lets HPACK index
 * each pair on its own; `keep` sends the client's fields as they came (`--http2-no-cookie-crumbling`).
 */
export type CookieForm = 'join' | 'crumble' | 'keep';

/** The cookie fields for the backend from the client's cookie values, in `form`. */
export function cookieFields(values: string[], form: CookieForm): Field[] {
  if (values.length === 0) return [];
  if (form === 'keep') return values.map((v) => ['cookie', v]);
  if (form === 'join') {
    // As nghttpx: each value's trailing spaces and semicolons dropped, joined by "; ".
    const parts = values.map((v) => v.replace(/[ ;]+$/, '')).filter((v) => v.length > 0);
    return parts.length ? [['cookie', parts.join('; ')]] : [];
  }
  // As nghttpx: each pair from its first character that is not a space, tab or ';' to the next ';'.
  const out: Field[] = [];
  for (const v of values)
    for (const piece of v.split(';')) {
      const pair = piece.replace(/^[\t ]+/, '');
      if (pair.length > 0) out.push(['cookie', pair]);
    }
  return out;
}

/** Fields the proxy adds to most requests and responses, shared (pairs are never mutated once made). */
const XFP_HTTP: Field = ['x-forwarded-proto', 'http'];
const XFP_HTTPS: Field = ['x-forwarded-proto', 'https'];
const VIA_H2: Field = ['via', '2 nghttpx'];
const VIA_11: Field = ['via', '1.1 nghttpx'];
const VIA_10: Field = ['via', '1.0 nghttpx'];
/** The last `server` pair made (one configuration's name: made once, not per response). */
let serverPair: Field = ['server', 'nghttpx'];

/** The `server` field with `name`. */
function serverField(name: string): Field {
  if (serverPair[1] !== name) serverPair = ['server', name];
  return serverPair;
}

/** The values of every `name` field joined with ", " (undefined when there is none); nothing allocated when absent. */
function joinValues(fields: Field[], name: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < fields.length; i++) if (fields[i][0] === name) out = out === undefined ? fields[i][1] : `${out}, ${fields[i][1]}`;
  return out;
}

/**
 * The request fields for the backend, in nghttpx's order: the client's fields (minus hop-by-hop
 * and Host), the cookies (in the form `backendProto` takes, see `CookieForm`; as they came
 * when it is not given), then X-Forwarded-For, X-Forwarded-Proto, Via, then
 * `--add-request-header`s. The caller adds Host (HTTP/1.1) or :authority (h2).
 */
export function backendRequestFields(req: ProxyRequest, o: RewriteOptions, forwarded?: string, backendProto?: 'h2' | 'http/1.1'): Field[] {
  const out: Field[] = [];
  let cookies: string[] | undefined;
  // With --add-forwarded, the client's Forwarded values move to the end, ours appended.
  const moveForwarded = o.stripIncomingForwarded || o.addForwarded.length > 0;
  const fields = req.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const n = f[0];
    const v = f[1];
    if (isHopByHop(n) || n === 'host' || n === 'via') continue;
    if (n === 'forwarded' && moveForwarded) continue;
    if (n === 'te' && v.trim().toLowerCase() !== 'trailers') continue;
    if (n === 'x-forwarded-for' && (o.stripIncomingXForwardedFor || o.addXForwardedFor)) continue;
    if (n === 'x-forwarded-proto' && !o.noStripIncomingXForwardedProto) continue;
    // nghttpx strips Early-Data from clients: it adds its own when a request came in TLS early data.
    if (n === 'early-data' && !o.noStripIncomingEarlyData) continue;
    if (n === 'cookie' && backendProto !== undefined) {
      (cookies ??= []).push(v);
      continue;
    }
    // Field pairs are never mutated (received ones are frozen): passed on as they are.
    out.push(f);
  }
  if (cookies) {
    const form: CookieForm = backendProto === 'http/1.1' ? 'join' : o.http2NoCookieCrumbling ? 'keep' : 'crumble';
    for (const f of cookieFields(cookies, form)) out.push(f);
  }
  if (moveForwarded) {
    const prev = o.stripIncomingForwarded ? undefined : joinValues(req.fields, 'forwarded');
    const v = prev && forwarded ? `${prev}, ${forwarded}` : (prev ?? forwarded);
    if (v) out.push(['forwarded', v]);
  }
  if (o.addXForwardedFor) {
    const prev = o.stripIncomingXForwardedFor ? undefined : joinValues(req.fields, 'x-forwarded-for');
    out.push(['x-forwarded-for', prev ? `${prev}, ${req.remoteAddress}` : req.remoteAddress]);
  }
  // The reference adds none in forward proxy mode (-s): the next proxy gets the client's request;
  // nor to a plain CONNECT (it has no scheme to tell; an extended CONNECT gets one).
  const plainConnect = req.method === 'CONNECT' && req.connectProtocol === undefined;
  if (!o.noAddXForwardedProto && !o.http2Proxy && !plainConnect) out.push(req.scheme === 'https' ? XFP_HTTPS : XFP_HTTP);
  const via = joinValues(req.fields, 'via');
  if (o.noVia) {
    if (via !== undefined) out.push(['via', via]);
  } else {
    const token = req.protocol === 'h2' ? VIA_H2 : req.protocol === 'http/1.0' ? VIA_10 : VIA_11;
    out.push(via ? ['via', `${via}, ${token[1]}`] : token);
  }
  for (const h of o.addRequestHeaders) out.push([h[0], h[1]]);
  return out;
}

/** Fields the proxy adds to a response besides Server and Via. */
export interface AddedResponseFields {
  /** The affinity cookie. */
  setCookie?: string;
  /** `--altsvc` (HTTP/1.x clients) or `--http2-altsvc` (HTTP/2 clients) value. */
  altSvc?: string;
  /** The client speaks HTTP/1.x: nghttpx puts Alt-Svc before Server there, after Set-Cookie for HTTP/2. */
  http1?: boolean;
}

/**
 * The response fields for the client: the backend's (minus hop-by-hop, but for a chunked
 * backend's Transfer-Encoding when `framing` is chunked; minus Server unless
 * `--no-server-rewrite`), then `framing` (unless that Transfer-Encoding stands for it), then `server`, `via` (`1.1 nghttpx` or `2 nghttpx` by backend
 * protocol), then `--add-response-header`s; Alt-Svc and the affinity Set-Cookie where nghttpx
 * writes them.
 */
export function frontendResponseFields(
  fields: Field[],
  backend: 'h2' | 'http/1.1',
  o: RewriteOptions,
  framing: Field[] = [],
  added: AddedResponseFields = {},
): Field[] {
  const out: Field[] = [];
  // A chunked answer to an HTTP/1.1 client keeps a chunked HTTP/1.1 backend's Transfer-Encoding
  // where and as the backend sent it ("gzip, chunked" too), as Debian's nghttpx 1.52 does.
  const chunkedFraming = framing.length > 0 && framing[0][0] === 'transfer-encoding';
  let framed = false;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const n = f[0];
    if (n === 'transfer-encoding' && chunkedFraming) {
      out.push(f);
      framed = true;
      continue;
    }
    if (isHopByHop(n) || n === 'via' || n === 'te' || n === 'server') continue;
    out.push(f);
  }
  // Else the frontend's own framing (`transfer-encoding: chunked` for an HTTP/1.1 client), where
  // nghttpx writes it: after the backend's fields.
  if (!framed) for (let i = 0; i < framing.length; i++) out.push(framing[i]);
  if (added.altSvc && added.http1) out.push(['alt-svc', added.altSvc]);
  // Server sits after the framing either way (observed of Debian nghttpx): ours, or the backend's.
  if (!o.noServerRewrite) out.push(serverField(o.serverName));
  else for (const f of fields) if (f[0] === 'server') out.push(f);
  if (added.setCookie) out.push(['set-cookie', added.setCookie]);
  if (added.altSvc && !added.http1) out.push(['alt-svc', added.altSvc]);
  const via = joinValues(fields, 'via');
  if (o.noVia) {
    if (via !== undefined) out.push(['via', via]);
  } else {
    const token = backend === 'h2' ? VIA_H2 : VIA_11;
    out.push(via ? ['via', `${via}, ${token[1]}`] : token);
  }
  for (const h of o.addResponseHeaders) out.push([h[0], h[1]]);
  return out;
}

/** The body nghttpx sends with an error status it generates itself (e.g. 502). */
export function errorPage(status: number, reason: string): string {
  return `<!DOCTYPE html><html lang="en"><title>${status} ${reason}</title><body><h1>${status} ${reason}</h1><footer>nghttpx</footer></body></html>`;
}

/** Reason phrases of the statuses the proxy generates. */
export const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** HTTP/1.1 spelling of a field name as nghttpx writes it: `x-forwarded-for` -> `X-Forwarded-For`. */
export function http1Name(name: string): string {
  let spelled = HTTP1_NAMES.get(name);
  if (spelled === undefined) {
    spelled = name.replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
    // Bounded: names come from peers, the cache holds the first few hundred seen.
    if (HTTP1_NAMES.size < 512) HTTP1_NAMES.set(name, spelled);
  }
  return spelled;
}

/** Field names already spelled by {@link http1Name} (the same few dozen on every request). */
const HTTP1_NAMES = new Map<string, string>();

/**
 * Trailer fields nghttpx does not relay, in either direction and over either protocol (measured
 * on Debian's nghttpx 1.52): connection-specific ones, those naming hops or routing (Host, Via,
 * Forwarded, X-Forwarded-*, Server, Cookie, HTTP2-Settings) and Early-Data. Over HTTP/1.1, TE,
 * Transfer-Encoding, Content-Length and Trailer go through as sent.
 */
const TRAILER_DROPPED = new Set([
  'connection',
  'cookie',
  'early-data',
  'forwarded',
  'host',
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'server',
  'upgrade',
  'via',
  'x-forwarded-for',
  'x-forwarded-proto',
]);

/**
 * The end of a chunked HTTP/1.1 body with `trailers` as nghttpx writes it: the last chunk, the
 * fields it relays in its spelling, the empty line. An answer's trailer section also loses Date
 * (the reference drops it towards clients, keeps it towards backends).
 */
export function http1TrailerSection(trailers: Field[] | undefined, answer: boolean): string {
  if (!trailers?.length) return '0\r\n\r\n';
  let out = '0\r\n';
  for (let i = 0; i < trailers.length; i++) {
    const [n, v] = trailers[i];
    if (TRAILER_DROPPED.has(n) || (answer && n === 'date')) continue;
    out += `${http1Name(n)}: ${v}\r\n`;
  }
  return `${out}\r\n`;
}

/**
 * A request's trailers as an HTTP/2 backend gets them (trailing HEADERS): what nghttpx relays
 * (see {@link http1TrailerSection}) less TE and Transfer-Encoding (the reference drops them too).
 * Content-Length goes on as sent, as Debian's nghttpx 1.52 does: an HTTP/1.1 chunked request has
 * none in its head, so the backend takes it as the body's length (an HTTP/2 client's request with
 * one in both sections never gets here: the frontend resets it, receive-headers.ts). Undefined
 * when none is left.
 */
export function http2Trailers(trailers: Field[] | undefined): Field[] | undefined {
  if (!trailers?.length) return undefined;
  const out: Field[] = [];
  for (let i = 0; i < trailers.length; i++) {
    const n = trailers[i][0];
    if (!TRAILER_DROPPED.has(n) && n !== 'te' && n !== 'transfer-encoding') out.push(trailers[i]);
  }
  return out.length ? out : undefined;
}
