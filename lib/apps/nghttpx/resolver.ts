/**
 * How nghttpx finds its backends' addresses: `--backend-address-family` (auto, IPv4 or IPv6: only
 * that family is considered) and a small cache honouring `--dns-cache-timeout` ("nghttpx caches
 * the unsuccessful results as well"), `--dns-lookup-timeout` ("for the 2nd and later queries,
 * server is given time based on this timeout, and it is scaled linearly") and `--dns-max-try`.
 * Backends hand {@link BackendResolver.lookup} to net/tls.connect as their `lookup`.
 */
import dns = require('dns');
import net = require('net');

/** One resolved address, as dns.lookup gives it with `all: true`. */
export interface Resolved {
  address: string;
  family: number;
}

/** A name lookup: dns.lookup's `all: true` form as a promise (injected by tests). */
export type LookupAll = (host: string, family: 0 | 4 | 6) => Promise<Resolved[]>;

const systemLookup: LookupAll = (host, family) =>
  new Promise((resolve, reject) => dns.lookup(host, { family, all: true }, (err, list) => (err ? reject(err) : resolve(list))));

/** The resolver's settings (ms), the reference's defaults when absent. */
export interface ResolverOptions {
  /** `--backend-address-family`. */
  family?: 'auto' | 'IPv4' | 'IPv6' | string;
  /** `--dns-cache-timeout` (10 s). */
  cacheTimeout?: number;
  /** `--dns-lookup-timeout` (5 s): the first try's bound; try N gets N times it. */
  lookupTimeout?: number;
  /** `--dns-max-try` (2). */
  maxTry?: number;
}

/** The backends' resolver: family filter, timeouts and retries, and a cache of answers and failures. */
export class BackendResolver {
  private readonly family: 0 | 4 | 6;
  private readonly cacheTimeout: number;
  private readonly lookupTimeout: number;
  private readonly maxTry: number;
  private readonly cache = new Map<string, { expires: number; result: Promise<Resolved[]> }>();

  constructor(
    o: ResolverOptions = {},
    private readonly lookupAll: LookupAll = systemLookup,
    private readonly now: () => number = Date.now,
  ) {
    this.family = o.family === 'IPv4' ? 4 : o.family === 'IPv6' ? 6 : 0;
    this.cacheTimeout = o.cacheTimeout ?? 10_000;
    this.lookupTimeout = o.lookupTimeout ?? 5_000;
    this.maxTry = Math.max(1, o.maxTry ?? 2);
  }

  /** The addresses of `host` (an address literal of the allowed family is its own answer). */
  resolve(host: string): Promise<Resolved[]> {
    const literal = net.isIP(host);
    if (literal) {
      if (this.family && literal !== this.family) return Promise.reject(notFound(host, this.family));
      return Promise.resolve([{ address: host, family: literal }]);
    }
    const now = this.now();
    const hit = this.cache.get(host);
    if (hit && hit.expires > now) return hit.result;
    const result = this.query(host);
    result.catch(() => undefined);
    this.cache.set(host, { expires: now + this.cacheTimeout, result });
    // Bounded: expired entries go when the map grows (backends are few; a DNS flood is not).
    if (this.cache.size > 1024) for (const [k, v] of this.cache) if (v.expires <= now) this.cache.delete(k);
    return result;
  }

  private async query(host: string): Promise<Resolved[]> {
    let last: Error | undefined;
    for (let attempt = 1; attempt <= this.maxTry; attempt++) {
      try {
        const list = await withTimeout(this.lookupAll(host, this.family), this.lookupTimeout * attempt, host);
        const usable = this.family ? list.filter((r) => r.family === this.family) : list;
        if (usable.length === 0) throw notFound(host, this.family);
        return usable;
      } catch (err) {
        last = err as Error;
        // Only a query that timed out is tried again; an answer ("no such name") is final.
        if ((err as NodeJS.ErrnoException).code !== 'ETIMEOUT') break;
      }
    }
    throw last ?? notFound(host, this.family);
  }

  /** net.connect's `lookup` option (both its one-address and `all` forms). */
  readonly lookup = (
    hostname: string,
    options: dns.LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
  ): void => {
    this.resolve(hostname).then(
      (list) => (options.all ? callback(null, list) : callback(null, list[0].address, list[0].family)),
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

function notFound(host: string, family: number): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}${family ? ` (IPv${family} only)` : ''}`), { code: 'ENOTFOUND' });
}

function withTimeout<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(Object.assign(new Error(`DNS lookup of ${host} timed out after ${ms} ms`), { code: 'ETIMEOUT' })),
      ms,
    );
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
