/**
 * The rules a whole `-b` list must follow (checked when the configuration is read and when the
 * API replaces the backends), and each address's balancing parameters with their defaults.
 */
import { UsageError } from '../common/units';
import type { Affinity } from './balancer';
import type { BackendAddress } from './config';

/** `affinity=` of an address with its cookie settings and their defaults. */
export function affinityOf(b: BackendAddress): Affinity {
  if (b.affinity === 'ip') return { type: 'ip' };
  if (b.affinity !== 'cookie') return { type: 'none' };
  const c = b.affinityCookie ?? {};
  return { type: 'cookie', cookie: { name: c.name ?? '', path: c.path, secure: c.secure ?? 'auto', stickiness: c.stickiness ?? 'loose' } };
}

/**
 * A catch-all pattern; within a group (addresses sharing a pattern) one protocol and TLS setting,
 * one affinity configuration, one pair of timeouts, and one `group-weight` per `group`.
 */
export function checkBackends(backends: BackendAddress[]): void {
  if (!backends.some((b) => b.patterns.some((p) => p.key === '/'))) {
    throw new UsageError('backend: No catch-all backend address is configured');
  }
  const byPattern = new Map<string, BackendAddress[]>();
  for (const b of backends) for (const p of b.patterns) byPattern.set(p.key, [...(byPattern.get(p.key) ?? []), b]);
  for (const [key, list] of byPattern) {
    const first = list[0];
    if (list.some((b) => b.proto !== first.proto || b.tls !== first.tls))
      throw new UsageError(`backend: all backends in the same group must use the same protocol and TLS setting: ${key}`);
    // As the reference: an address without affinity next to one with it is a different configuration.
    const aff = JSON.stringify(affinityOf(first));
    if (list.some((b) => JSON.stringify(affinityOf(b)) !== aff))
      throw new UsageError('backend: affinity: multiple different affinity configurations found in a single group');
    if (list.some((b) => b.readTimeout !== first.readTimeout || b.writeTimeout !== first.writeTimeout))
      throw new UsageError(`backend: read-timeout/write-timeout: all backends in the same group must have the same timeouts: ${key}`);
    const weights = new Map<string, number>();
    for (const b of list) {
      if (b.groupWeight === undefined) continue;
      const g = b.group ?? '';
      const prev = weights.get(g);
      if (prev !== undefined && prev !== b.groupWeight)
        throw new UsageError(`backend: group-weight: all addresses of group ${g || '(default)'} must have the same weight: ${key}`);
      weights.set(g, b.groupWeight);
    }
  }
}
