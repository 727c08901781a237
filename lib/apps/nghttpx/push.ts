/**
 * nghttpx's server push: a backend's `Link: <...>; rel=preload` turned into PUSH_PROMISEs on the
 * HTTP/2 frontend (each promised request then forwarded like any other), and an h2 backend's own
 * pushes relayed to the client. Both only where the reference pushes (see {@link canPush}).
 */
import type { NghttpxOptions } from './config';
import type { Field, ProxyRequest } from './request';

/** Request fields the reference copies from the associated request into a promised one. */
const COPIED_FIELDS = new Set(['accept-encoding', 'accept-language', 'cache-control', 'host', 'user-agent']);

/**
 * Whether a response may carry pushes, as nghttpx decides: push not switched off
 * (`--no-server-push`), not a forward proxy (`-s`: "incoming headers are mixed origins"), the
 * associated request not itself a pushed one, and, for Link-driven pushes, a GET or POST answered
 * 200. The client's SETTINGS_ENABLE_PUSH is the frontend's to check (ClientSide.push).
 */
export function canPush(o: Pick<NghttpxOptions, 'noServerPush' | 'http2Proxy'>, req: ProxyRequest, status?: number): boolean {
  if (o.noServerPush || o.http2Proxy || req.pushed) return false;
  if (status === undefined) return true;
  return status === 200 && (req.method === 'GET' || req.method === 'POST');
}

/** Skip optional whitespace from `i`. */
function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

/** One link-param: its lowercase name and value (unquoted; undefined when it has none). */
interface LinkParam {
  name: string;
  value: string | undefined;
}

/**
 * The URI references of a Link field value (RFC 8288) that ask for a push: those with a `preload`
 * relation (`rel=preload` or one token of a quoted `rel="preload ..."`), and without `nopush`, a
 * non-empty `anchor` or a non-empty `loadpolicy` (the reference's rules). A malformed link-value
 * ends the parse; what was read before it stands.
 */
export function preloadLinks(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && (value[i] === ' ' || value[i] === '\t' || value[i] === ',')) i++;
    if (i >= n || value[i] !== '<') break;
    const close = value.indexOf('>', i + 1);
    if (close < 0) break;
    const uri = value.slice(i + 1, close);
    i = close + 1;
    const params: LinkParam[] = [];
    let bad = false;
    i = skipSpace(value, i);
    while (i < n && value[i] === ';') {
      i = skipSpace(value, i + 1);
      let j = i;
      while (j < n && !'=;,'.includes(value[j]) && value[j] !== ' ' && value[j] !== '\t') j++;
      const name = value.slice(i, j).toLowerCase();
      if (!name) {
        bad = true;
        break;
      }
      i = skipSpace(value, j);
      let v: string | undefined;
      if (value[i] === '=') {
        i = skipSpace(value, i + 1);
        if (value[i] === '"') {
          let k = i + 1;
          let text = '';
          while (k < n && value[k] !== '"') {
            if (value[k] === '\\' && k + 1 < n) k++;
            text += value[k++];
          }
          if (k >= n) {
            bad = true;
            break;
          }
          v = text;
          i = k + 1;
        } else {
          let k = i;
          while (k < n && value[k] !== ';' && value[k] !== ',') k++;
          v = value.slice(i, k).trim();
          if (!v) {
            bad = true;
            break;
          }
          i = k;
        }
      }
      params.push({ name, value: v });
      i = skipSpace(value, i);
    }
    if (bad) break;
    if (i < n && value[i] !== ',') break;
    const preload = params.some(
      (p) =>
        p.name === 'rel' &&
        p.value
          ?.toLowerCase()
          .split(/[ \t]+/)
          .includes('preload'),
    );
    const ignored = params.some(
      (p) => (p.name === 'nopush' && p.value === undefined) || ((p.name === 'anchor' || p.name === 'loadpolicy') && p.value),
    );
    if (uri && preload && !ignored) out.push(uri);
  }
  return out;
}

/** The :scheme, :authority and :path to promise for one link of a response to `req`, or undefined. */
export function pushTarget(req: ProxyRequest, uri: string): { scheme: string; authority: string | undefined; path: string } | undefined {
  const base = req.path.split('?')[0];
  if (!uri || !base.startsWith('/')) return undefined;
  // An absolute URI names its own scheme and authority; a network-path reference ("//host") is
  // not taken, as the reference refuses it; anything else resolves against the request's path.
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri);
  if (!absolute && uri.startsWith('//')) return undefined;
  let url: URL;
  try {
    url = new URL(uri, `http://placeholder${base}`);
  } catch {
    return undefined;
  }
  return {
    scheme: absolute ? url.protocol.slice(0, -1) : req.scheme,
    authority: absolute ? url.host : req.authority,
    path: url.pathname + url.search,
  };
}

/**
 * The promised requests (PUSH_PROMISE header lists) for a response to `req` carrying `fields`:
 * one per preload link, GET, with the associated request's accept-encoding, accept-language,
 * cache-control, host and user-agent.
 */
export function linkPushes(req: ProxyRequest, fields: Field[]): readonly Field[][] {
  // Most responses carry no Link: nothing allocated for them (this runs once per response).
  let i = 0;
  while (i < fields.length && fields[i][0] !== 'link') i++;
  if (i === fields.length) return NO_PUSHES;
  const out: Field[][] = [];
  const copied = req.fields.filter(([n]) => COPIED_FIELDS.has(n));
  for (const [name, value] of fields) {
    if (name !== 'link') continue;
    for (const uri of preloadLinks(value)) {
      const t = pushTarget(req, uri);
      if (!t) continue;
      const head: Field[] = [
        [':method', 'GET'],
        [':scheme', t.scheme],
        [':path', t.path],
      ];
      if (t.authority !== undefined) head.push([':authority', t.authority]);
      out.push([...head, ...copied]);
    }
  }
  return out;
}

/** The answer of {@link linkPushes} for a response without a Link field (not frozen: V8 reads frozen arrays on a slow path). */
const NO_PUSHES: readonly Field[][] = [];

/** The request record of a promised stream (`headers`: the PUSH_PROMISE's list), on `parent`'s connection. */
export function pushedRequest(parent: ProxyRequest, headers: Field[]): ProxyRequest {
  const get = (n: string) => headers.find((f) => f[0] === n)?.[1];
  const scheme = get(':scheme');
  return {
    ...parent,
    method: get(':method') ?? 'GET',
    scheme: scheme === 'http' || scheme === 'https' ? scheme : parent.scheme,
    authority: get(':authority') ?? get('host'),
    path: get(':path') ?? '/',
    fields: headers.filter(([n]) => !n.startsWith(':')),
    body: undefined,
    connectProtocol: undefined,
    upgrade: undefined,
    absoluteForm: undefined,
    requestTarget: undefined,
    pushed: true,
  };
}
