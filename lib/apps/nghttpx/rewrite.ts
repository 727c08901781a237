/**
 * nghttpx's rewriting rules beyond hop-by-hop fields, pure: the Location rewrite, the RFC 7239
 * Forwarded field, Alt-Svc values, the `redirect-if-not-tls` target, and the obfuscated node
 * names of `--forwarded-by/--forwarded-for`.
 */
import crypto = require('crypto');

/** One `--altsvc` / `--http2-altsvc` entry. */
export interface AltSvc {
  protocolId: string;
  port: number;
  host: string;
  origin: string;
  params: string;
}

/** Parse `PROTOID,PORT[,HOST,[ORIGIN[,PARAMS]]]`; throws a one-line message when malformed. */
export function parseAltSvc(text: string): AltSvc {
  const parts = text.split(',');
  const [protocolId, portText, host = '', origin = ''] = parts;
  const params = parts.slice(4).join(',');
  if (!protocolId) throw new Error(`altsvc: protocol ID is empty: ${text}`);
  if (portText === undefined || !/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
    throw new Error(`altsvc: port is invalid: ${portText ?? ''}`);
  return { protocolId, port: Number(portText), host, origin, params };
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** RFC 7838 section 3: the ALPN protocol id, percent-encoded where it is not a tchar (and '%' itself). */
function altSvcProtocolId(id: string): string {
  let out = '';
  for (const c of Buffer.from(id, 'utf8')) {
    const ch = String.fromCharCode(c);
    out += ch !== '%' && TCHAR.test(ch) ? ch : `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The Alt-Svc field value for a list: `h2=":443", h3="example.com:443"; ma=3600`. */
export function altSvcValue(list: AltSvc[]): string {
  return list.map((a) => `${altSvcProtocolId(a.protocolId)}="${a.host}:${a.port}"${a.params ? `; ${a.params}` : ''}`).join(', ');
}

/** The parts of an absolute URI the Location rewrite needs; undefined for anything else. */
function splitAbsolute(uri: string): { host: string; rest: string } | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/s.exec(uri);
  if (!m) return undefined;
  let authority = m[1];
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host: string;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) return undefined;
    host = authority.slice(1, end);
  } else {
    const colon = authority.indexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
  }
  if (!host) return undefined;
  return { host, rest: m[2] };
}

/**
 * nghttpx's Location rewrite (default mode, unless `--no-location-rewrite`): an absolute URI whose
 * host is the host we sent the backend (`matchHost`, the request's authority, or the backend's
 * address under `--host-rewrite`) is made to point at the proxy: the request's scheme and
 * authority, then the path (or `/`), query and fragment. Its scheme and port are not compared.
 * Anything else (another host, a relative reference) is returned unchanged.
 */
export function rewriteLocation(location: string, matchHost: string, requestAuthority: string, scheme: string): string {
  if (!matchHost || !requestAuthority) return location;
  const u = splitAbsolute(location);
  if (!u) return location;
  // "match_host" may carry a port: the URI's host must be all of it, or all of it before ':'.
  if (!matchHost.startsWith(u.host) || (matchHost.length !== u.host.length && matchHost[u.host.length] !== ':')) return location;
  const rest = u.rest === '' || u.rest[0] !== '/' ? `/${u.rest}` : u.rest;
  return `${scheme}://${requestAuthority}${rest}`;
}

/** `redirect-if-not-tls`: the https URI for a request; port 443 is left out. */
export function httpsRedirect(authority: string | undefined, path: string, port: number): string {
  let host = authority ?? 'localhost';
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1);
  else if (host.includes(':')) host = host.slice(0, host.lastIndexOf(':'));
  return `https://${host}${port === 443 ? '' : `:${port}`}${path}`;
}

/** RFC 7239 section 4: a value is a token, or a quoted-string where it is not. */
function forwardedParam(name: string, value: string): string {
  return TCHAR.test(value) ? `${name}=${value}` : `${name}="${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** What one Forwarded element says, by the `--add-forwarded` list. */
export interface ForwardedParts {
  by?: string;
  for?: string;
  host?: string;
  proto?: string;
}

/**
 * The Forwarded element nghttpx appends, parameters in its order (by, for, host, proto);
 * undefined when none is known.
 */
export function forwardedElement(params: ReadonlySet<string>, p: ForwardedParts): string | undefined {
  const out: string[] = [];
  for (const name of ['by', 'for', 'host', 'proto'] as const) {
    const v = p[name];
    if (params.has(name) && v) out.push(forwardedParam(name, v));
  }
  return out.length ? out.join(';') : undefined;
}

/** An RFC 7239 address as a node name: IPv6 in brackets, "localhost" for a UNIX socket. */
export function forwardedNode(address: string | undefined, port?: number): string {
  if (!address) return 'localhost';
  const host = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}

/** An obfuscated node name (RFC 7239 section 6.3): `_` and 8 random letters and digits (as nghttpx 1.52 sends them). */
export function obfuscatedNode(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(8);
  let out = '_';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
