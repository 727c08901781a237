/**
 * nghttpx's --read-rate/--read-burst, --write-rate/--write-burst and their --worker-* forms: a
 * {@link Throttle} (lib/transport/throttle.ts: token buckets, rate = bytes refilled per second,
 * burst = the bucket's size) per frontend connection, which the HTTP/2 connection and the HTTP/1.x
 * frontend consult as they read and write. The worker buckets are shared by every connection of
 * one worker.
 */
import { SYSTEM_CLOCK, Throttle, type ThrottleClock, TokenBucket } from '../../transport/throttle';
import type { NghttpxOptions } from './config';

/** A `rate`/`burst` option pair as a bucket, or none when the rate is 0 (unlimited). */
function bucket(rate: number, burst: number, now: () => number): TokenBucket[] {
  return rate > 0 ? [new TokenBucket(rate, burst, now)] : [];
}

/** The rate options of nghttpx (`--read-rate` ... `--worker-write-burst`, in bytes). */
export type RateOptions = Pick<
  NghttpxOptions,
  'readRate' | 'readBurst' | 'writeRate' | 'writeBurst' | 'workerReadRate' | 'workerReadBurst' | 'workerWriteRate' | 'workerWriteBurst'
>;

/** Rate limits of one worker: `throttle()` makes each frontend connection's {@link Throttle}. */
export class RateLimits {
  private readonly workerRead: TokenBucket[];
  private readonly workerWrite: TokenBucket[];

  constructor(
    private readonly o: RateOptions,
    private readonly clock: ThrottleClock = SYSTEM_CLOCK,
  ) {
    const now = () => clock.now();
    this.workerRead = bucket(o.workerReadRate, o.workerReadBurst, now);
    this.workerWrite = bucket(o.workerWriteRate, o.workerWriteBurst, now);
  }

  /** Whether any of the options limits anything. */
  get active(): boolean {
    const o = this.o;
    return o.readRate > 0 || o.writeRate > 0 || o.workerReadRate > 0 || o.workerWriteRate > 0;
  }

  /**
   * A new connection's throttle: its own buckets and the worker's (for the TLSSocket of a TLS
   * connection, so plaintext is counted, as nghttpx counts SSL_read/SSL_write); undefined when
   * nothing is limited.
   */
  throttle(): Throttle | undefined {
    if (!this.active) return undefined;
    const o = this.o;
    const now = () => this.clock.now();
    const read = [...bucket(o.readRate, o.readBurst, now), ...this.workerRead];
    const write = [...bucket(o.writeRate, o.writeBurst, now), ...this.workerWrite];
    return new Throttle(read, write, this.clock);
  }
}
