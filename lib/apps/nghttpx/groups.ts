/**
 * nghttpx's backend groups: the `-b` addresses sharing a pattern form one group, and the routing
 * table maps a request to its group. `select()` is the one place a backend is chosen for a request:
 * the group's balancer (weights, `group`s, affinity) over the addresses that are not offline or
 * backing off after a failed connect; health checks bring offline ones back (`fall`/`rise`).
 */
import { Backend, BackendLimits, createBackend } from './backends';
import { BackendResolver } from './resolver';
import { Balancer, BackendHealth, Member } from './balancer';
import { watchHealth } from './health';
import { affinityOf, groupTimeouts } from './backend-rules';
import type { BackendAddress, NghttpxOptions } from './config';
import type { ProxyRequest } from './request';
import { matchRoute, Route } from './routing';
import { backendTlsOptions } from './tls';

/** One backend group (backends sharing a pattern). */
export interface BackendGroup {
  /** The pattern key (`host/path`) the group serves. */
  readonly key: string;
  readonly backends: Backend[];
  readonly balancer: Balancer<Backend>;
  /** `redirect-if-not-tls` on any address of the group. */
  readonly redirectIfNotTls: boolean;
  /** `dnf` on any address of the group. */
  readonly dnf: boolean;
}

/** The backend chosen for a request, and the affinity cookie to set (if any). */
export interface Selection {
  group: BackendGroup;
  backend: Backend;
  setCookie?: string;
}

/** `host:port` as nghttpx writes a backend's authority (the port left out when it is the scheme's default). */
function hostport(a: BackendAddress): string {
  if (a.unixPath !== undefined) return 'localhost';
  const host = a.host!.includes(':') ? `[${a.host}]` : a.host!;
  return a.port === (a.tls ? 443 : 80) ? host : `${host}:${a.port}`;
}

/** The routing table and every backend object, built once per configuration (or API replacement). */
export class BackendGroups {
  private readonly routes: Route<BackendGroup>[] = [];
  /** Every backend, in `-b` order. */
  readonly all: Backend[] = [];
  /** Health of each backend address (shared by every group it is in). */
  readonly health = new Map<Backend, BackendHealth>();
  /** Each backend's authority for `--host-rewrite` and the Location rewrite. */
  readonly hostports = new Map<Backend, string>();
  private readonly stops: (() => void)[] = [];

  constructor(
    o: NghttpxOptions,
    backends: BackendAddress[] = o.backends,
    log: (level: 'NOTICE' | 'WARN', msg: string) => void = () => undefined,
  ) {
    const groups = new Map<string, { key: string; members: Member<Backend>[]; addrs: BackendAddress[] }>();
    // One resolver (and cache) for every backend of this configuration.
    const resolver = new BackendResolver({
      family: o.backendAddressFamily,
      cacheTimeout: o.dnsCacheTimeout,
      lookupTimeout: o.dnsLookupTimeout,
      maxTry: o.dnsMaxTry,
    });
    const timeouts = groupTimeouts(backends);
    for (const addr of backends) {
      const p = addr;
      const own = timeouts.get(addr)!;
      const limits: BackendLimits = {
        connectTimeout: o.backendConnectTimeout,
        readTimeout: own.readTimeout ?? o.backendReadTimeout,
        writeTimeout: own.writeTimeout ?? o.backendWriteTimeout,
        keepAliveTimeout: o.backendKeepAliveTimeout,
        settingsTimeout: o.backendHttp2SettingsTimeout,
        headerBuffer: o.responseHeaderFieldBuffer,
        maxHeaderFields: o.maxResponseHeaderFields,
        lookup: resolver.lookup,
        responseBuffer: o.backendResponseBuffer,
      };
      const be = createBackend(
        addr,
        backendTlsOptions(o, addr),
        {
          stream: o.backendHttp2WindowSize,
          connection: o.backendHttp2ConnectionWindowSize,
          push: !o.noServerPush && !o.http2Proxy,
          maxConcurrentStreams: o.backendHttp2MaxConcurrentStreams,
          decoderTableSize: o.backendHttp2DecoderDynamicTableSize,
          encoderTableSize: o.backendHttp2EncoderDynamicTableSize,
          padding: o.padding,
        },
        o.backendHttpProxyUri,
        limits,
      );
      this.all.push(be);
      this.hostports.set(be, hostport(addr));
      const health = new BackendHealth(p.fall ?? 0, p.rise ?? 0, o.backendMaxBackoff);
      this.health.set(be, health);
      this.stops.push(
        watchHealth(
          health,
          { host: addr.host, port: addr.port, unixPath: addr.unixPath, tls: addr.tls, sni: addr.sni, timeoutMs: o.backendConnectTimeout },
          (online) => log(online ? 'NOTICE' : 'WARN', `Backend ${be.label} is ${online ? 'online' : 'offline'}`),
        ),
      );
      for (const pat of addr.patterns) {
        let g = groups.get(pat.key);
        if (!g) {
          g = { key: pat.key, members: [], addrs: [] };
          groups.set(pat.key, g);
          this.routes.push({ pattern: pat, target: undefined as unknown as BackendGroup });
        }
        g.addrs.push(addr);
        g.members.push({ target: be, key: be.label, health, weight: p.weight ?? 1, group: p.group ?? '', groupWeight: p.groupWeight ?? 1 });
      }
    }
    for (const r of this.routes) {
      const g = groups.get(r.pattern.key)!;
      // "If "group-weight" is omitted in an address, but the other address which belongs to the
      // same group specifies "group-weight", its weight is used."
      const gw = new Map<string, number>();
      for (const a of g.addrs) if (a.groupWeight !== undefined) gw.set(a.group ?? '', a.groupWeight);
      for (const m of g.members) m.groupWeight = gw.get(m.group) ?? 1;
      const affinity = affinityOf(g.addrs.find((a) => a.affinity !== undefined && a.affinity !== 'none') ?? g.addrs[0]);
      r.target = {
        key: g.key,
        backends: g.members.map((m) => m.target),
        balancer: new Balancer(g.members, affinity),
        redirectIfNotTls: g.addrs.some((a) => a.redirectIfNotTls === true),
        dnf: g.addrs.some((a) => a.dnf === true),
      };
    }
  }

  /** The group whose pattern matches the request (host and path), if any. */
  route(req: ProxyRequest): BackendGroup | undefined {
    // A lone catch-all pattern (plain `-b host,port`) takes every request: no host or path to look at.
    const routes = this.routes;
    if (routes.length === 1 && routes[0].pattern.host === '' && routes[0].pattern.path === '/') return routes[0].target;
    // The man page: "CONNECT method ... we assume that CONNECT method has "/" as path."
    return matchRoute(this.routes, req.routingHost ?? req.authority, req.method === 'CONNECT' ? '/' : req.path)?.target;
  }

  /**
   * The backend to send `req` to, skipping `exclude` (backends this request already failed to
   * reach); undefined when the group has none left.
   */
  select(req: ProxyRequest, group = this.route(req), exclude?: ReadonlySet<Backend>): Selection | undefined {
    if (!group) return undefined;
    const cookies = group.balancer.affinity.type === 'cookie' ? req.fields.filter((f) => f[0] === 'cookie').map((f) => f[1]) : undefined;
    const c = group.balancer.choose({
      remoteAddress: req.remoteAddress,
      cookies,
      secure: req.scheme === 'https',
      exclude,
    });
    return c && { group, backend: c.target, setCookie: c.setCookie };
  }

  /** A connection to `be` could not be made (counts toward `fall`, starts the backoff). */
  connectFailed(be: Backend): void {
    this.health.get(be)?.connectFailed(Date.now());
  }

  /** `be` answered: its failure count starts over. */
  connected(be: Backend): void {
    const h = this.health.get(be);
    if (h && h.failures) h.connected();
  }

  /** Drop every pooled backend connection and stop the health checks. */
  close(): void {
    for (const s of this.stops) s();
    for (const b of this.all) b.close();
  }
}
