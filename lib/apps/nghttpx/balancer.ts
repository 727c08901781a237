/**
 * nghttpx's load balancing, pure (no I/O, the clock is passed in): the health of each backend
 * address (connect failures, exponential backoff, `fall`/`rise` offline/online), and the choice of
 * a backend in a pattern's group by weighted fair queueing over `group`s (`group-weight`) and
 * their addresses (`weight`), or by session affinity (`affinity=ip|cookie`) on a hash ring.
 */
import crypto = require('crypto');

/** Cookie-based affinity settings (`affinity-cookie-*` backend parameters). */
export interface AffinityCookie {
  name: string;
  /** `affinity-cookie-path`; omitted from Set-Cookie when undefined. */
  path?: string;
  /** `affinity-cookie-secure`: `auto` sets Secure for https requests. */
  secure: 'auto' | 'yes' | 'no';
  /** `affinity-cookie-stickiness`. */
  stickiness: 'loose' | 'strict';
}

/** A group's session affinity. */
export type Affinity = { type: 'none' } | { type: 'ip' } | { type: 'cookie'; cookie: AffinityCookie };

/** nghttpx's connect-blocker backoff: 1.5^n seconds (n capped at 10), +-20% jitter, capped by --backend-max-backoff. */
const BACKOFF_MULTIPLIER = 1.5;
const BACKOFF_MAX_EXP = 10;
const BACKOFF_JITTER = 0.2;

/**
 * What is known of one backend address's reachability. Connect failures block it for a backoff
 * interval; with `fall` > 0, `fall` failures in a row take it offline until `rise` health checks
 * in a row succeed (`rise` 0: offline for good).
 */
export class BackendHealth {
  /** Consecutive connect failures. */
  failures = 0;
  /** Consecutive successful health checks while offline. */
  successes = 0;
  /** Excluded from balancing until this time (ms), after a connect failure. */
  blockedUntil = 0;
  /** Taken out of balancing by `fall`. */
  offline = false;
  /** Called when the address goes offline (start health checks) or back online. */
  onChange?: (offline: boolean) => void;

  constructor(
    readonly fall: number,
    readonly rise: number,
    private readonly maxBackoffMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The interval (ms) after the n-th consecutive failure: also the health-check period. */
  backoffMs(n = this.failures): number {
    const base = BACKOFF_MULTIPLIER ** Math.min(BACKOFF_MAX_EXP, n) * 1000;
    const jittered = base + (this.random() * 2 - 1) * BACKOFF_JITTER * base;
    return Math.min(this.maxBackoffMs, jittered);
  }

  /**
   * Whether a request may be sent here at `now` (ms; the clock is read only when the address has
   * been blocked since its last success, so a healthy backend costs no clock read per request).
   */
  usable(now?: number): boolean {
    if (this.offline) return false;
    const until = this.blockedUntil;
    return until === 0 || until <= (now ?? Date.now());
  }

  /** A connection attempt failed. */
  connectFailed(now: number): void {
    this.failures++;
    this.blockedUntil = now + this.backoffMs();
    if (this.fall > 0 && this.failures >= this.fall && !this.offline) {
      this.offline = true;
      this.successes = 0;
      this.onChange?.(true);
    }
  }

  /** A connection was made. */
  connected(): void {
    this.failures = 0;
    this.blockedUntil = 0;
  }

  /** Result of one health check while offline; true when the address is back online. */
  checked(ok: boolean): boolean {
    if (!this.offline) return true;
    if (!ok) {
      this.successes = 0;
      this.failures++;
      return false;
    }
    this.successes++;
    if (this.rise > 0 && this.successes >= this.rise) {
      this.offline = false;
      this.failures = 0;
      this.blockedUntil = 0;
      this.successes = 0;
      this.onChange?.(false);
      return true;
    }
    return false;
  }
}

/** One address of a group as the balancer sees it. */
export interface Member<T> {
  target: T;
  /** Stable identity for hashing (`host:port` or `unix:PATH`). */
  key: string;
  health: BackendHealth;
  /** `weight` (1..256). */
  weight: number;
  /** `group` ('' = the unnamed default group). */
  group: string;
  /** `group-weight` (1..256). */
  groupWeight: number;
}

/** What the request contributes to the choice. */
export interface ChooseContext {
  remoteAddress: string;
  /** The request's Cookie field values (for cookie affinity). */
  cookies?: string[];
  /** https request (cookie `Secure` under `auto`). */
  secure: boolean;
  /** Members already tried for this request (a failed connect goes to another one). */
  exclude?: ReadonlySet<unknown>;
  /** The time (ms) backoffs are judged by; default: the clock, read only if a member is blocked. */
  now?: number;
}

/** The choice: a backend, and a Set-Cookie value to add to the response (cookie affinity). */
export interface Choice<T> {
  target: T;
  setCookie?: string;
}

/** Weighted fair queueing: the entry with the smallest virtual time goes next. */
interface WfqEntry {
  cycle: number;
  seq: number;
  weight: number;
}

const WFQ_SCALE = 65536;

function wfqPick<E extends WfqEntry>(entries: E[], ok: (e: E) => boolean, nextSeq: () => number): E | undefined {
  let best: E | undefined;
  for (const e of entries) {
    if (!ok(e)) continue;
    if (!best || e.cycle < best.cycle || (e.cycle === best.cycle && e.seq < best.seq)) best = e;
  }
  if (best) {
    best.cycle += WFQ_SCALE / best.weight;
    best.seq = nextSeq();
  }
  return best;
}

function hash32(text: string): number {
  return crypto.createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** Points each address gets on the affinity hash ring. */
const RING_POINTS = 20;

/** Parse a Cookie field value into name=value pairs. */
function cookieValue(fields: string[] | undefined, name: string): string | undefined {
  if (!fields) return undefined;
  for (const f of fields) {
    for (const part of f.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** The backends of one pattern, and how a request picks one. */
export class Balancer<T> {
  private readonly groups: (WfqEntry & { members: (WfqEntry & { m: Member<T> })[] })[] = [];
  private seq = 0;
  /** The answer of a one-member group without affinity (the same every time). */
  private only: Choice<T> | undefined;
  /** Affinity hash ring: sorted (hash, member index). */
  private readonly ring: { hash: number; index: number }[] = [];
  /** Strict cookie stickiness: a member's own cookie value. */
  private readonly memberHash: number[];

  constructor(
    readonly members: Member<T>[],
    readonly affinity: Affinity = { type: 'none' },
    private readonly random: () => number = Math.random,
  ) {
    const byName = new Map<string, (typeof this.groups)[number]>();
    for (const m of members) {
      let g = byName.get(m.group);
      if (!g) {
        g = { cycle: 0, seq: this.seq++, weight: m.groupWeight, members: [] };
        byName.set(m.group, g);
        this.groups.push(g);
      }
      g.weight = Math.max(g.weight, m.groupWeight);
      g.members.push({ cycle: 0, seq: this.seq++, weight: m.weight, m });
    }
    members.forEach((m, index) => {
      for (let i = 0; i < RING_POINTS; i++) this.ring.push({ hash: hash32(`${m.key}#${i}`), index });
    });
    this.ring.sort((a, b) => a.hash - b.hash);
    this.memberHash = members.map((m) => hash32(m.key));
  }

  /** The first usable member at or after `h` on the ring. */
  private onRing(h: number, ok: (m: Member<T>) => boolean): Member<T> | undefined {
    const r = this.ring;
    if (!r.length) return undefined;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid].hash < h) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 0; i < r.length; i++) {
      const m = this.members[r[(lo + i) % r.length].index];
      if (ok(m)) return m;
    }
    return undefined;
  }

  /**
   * Choose a backend for a request; undefined when every member is offline, backing off after a
   * failed connect, or already tried: as nghttpx 1.52, whose connect blocker answers 502 at once
   * (no connect) while a lone backend backs off.
   */
  choose(ctx: ChooseContext): Choice<T> | undefined {
    // One member and no affinity (the common `-b host,port`): no queue to turn, nothing to allocate.
    if (this.members.length === 1 && this.affinity.type === 'none') {
      const m = this.members[0];
      if (m.health.usable(ctx.now) && !ctx.exclude?.has(m.target)) return (this.only ??= { target: m.target });
    }
    const ok = (m: Member<T>) => m.health.usable(ctx.now) && !ctx.exclude?.has(m.target);
    const a = this.affinity;
    if (a.type === 'ip') {
      const m = this.onRing(hash32(ctx.remoteAddress), ok);
      return m && { target: m.target };
    }
    if (a.type === 'cookie') {
      const c = a.cookie;
      const v = cookieValue(ctx.cookies, c.name);
      const h = v !== undefined && /^[0-9a-f]{8}$/.test(v) ? parseInt(v, 16) : undefined;
      if (h !== undefined) {
        const m = c.stickiness === 'strict' ? this.members.find((x, i) => this.memberHash[i] === h && ok(x)) : this.onRing(h, ok);
        if (m) return { target: m.target };
      }
      // No (usable) cookie: pick anew and tell the client.
      let m: Member<T> | undefined;
      let value: number;
      if (c.stickiness === 'strict') {
        m = this.wfq(ok);
        value = m ? this.memberHash[this.members.indexOf(m)] : 0;
      } else {
        value = Math.floor(this.random() * 0x100000000) >>> 0;
        m = this.onRing(value, ok);
      }
      if (!m) return undefined;
      let cookie = `${c.name}=${value.toString(16).padStart(8, '0')}`;
      if (c.path !== undefined) cookie += `; Path=${c.path}`;
      if (c.secure === 'yes' || (c.secure === 'auto' && ctx.secure)) cookie += '; Secure';
      return { target: m.target, setCookie: cookie };
    }
    const m = this.wfq(ok);
    return m && { target: m.target };
  }

  private wfq(ok: (m: Member<T>) => boolean): Member<T> | undefined {
    const next = () => this.seq++;
    for (;;) {
      const g = wfqPick(this.groups, (e) => e.members.some((x) => ok(x.m)), next);
      if (!g) return undefined;
      const e = wfqPick(g.members, (x) => ok(x.m), next);
      if (e) return e.m;
    }
  }
}
