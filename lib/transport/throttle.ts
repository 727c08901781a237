/**
 * Rate limiting as a seam the transport consults, not a patched socket: token buckets for what one
 * connection reads and writes. A reader reports each chunk with `read(n)` and stops reading when
 * told to (its `onReadable` callback says when to go on); a writer asks `writeAllowance()` before
 * it writes, reports `wrote(n)`, and waits with `whenWritable(cb)` when the allowance is 0.
 * Time comes from an injected clock, so the whole policy can be checked without real timers.
 * {@link ThrottledWriter} is the write side for a writer that writes into a socket in many places.
 */
import { Writable } from 'stream';

/** Where a throttle reads the time and sets its timers (the system's by default). */
export interface ThrottleClock {
  /** Milliseconds. */
  now(): number;
  /** Call `fn` once, in `ms` milliseconds; returns a handle for clearTimeout. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a timer set by setTimeout. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: Date.now and the event loop's timers. */
export const SYSTEM_CLOCK: ThrottleClock = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A token bucket with an injected clock (milliseconds), so it can be checked without timers. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `rate` bytes per second refill a bucket of `burst` bytes (0: `rate`); it starts full. */
  constructor(
    readonly rate: number,
    burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = burst > 0 ? burst : rate;
    this.tokens = this.burst;
    this.last = now();
  }

  /** The bucket's size in bytes. */
  readonly burst: number;

  /** Tokens there now (negative while bytes taken past an empty bucket are paid back). */
  available(): number {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000);
      this.last = t;
    }
    return this.tokens;
  }

  /** Spend `n` tokens; bytes already read may take the bucket below zero. */
  take(n: number): void {
    this.available();
    this.tokens -= n;
  }

  /** Milliseconds until `n` tokens (at most the bucket's size) are there; 0 if they are now. */
  delayUntil(n: number): number {
    const want = Math.min(n, this.burst);
    const have = this.available();
    return have >= want ? 0 : Math.ceil(((want - have) * 1000) / this.rate);
  }
}

/** Tokens every bucket of `list` has now (Infinity for none). */
function available(list: TokenBucket[]): number {
  let n = Number.POSITIVE_INFINITY;
  for (let i = 0; i < list.length; i++) n = Math.min(n, list[i].available());
  return n;
}

/** Milliseconds until every bucket of `list` holds `n` tokens (or is full). */
function delayUntil(list: TokenBucket[], n: number): number {
  let ms = 0;
  for (let i = 0; i < list.length; i++) ms = Math.max(ms, list[i].delayUntil(n));
  return ms;
}

/**
 * The tokens a held side waits for before it moves again (or a full bucket, if smaller): a few
 * packets at a time, not a trickle of tiny reads and writes.
 */
export const RESUME_AT = 16384;

/**
 * One connection's read and write limits. Each direction is bounded by every bucket given for it
 * (its own, and any shared with other connections, e.g. a worker's); no bucket: not limited.
 */
export class Throttle {
  /** Reads wait for tokens: the reader was told to stop and has not been told to go on. */
  readHeld = false;
  private readTimer: unknown;
  private writeTimer: unknown;
  private readable: (() => void) | undefined;
  private writers: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly reads: TokenBucket[],
    private readonly writes: TokenBucket[],
    private readonly clock: ThrottleClock = SYSTEM_CLOCK,
  ) {}

  /** Whether reads are limited. */
  get limitsReads(): boolean {
    return this.reads.length > 0;
  }

  /** Whether writes are limited. */
  get limitsWrites(): boolean {
    return this.writes.length > 0;
  }

  /** Throttle the reads of `source`: paused now if `alreadyRead` bytes empty the buckets, resumed by {@link onReadable}. */
  attach(source: { pause(): unknown; resume(): unknown }, alreadyRead = 0): void {
    this.onReadable(() => source.resume());
    if (!this.read(alreadyRead)) source.pause();
  }

  /** `cb` is called each time reads held by {@link read} may go on. */
  onReadable(cb: () => void): void {
    this.readable = cb;
  }

  /**
   * `n` bytes were read: spend them. False when the reader must stop now (the buckets are empty);
   * the `onReadable` callback follows once they hold {@link RESUME_AT} tokens again.
   */
  read(n: number): boolean {
    const b = this.reads;
    if (b.length === 0) return true;
    for (let i = 0; i < b.length; i++) b[i].take(n);
    if (this.readHeld) return false;
    if (available(b) > 0) return true;
    this.readHeld = true;
    this.readTimer = this.clock.setTimeout(this.readsRefilled, delayUntil(b, RESUME_AT));
    return false;
  }

  private readonly readsRefilled = (): void => {
    this.readTimer = undefined;
    if (this.closed) return;
    // A shared bucket may have been spent by another connection meanwhile: wait again.
    const ms = delayUntil(this.reads, RESUME_AT);
    if (ms > 0) {
      this.readTimer = this.clock.setTimeout(this.readsRefilled, ms);
      return;
    }
    this.readHeld = false;
    this.readable?.();
  };

  /**
   * Bytes that may be written now (Infinity when writes are not limited; 0 while a writer waits
   * or the buckets hold less than {@link RESUME_AT}, or a full bucket if smaller).
   */
  writeAllowance(): number {
    const b = this.writes;
    if (b.length === 0) return Number.POSITIVE_INFINITY;
    if (this.writeTimer !== undefined || delayUntil(b, RESUME_AT) > 0) return 0;
    return Math.floor(available(b));
  }

  /** `n` bytes were written: spend them (past an empty bucket too: the debt is paid back first). */
  wrote(n: number): void {
    const b = this.writes;
    for (let i = 0; i < b.length; i++) b[i].take(n);
  }

  /** {@link wrote} for the bytes of every buffer in `parts`. */
  wroteParts(parts: Buffer[]): void {
    let n = 0;
    for (let i = 0; i < parts.length; i++) n += parts[i].length;
    this.wrote(n);
  }

  /** Call `cb` once, when {@link writeAllowance} is no longer 0 (a callback already waiting is not added twice). */
  whenWritable(cb: () => void): void {
    if (this.closed || this.writers.includes(cb)) return;
    this.writers.push(cb);
    if (this.writeTimer === undefined)
      this.writeTimer = this.clock.setTimeout(this.writesRefilled, Math.max(1, delayUntil(this.writes, RESUME_AT)));
  }

  private readonly writesRefilled = (): void => {
    this.writeTimer = undefined;
    if (this.closed) return;
    const ms = delayUntil(this.writes, RESUME_AT);
    if (ms > 0) {
      this.writeTimer = this.clock.setTimeout(this.writesRefilled, ms);
      return;
    }
    const list = this.writers;
    this.writers = [];
    for (let i = 0; i < list.length; i++) list[i]();
  };

  /** The connection is gone: no more timers or callbacks. */
  close(): void {
    this.closed = true;
    if (this.readTimer !== undefined) this.clock.clearTimeout(this.readTimer);
    if (this.writeTimer !== undefined) this.clock.clearTimeout(this.writeTimer);
    this.readTimer = this.writeTimer = undefined;
    this.readable = undefined;
    this.writers = [];
  }
}

/**
 * A Writable in front of a socket whose bytes leave as fast as `throttle` allows: a chunk goes
 * out as far as the tokens reach, the rest after the refill, one chunk at a time behind the
 * socket's own backpressure. Ending it ends the socket once everything queued has left;
 * destroying it destroys the socket, and the socket's close destroys it.
 */
export class ThrottledWriter extends Writable {
  constructor(
    private readonly socket: Writable,
    private readonly throttle: Throttle,
  ) {
    super({ highWaterMark: socket.writableHighWaterMark });
    socket.once('close', () => this.destroy());
  }

  /** @internal Writable: meter one chunk out. */
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.send(chunk, cb);
  }

  private send(buf: Buffer, cb: (err?: Error | null) => void): void {
    const s = this.socket;
    // A socket gone drops what is left, as its own writes would.
    if (s.destroyed) return cb();
    const allowed = this.throttle.writeAllowance();
    if (allowed <= 0) return this.throttle.whenWritable(() => this.send(buf, cb));
    const n = Math.min(allowed, buf.length);
    this.throttle.wrote(n);
    const rest = n < buf.length ? buf.subarray(n) : undefined;
    const next = rest ? () => this.send(rest, cb) : () => cb();
    if (s.write(n < buf.length ? buf.subarray(0, n) : buf)) next();
    else s.once('drain', next);
  }

  /** @internal Writable: end the socket once everything queued has left. */
  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end();
    cb();
  }

  /** @internal Writable: the socket goes with it, and the throttle's timers. */
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.throttle.close();
    this.socket.destroy();
    cb(err);
  }
}
