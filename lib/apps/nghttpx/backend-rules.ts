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
 * A catch-all pattern; within a group (addresses sharing a pattern) at most one affinity
 * configuration, one read and one write timeout, and one `group-weight` per `group`. As nghttpx
 * 1.52: addresses of one group may differ in protocol and TLS, and those without affinity or a
 * timeout take the group's (groupTimeouts).
 */
export function checkBackends(backends: BackendAddress[]): void {
  if (!backends.some((b) => b.patterns.some((p) => p.key === '/'))) {
    throw new UsageError('backend: No catch-all backend address is configured');
  }
  for (const [key, list] of byPattern(backends)) {
    // "affinity: multiple different affinity configurations found in a single group" only
    // between addresses that set one: an address without affinity takes the group's.
    const set = list.filter((b) => b.affinity !== undefined && b.affinity !== 'none').map((b) => JSON.stringify(affinityOf(b)));
    if (set.some((a) => a !== set[0]))
      throw new UsageError('backend: affinity: multiple different affinity configurations found in a single group');
    for (const [param, field] of [
      ['read-timeout', 'readTimeout'],
      ['write-timeout', 'writeTimeout'],
    ] as const) {
      const values = new Set(list.flatMap((b) => (b[field] === undefined ? [] : [b[field]])));
      if (values.size > 1) throw new UsageError(`backend: ${param}: multiple different ${param} found in a single group`);
    }
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

/** The addresses of each pattern key, in `-b` order. */
function byPattern(backends: BackendAddress[]): Map<string, BackendAddress[]> {
  const out = new Map<string, BackendAddress[]>();
  for (const b of backends) for (const p of b.patterns) out.set(p.key, [...(out.get(p.key) ?? []), b]);
  return out;
}

/**
 * Each address's `read-timeout`/`write-timeout` as nghttpx applies them: "If some backends do not
 * specify read/write timeout, and there is at least one backend with read/write timeout, it is
 * used for all backends in the group" (checkBackends has made sure a group sets at most one).
 */
export function groupTimeouts(backends: BackendAddress[]): Map<BackendAddress, { readTimeout?: number; writeTimeout?: number }> {
  const out = new Map<BackendAddress, { readTimeout?: number; writeTimeout?: number }>();
  for (const b of backends) out.set(b, { readTimeout: b.readTimeout, writeTimeout: b.writeTimeout });
  for (const list of byPattern(backends).values()) {
    const read = list.find((b) => b.readTimeout !== undefined)?.readTimeout;
    const write = list.find((b) => b.writeTimeout !== undefined)?.writeTimeout;
    for (const b of list) {
      const t = out.get(b)!;
      t.readTimeout ??= read;
      t.writeTimeout ??= write;
    }
  }
  return out;
}
