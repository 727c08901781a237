/**
 * The flood guard: the session's rate limits on what a peer makes us do, one token bucket per
 * kind of frame (the limits and their defaults are named in SessionLimits).
 */
import { ConnectionError, ErrorCode } from '../errors';
import { TokenBucket } from './token-bucket';
import type { SessionLimits } from './types';

/** The kinds of peer behaviour the guard meters. */
export type FloodKind = 'reset' | 'ping' | 'settings' | 'emptyData' | 'priority';

/** What a tripped limit says in its GOAWAY debug data. */
const FLOOD_MESSAGES: Record<FloodKind, string> = {
  // Rapid reset (CVE-2023-44487): every RST_STREAM the peer sends costs a token.
  reset: 'RST_STREAM flood (rapid reset)',
  // Ping flood (CVE-2019-9512).
  ping: 'PING flood',
  // Settings flood (CVE-2019-9515).
  settings: 'SETTINGS flood',
  // Empty frames flood (CVE-2019-9518).
  emptyData: 'flood of empty DATA frames',
  // Resource loop through PRIORITY (CVE-2019-9513).
  priority: 'PRIORITY flood',
};

/**
 * Five token buckets; time comes from the caller (sans-IO). A bucket is made on its kind's first
 * take: a bucket is full until then whenever it was made, so this is the same limit, and a
 * connection whose peer never resets, pings or sends PRIORITY holds one bucket, not five
 * (~0.4 KB per connection).
 */
export class FloodGuard {
  private reset: TokenBucket | null = null;
  private ping: TokenBucket | null = null;
  private settings: TokenBucket | null = null;
  private emptyData: TokenBucket | null = null;
  private priority: TokenBucket | null = null;

  constructor(private readonly L: SessionLimits) {}

  /** Take one token of `kind`; false when that limit is tripped. */
  take(kind: FloodKind, nowMs: number): boolean {
    return this.bucket(kind, nowMs).take(nowMs);
  }

  /** Take one token of `kind`, or throw the connection error ENHANCE_YOUR_CALM that ends a flood. */
  check(kind: FloodKind, nowMs: number): void {
    if (!this.bucket(kind, nowMs).take(nowMs)) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, FLOOD_MESSAGES[kind]);
  }

  private bucket(kind: FloodKind, nowMs: number): TokenBucket {
    const L = this.L;
    switch (kind) {
      case 'reset':
        return (this.reset ??= new TokenBucket(L.resetBurst, L.resetPerSecond, nowMs));
      case 'ping':
        return (this.ping ??= new TokenBucket(L.pingBurst, L.pingPerSecond, nowMs));
      case 'settings':
        return (this.settings ??= new TokenBucket(L.settingsBurst, L.settingsPerSecond, nowMs));
      case 'emptyData':
        return (this.emptyData ??= new TokenBucket(L.emptyDataBurst, L.emptyDataPerSecond, nowMs));
      default:
        return (this.priority ??= new TokenBucket(L.priorityBurst, L.priorityPerSecond, nowMs));
    }
  }
}
