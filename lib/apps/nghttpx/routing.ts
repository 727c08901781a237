/**
 * nghttpx's request routing, pure: parsing `-b` patterns and choosing the backend group for a
 * request's host and path with the man page's rules (ServeMux-like; host patterns first).
 */

/** One routing pattern: an optional host (lowercase, maybe `*.suffix`) and a path. */
export interface RoutePattern {
  /** '' when the pattern has no host part. */
  host: string;
  /** Always starts with '/'. A trailing '/' means "this subtree"; a trailing '*' a wildcard path. */
  path: string;
  /** The pattern as written (after normalisation), used to group backends. */
  key: string;
}

/** A routing table entry: a pattern and the backend group it selects. */
export interface Route<T> {
  pattern: RoutePattern;
  target: T;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** A path that normalises to itself unless it has a dot-segment. */
const SIMPLE_PATH = /^\/[^?#%]*$/;

/**
 * Path normalisation as the man page says: "percent-encoded unreserved characters defined in
 * RFC 3986 are decoded, and any dot-segments ("..", ".") are resolved and removed". The query
 * is not part of matching.
 */
export function normalizePath(raw: string): string {
  // The common case, once per request: no query, no percent-encoding, no dot-segment: nothing to do.
  if (SIMPLE_PATH.test(raw) && raw.indexOf('/.') < 0) return raw;
  let path = raw;
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  if (!path.startsWith('/')) path = '/' + path;
  path = path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : m.toUpperCase();
  });
  // RFC 3986 section 5.2.4 remove_dot_segments, on a path that starts with '/'.
  const out: string[] = [];
  const segs = path.split('/').slice(1);
  segs.forEach((s, i) => {
    const last = i === segs.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(s);
  });
  return '/' + out.join('/');
}

/** The request host for matching: lowercase, without port or IPv6 brackets' port. */
export function normalizeHost(authority: string | undefined): string {
  if (!authority) return '';
  let h = authority.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h;
}

/**
 * Parse one pattern (`/path`, `/dir/`, `host`, `host/path`, `*.suffix/path`, `/foo*`). An empty
 * pattern is the catch-all `/`.
 */
export function parsePattern(text: string): RoutePattern {
  if (text === '') return { host: '', path: '/', key: '/' };
  const slash = text.indexOf('/');
  const host = (slash < 0 ? text : text.slice(0, slash)).toLowerCase();
  let path = slash < 0 ? '/' : text.slice(slash);
  const wildcard = path.endsWith('*');
  if (wildcard) path = normalizePath(path.slice(0, -1)) + '*';
  else {
    const dir = path.endsWith('/');
    path = normalizePath(path);
    if (dir && !path.endsWith('/')) path += '/';
  }
  return { host, path, key: host + path };
}

/** Whether a normalised request path matches a pattern's path. */
export function pathMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('*')) {
    // "All paths which include the wildcard path without last "*" as prefix, and are strictly
    // longer than wildcard path without last "*" are matched."
    const prefix = pattern.slice(0, -1);
    return path.length > prefix.length && path.startsWith(prefix);
  }
  if (pattern.endsWith('/')) return path.startsWith(pattern) || path === pattern.slice(0, -1);
  return path === pattern;
}

function longest<T>(routes: Route<T>[], path: string): Route<T> | undefined {
  let best: Route<T> | undefined;
  for (const r of routes) {
    if (!pathMatches(r.pattern.path, path)) continue;
    if (!best || r.pattern.path.length > best.pattern.path.length) best = r;
  }
  return best;
}

/**
 * Choose a route: "Patterns with host take precedence over patterns with just path. Then, longer
 * patterns take precedence over shorter ones." Exact hosts beat wildcard hosts; among wildcard
 * hosts the longest suffix wins ("The "*" must match at least one character").
 */
export function matchRoute<T>(routes: Route<T>[], authority: string | undefined, rawPath: string): Route<T> | undefined {
  const host = normalizeHost(authority);
  const path = normalizePath(rawPath);
  if (host) {
    const exact = longest(
      routes.filter((r) => r.pattern.host === host),
      path,
    );
    if (exact) return exact;
    const wild = routes
      .filter((r) => r.pattern.host.startsWith('*') && host.length > r.pattern.host.length - 1 && host.endsWith(r.pattern.host.slice(1)))
      .sort((a, b) => b.pattern.host.length - a.pattern.host.length);
    for (let i = 0; i < wild.length; ) {
      const same = wild.filter((r) => r.pattern.host === wild[i].pattern.host);
      const m = longest(same, path);
      if (m) return m;
      i += same.length;
    }
  }
  return longest(
    routes.filter((r) => r.pattern.host === ''),
    path,
  );
}
