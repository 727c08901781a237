/**
 * The values of nghttpx's structured options: `-f` and `-b` addresses with their parameters,
 * `--backend-http-proxy-uri`, `--add-*-header`. Pure; errors are UsageErrors naming the option.
 */
import { parseHeaderArg } from '../common/headers';
import { parseDuration, UsageError } from '../common/units';
import type { AffinityCookie, BackendAddress, FrontendAddress, ProxyUri } from './config';
import { parsePattern } from './routing';

/**
 * Frontend and backend parameters whose behaviour is built; the others are parsed into the
 * address and reported as "accepted but not yet effective". Whoever builds one adds it here.
 */
export const EFFECTIVE_PARAMS = {
  frontend: new Set<string>(['no-tls', 'api', 'healthmon', 'proxyproto', 'sni-fwd']),
  backend: new Set<string>([
    'proto',
    'tls',
    'sni',
    'fall',
    'rise',
    'affinity',
    'affinity-cookie-name',
    'affinity-cookie-path',
    'affinity-cookie-secure',
    'affinity-cookie-stickiness',
    'dns',
    'redirect-if-not-tls',
    'read-timeout',
    'write-timeout',
    'group',
    'group-weight',
    'weight',
    'dnf',
  ]),
};

/** Split `HOST,PORT` or `unix:PATH`; `what` names the option in errors. */
function parseAddress(text: string, what: string, allowStar: boolean): { host?: string; port?: number; unixPath?: string } {
  if (text.startsWith('unix:')) {
    const p = text.slice(5);
    if (!p) throw new UsageError(`${what}: empty UNIX domain socket path`);
    return { unixPath: p };
  }
  const comma = text.lastIndexOf(',');
  if (comma <= 0) throw new UsageError(`${what}: Invalid host, port: ${text}`);
  let host = text.slice(0, comma);
  const portText = text.slice(comma + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`${what}: Port is invalid: ${portText}`);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '*' && !allowStar) throw new UsageError(`${what}: Invalid host, port: ${text}`);
  return { host, port: Number(portText) };
}

/**
 * `-f (HOST,PORT|unix:PATH)[;PARAM]...`. Port 0 (refused by nghttpx) picks a free port here, so
 * that scripts and tests need not guess one; the listen line says which. `warn` hears about
 * parameters accepted but not yet effective.
 */
export function parseFrontend(text: string, warn: (msg: string) => void = () => undefined): FrontendAddress {
  const [addr, ...params] = text.split(';');
  const fe: FrontendAddress = { ...parseAddress(addr, 'frontend', true), noTls: false };
  for (const p of params) {
    if (p === '') continue;
    if (p === 'no-tls') fe.noTls = true;
    else if (p === 'api') fe.api = true;
    else if (p === 'healthmon') fe.healthmon = true;
    else if (p === 'proxyproto') fe.proxyproto = true;
    else if (p === 'sni-fwd') fe.sniFwd = true;
    else if (p === 'quic') throw new UsageError('frontend: quic: this nghttpx has no HTTP/3');
    else throw new UsageError(`frontend: unknown parameter ${p}`);
    if (!EFFECTIVE_PARAMS.frontend.has(p)) warn(`frontend: parameter ${p} is accepted but not yet effective`);
  }
  if (fe.api && fe.healthmon) throw new UsageError('frontend: api and healthmon are mutually exclusive');
  return fe;
}

function positiveInt(v: string | undefined, what: string, min: number, max: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`backend: ${what}: bad value ${v ?? ''} (an integer in ${min}..${max})`);
  return Number(v);
}

/** `-b (HOST,PORT|unix:PATH)[;PATTERN[:PATTERN...]][;PARAM]...` */
export function parseBackend(text: string, warn: (msg: string) => void = () => undefined): BackendAddress {
  const [addr, patternText = '', ...params] = text.split(';');
  const be: BackendAddress = { ...parseAddress(addr, 'backend', false), patterns: [], proto: 'http/1.1', tls: false };
  const seen = new Set<string>();
  for (const p of patternText.split(':')) {
    const pat = parsePattern(p.replace(/%3A/gi, ':'));
    if (!seen.has(pat.key)) be.patterns.push(pat);
    seen.add(pat.key);
  }
  const cookie: AffinityCookie = {};
  for (const p of params) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? undefined : p.slice(eq + 1);
    const noValue = () => {
      if (value !== undefined) throw new UsageError(`backend: ${key} takes no value: ${p}`);
      return true;
    };
    switch (key) {
      case 'proto':
        if (value !== 'h2' && value !== 'http/1.1') throw new UsageError(`backend: proto: unknown protocol ${value ?? ''}`);
        be.proto = value;
        break;
      case 'tls':
        be.tls = noValue();
        break;
      case 'sni':
        if (!value) throw new UsageError('backend: sni: a host name is required');
        be.sni = value;
        break;
      case 'fall':
        be.fall = positiveInt(value, key, 0, 2 ** 31 - 1);
        break;
      case 'rise':
        be.rise = positiveInt(value, key, 0, 2 ** 31 - 1);
        break;
      case 'affinity':
        if (value !== 'none' && value !== 'ip' && value !== 'cookie')
          throw new UsageError(`backend: affinity: value must be one of none, ip, and cookie: ${value ?? ''}`);
        be.affinity = value;
        break;
      case 'affinity-cookie-name':
        cookie.name = value;
        break;
      case 'affinity-cookie-path':
        cookie.path = value;
        break;
      case 'affinity-cookie-secure':
        if (value !== 'auto' && value !== 'yes' && value !== 'no')
          throw new UsageError(`backend: affinity-cookie-secure: value must be one of auto, yes, and no: ${value ?? ''}`);
        cookie.secure = value;
        break;
      case 'affinity-cookie-stickiness':
        if (value !== 'loose' && value !== 'strict')
          throw new UsageError(`backend: affinity-cookie-stickiness: value must be either loose or strict: ${value ?? ''}`);
        cookie.stickiness = value;
        break;
      case 'dns':
        be.dns = noValue();
        break;
      case 'redirect-if-not-tls':
        be.redirectIfNotTls = noValue();
        break;
      case 'upgrade-scheme':
        be.upgradeScheme = noValue();
        break;
      case 'mruby':
        be.mruby = value ?? '';
        break;
      case 'read-timeout':
        be.readTimeout = parseDuration(value ?? '', 'backend: read-timeout');
        break;
      case 'write-timeout':
        be.writeTimeout = parseDuration(value ?? '', 'backend: write-timeout');
        break;
      case 'group':
        if (!value) throw new UsageError('backend: group: empty string is not allowed');
        be.group = value;
        break;
      case 'group-weight':
        be.groupWeight = positiveInt(value, key, 1, 256);
        break;
      case 'weight':
        be.weight = positiveInt(value, key, 1, 256);
        break;
      case 'dnf':
        be.dnf = noValue();
        break;
      default:
        throw new UsageError(`backend: unknown parameter ${p}`);
    }
    if (!EFFECTIVE_PARAMS.backend.has(key)) warn(`backend: parameter ${key} is accepted but not yet effective`);
  }
  if (Object.keys(cookie).length) be.affinityCookie = cookie;
  if (be.affinity === 'cookie' && !cookie.name)
    throw new UsageError('backend: affinity-cookie-name is mandatory if affinity=cookie is specified');
  return be;
}

/** `http://[USER:PASS@]HOST:PORT` of --backend-http-proxy-uri. */
export function parseProxyUri(text: string): ProxyUri {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`backend-http-proxy-uri: Could not parse URI ${text}`);
  }
  if (u.protocol !== 'http:') throw new UsageError(`backend-http-proxy-uri: only http:// proxies are supported: ${text}`);
  if (!u.hostname) throw new UsageError(`backend-http-proxy-uri: no host in ${text}`);
  const out: ProxyUri = { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 80 };
  if (u.username) out.userinfo = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  return out;
}

/**
 * `NAME: VALUE` of --add-request-header / --add-response-header, read by the kit's one header
 * parser (common/headers.ts): as in the reference, an empty value is allowed, a pseudo-header or
 * a value with CR, LF or NUL is not, and any refusal is its one line "invalid header field".
 */
export function parseHeaderOption(text: string, what: string): [string, string] {
  try {
    return parseHeaderArg(text, what, { pseudo: false, emptyValue: true });
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${what}: invalid header field: ${text}`);
    throw e;
  }
}
