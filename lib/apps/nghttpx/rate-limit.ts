/**
 * nghttpx's --read-rate/--read-burst, --write-rate/--write-burst and their --worker-* forms: token
 * buckets (rate = bytes refilled per second, burst = the bucket's size) on a frontend connection's
 * socket. Reading stops while the bucket is empty and resumes once it has refilled; writes are held
 * until tokens exist. The worker buckets are shared by every connection of one worker.
 */
import type * as net from 'net';
import type { NghttpxOptions } from './config';

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

  /** Spend `n` tokens; a read already done may take the bucket below zero. */
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

/** One direction's limits: the connection's bucket and the worker's, each optional. */
export class RateLimit {
  constructor(private readonly buckets: TokenBucket[]) {}

  /** Tokens both buckets have now (Infinity when none limits). */
  available(): number {
    let n = Number.POSITIVE_INFINITY;
    for (const b of this.buckets) n = Math.min(n, b.available());
    return n;
  }

  /** Spend `n` tokens from every bucket. */
  take(n: number): void {
    for (const b of this.buckets) b.take(n);
  }

  /** Milliseconds until every bucket holds `n` tokens (or is full). */
  delayUntil(n: number): number {
    let ms = 0;
    for (const b of this.buckets) ms = Math.max(ms, b.delayUntil(n));
    return ms;
  }
}

/** The bytes a held side waits for before it moves again: a few packets, not a trickle of tiny reads/writes. */
const RESUME_AT = 16384;

/** A `rate`/`burst` option pair as a bucket, or none when the rate is 0 (unlimited). */
function bucket(rate: number, burst: number): TokenBucket[] {
  return rate > 0 ? [new TokenBucket(rate, burst)] : [];
}

/** The rate options of nghttpx (`--read-rate` ... `--worker-write-burst`, in bytes). */
export type RateOptions = Pick<
  NghttpxOptions,
  'readRate' | 'readBurst' | 'writeRate' | 'writeBurst' | 'workerReadRate' | 'workerReadBurst' | 'workerWriteRate' | 'workerWriteBurst'
>;

/** Rate limits of one worker: `limit(socket)` applies them to each frontend connection. */
export class RateLimits {
  private readonly workerRead: TokenBucket[];
  private readonly workerWrite: TokenBucket[];
  /** Sockets limited here (the HTTP/1.x frontend keeps Node's parser off their handle). */
  readonly limited = new WeakSet<object>();

  constructor(private readonly o: RateOptions) {
    this.workerRead = bucket(o.workerReadRate, o.workerReadBurst);
    this.workerWrite = bucket(o.workerWriteRate, o.workerWriteBurst);
  }

  /** Whether any of the options limits anything. */
  get active(): boolean {
    const o = this.o;
    return o.readRate > 0 || o.writeRate > 0 || o.workerReadRate > 0 || o.workerWriteRate > 0;
  }

  /**
   * Limit a frontend connection's socket: the one its bytes are read from and written to (the
   * TLSSocket of a TLS connection, which reads and writes the TCP socket below it).
   */
  limit(socket: net.Socket): void {
    if (this.limited.has(socket)) return;
    const read = [...bucket(this.o.readRate, this.o.readBurst), ...this.workerRead];
    const write = [...bucket(this.o.writeRate, this.o.writeBurst), ...this.workerWrite];
    if (read.length) limitReads(socket, new RateLimit(read));
    if (write.length) limitWrites(socket, new RateLimit(write));
    if (read.length || write.length) this.limited.add(socket);
  }
}

/** The Readable/Writable internals a socket is limited through. */
interface SocketInternals {
  push(chunk: unknown, encoding?: BufferEncoding): boolean;
  _read(n: number): void;
  _write(chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void): void;
  _writev: unknown;
}

/**
 * Reads: each chunk the socket pushes spends tokens; once the bucket is empty, push() says false,
 * which makes Node stop reading the handle, and the socket's next read waits for the refill.
 */
function limitReads(socket: net.Socket, limit: RateLimit): void {
  const s = socket as unknown as SocketInternals;
  const push = s.push;
  const read = s._read;
  let held: NodeJS.Timeout | undefined;
  let wanted = false;
  const release = () => {
    held = undefined;
    if (!wanted || socket.destroyed) return;
    wanted = false;
    read.call(socket, RESUME_AT);
  };
  s.push = function (chunk, encoding) {
    const ok = push.call(this, chunk, encoding);
    if (chunk == null || socket.destroyed) return ok;
    limit.take((chunk as Buffer).length);
    if (limit.available() > 0) return ok;
    if (!held) held = setTimeout(release, limit.delayUntil(RESUME_AT));
    return false;
  };
  s._read = function (n) {
    if (held) wanted = true;
    else read.call(this, n);
  };
  socket.once('close', () => clearTimeout(held));
}

/** The encoding a Buffer chunk is written with. */
const BUFFER = 'buffer' as BufferEncoding;

/** Writes: a chunk goes out as far as tokens allow; the rest waits for the refill. */
function limitWrites(socket: net.Socket, limit: RateLimit): void {
  const s = socket as unknown as SocketInternals;
  const write = s._write;
  let timer: NodeJS.Timeout | undefined;
  // One chunk at a time through _write, so each is metered.
  s._writev = null;
  s._write = (chunk, encoding, cb) => {
    const send = (buf: Buffer) => {
      timer = undefined;
      if (socket.destroyed) return;
      const avail = Math.floor(limit.available());
      if (avail <= 0) {
        timer = setTimeout(send, Math.max(1, limit.delayUntil(Math.min(buf.length, RESUME_AT))), buf);
        return;
      }
      if (buf.length <= avail) {
        limit.take(buf.length);
        write.call(socket, buf, BUFFER, cb);
        return;
      }
      limit.take(avail);
      write.call(socket, buf.subarray(0, avail), BUFFER, (err) => (err ? cb(err) : send(buf.subarray(avail))));
    };
    send(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
  };
  socket.once('close', () => clearTimeout(timer));
}
