/**
 * A token bucket for the session's rate limits: `burst` tokens, refilled at `perSecond`.
 * Time comes from the caller (sans-IO), in milliseconds.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.last = nowMs;
  }

  /** Take one token; false when the bucket is empty (the limit is tripped). */
  take(nowMs: number): boolean {
    const dt = nowMs - this.last;
    if (dt > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (dt * this.perSecond) / 1000);
      this.last = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
