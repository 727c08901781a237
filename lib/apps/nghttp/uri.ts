/**
 * The URIs nghttp is given: validated (http/https with a host), and split into what the
 * connection needs (host, port, TLS) and what the request carries (:authority and :path as the
 * user wrote them, as the reference sends them).
 */
import { UsageError } from '../common/units';

/** One URI to fetch. */
export interface TargetUri {
  /** As given (HAR's `url`, the de-duplication key). */
  raw: string;
  scheme: 'http' | 'https';
  /** Host to connect to, without IPv6 brackets. */
  host: string;
  port: number;
  /** `:authority`: host and port as written (port only when written). */
  authority: string;
  /** `:path`: path and query as written, `/` when empty; no fragment. */
  path: string;
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;

/** Parse and check one URI; throws UsageError naming it when it cannot be used. */
export function parseTargetUri(raw: string): TargetUri {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`Could not parse URI '${raw}'`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') {
    throw new UsageError(`Unsupported scheme '${scheme}' in URI '${raw}' (use http:// or https://)`);
  }
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)([^#]*)/.exec(raw);
  if (!m || url.hostname === '') throw new UsageError(`Could not parse URI '${raw}': no host`);
  const authority = m[1].replace(/^.*@/, '');
  let path = m[2];
  if (path === '') path = '/';
  else if (path.startsWith('?')) path = '/' + path;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? DEFAULT_PORT[scheme] : Number(url.port);
  return { raw, scheme, host, port, authority, path };
}

/** Whether two URIs are served over the same connection (scheme, host and port match). */
export function sameOrigin(a: Pick<TargetUri, 'scheme' | 'host' | 'port'>, b: Pick<TargetUri, 'scheme' | 'host' | 'port'>): boolean {
  return a.scheme === b.scheme && a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
}

/**
 * Consecutive URIs with the same origin share a connection; a different origin starts the next
 * connection (the reference runs them one after the other, in command-line order).
 */
export function groupByOrigin<T extends { uri: TargetUri }>(items: readonly T[]): T[][] {
  const groups: T[][] = [];
  for (const it of items) {
    const g = groups[groups.length - 1];
    // The same URI object (-m repeats it) is its own origin: no host comparison per request.
    if (g && (g[0].uri === it.uri || sameOrigin(g[0].uri, it.uri))) g.push(it);
    else groups.push([it]);
  }
  return groups;
}
