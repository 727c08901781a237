/**
 * nghttpx's backend groups: the `-b` addresses sharing a pattern form one group, and the routing
 * table maps a request to its group. `select()` is the one place a backend is chosen for a request
 * (balancing, affinity and health plug in here).
 */
import { Backend, createBackend } from './backends';
import type { NghttpxOptions } from './options';
import type { ProxyRequest } from './request';
import { matchRoute, Route } from './routing';
import { backendTlsOptions } from './tls';

/** One backend group (backends sharing a pattern), balanced round-robin. */
export interface BackendGroup {
  /** The pattern key (`host/path`) the group serves. */
  readonly key: string;
  readonly backends: Backend[];
  /** Round-robin cursor. */
  next: number;
}

/** The routing table and every backend object, built once per configuration. */
export class BackendGroups {
  private readonly routes: Route<BackendGroup>[] = [];
  /** Every backend, in `-b` order. */
  readonly all: Backend[] = [];

  constructor(o: NghttpxOptions) {
    const groups = new Map<string, BackendGroup>();
    for (const addr of o.backends) {
      const be = createBackend(addr, backendTlsOptions(o, addr), { stream: o.backendHttp2WindowSize, connection: o.backendHttp2ConnectionWindowSize }, o.backendHttpProxyUri);
      this.all.push(be);
      for (const p of addr.patterns) {
        let g = groups.get(p.key);
        if (!g) {
          g = { key: p.key, backends: [], next: 0 };
          groups.set(p.key, g);
          this.routes.push({ pattern: p, target: g });
        }
        g.backends.push(be);
      }
    }
  }

  /** The group whose pattern matches the request (host and path), if any. */
  route(req: ProxyRequest): BackendGroup | undefined {
    // The man page: "CONNECT method ... we assume that CONNECT method has "/" as path."
    return matchRoute(this.routes, req.authority, req.method === 'CONNECT' ? '/' : req.path)?.target;
  }

  /** The backend to send `req` to: round-robin within its group. */
  select(req: ProxyRequest): { group: BackendGroup; backend: Backend } | undefined {
    const group = this.route(req);
    if (!group) return undefined;
    return { group, backend: group.backends[group.next++ % group.backends.length] };
  }

  /** Drop every pooled backend connection. */
  close(): void {
    for (const b of this.all) b.close();
  }
}
