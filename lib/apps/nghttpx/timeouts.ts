/**
 * nghttpx's progress timers: a deadline that fails something when a counter (bytes read, bytes
 * flushed) has not moved for a given time. One lazy Node timer per watch, re-armed when it finds
 * progress, so a busy connection pays one timer callback per period, not one reset per chunk.
 */
import type { Duplex } from 'stream';
import { pendingDirectBytes } from '../../transport/socket-writes';

/** A running watch: stop it once what it guards is over. */
export interface Watch {
  stop(): void;
}

/** The watch that does nothing (a timeout of 0: "no timeout"). */
const NONE: Watch = { stop: () => undefined };

/**
 * Call `expired()` once `progress()` has returned the same value for `ms` while `pending()` says
 * something waits (checked every quarter period: fires `ms` to 1.25 `ms` after the last change).
 * `ms` 0 watches nothing.
 */
export function watchProgress(ms: number, progress: () => number, pending: () => boolean, expired: () => void): Watch {
  if (!(ms > 0)) return NONE;
  const step = Math.max(1, Math.ceil(ms / 4));
  let last = progress();
  // When progress last moved, or the first look that found something pending (0: the last look
  // found nothing pending). A look that comes late (a busy event loop) must not count the time
  // nothing waited as a stall.
  let since = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const now = Date.now();
    const p = progress();
    if (!pending()) {
      last = p;
      since = 0;
    } else if (p !== last || since === 0) {
      last = p;
      since = now;
    } else if (now - since >= ms) {
      timer = undefined;
      expired();
      return;
    }
    timer = setTimeout(check, step);
    timer.unref();
  };
  timer = setTimeout(check, step);
  timer.unref();
  return {
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * Bytes a socket has handed to the kernel (`bytesWritten` counts what is still buffered too, and
 * what its SocketWriter wrote to the handle that has not left yet).
 */
function flushed(socket: Duplex): number {
  const s = socket as Duplex & { bytesWritten?: number };
  return (s.bytesWritten ?? 0) - s.writableLength - pendingDirectBytes(socket);
}

/**
 * A write timeout (`--frontend-write-timeout`, `--backend-write-timeout`): the socket has bytes
 * queued (in its Writable, or written to its handle by a SocketWriter and not gone yet) and none
 * of them left for `ms`: `expired()` (which drops the connection). Stops by itself when the
 * socket closes.
 */
export function watchWrites(socket: Duplex, ms: number, expired: () => void): Watch {
  const w = watchProgress(
    ms,
    () => flushed(socket),
    () => socket.writableLength > 0 || pendingDirectBytes(socket) > 0,
    expired,
  );
  if (w === NONE) return NONE;
  const onClose = () => w.stop();
  socket.once('close', onClose);
  return {
    // Also unhooked from the socket: a kept-alive backend socket watched once per request must
    // not gather one 'close' listener (and a timer's closure) per request it ever carried.
    stop: () => {
      w.stop();
      socket.off('close', onClose);
    },
  };
}

/** How often a connection checks its session's timers: a quarter of the SETTINGS timeout, at most every second. */
export function tickInterval(settingsTimeoutMs: number): number {
  return Math.max(10, Math.min(1000, Math.floor(settingsTimeoutMs / 4)));
}

/**
 * Something a {@link WatchQueue} watches, with no timer of its own: per-request objects (a
 * frontend stream's client side, a backend exchange) extend this, so a watch costs no allocation.
 * It expires once `progress()` has not moved for the queue's period while `waiting()` says so.
 */
export abstract class Watched {
  /** @internal The queue this is in (undefined: not watched). */
  watchQueue: WatchQueue | undefined = undefined;
  /** @internal Neighbours in the queue (time order). */
  watchPrev: Watched | undefined = undefined;
  /** @internal */
  watchNext: Watched | undefined = undefined;
  /** @internal When the queue looks at this next (ms since the epoch). */
  watchAt = 0;
  /** @internal `progress()` at the last look, and when it last moved (or the first look that found it waiting; 0: the last look found it not waiting). */
  watchLast = 0;
  /** @internal */
  watchMoved = 0;
  /** The counter whose standing still is the timeout (bytes read, bytes flushed; a constant for a plain deadline). */
  abstract progress(): number;
  /** Whether something still waits on progress (false: a standstill is no timeout). */
  abstract waiting(): boolean;
  /** The timeout: called once, after which the watch is over. */
  abstract expire(): void;

  /** Watch this in `q` from now on (leaving the queue it was in); undefined: no longer watched. */
  watchIn(q: WatchQueue | undefined): void {
    if (q) q.add(this);
    else this.watchQueue?.delete(this);
  }
}

/**
 * One timer for any number of watches of the same period (nghttpx's per-request timeouts:
 * `--stream-write-timeout`, `--backend-read-timeout`), instead of a Node timer, its closures and a
 * 'close' hook per request. Watches sit in an intrusive list in the order they are next looked
 * at (all with the same step, so appending keeps it sorted); the one timer is armed for the
 * head only, and adding or removing a watch is a few field writes. A watch is looked at every
 * quarter period, so it expires `ms` to 1.25 `ms` after the last progress (as {@link watchProgress}).
 */
export class WatchQueue {
  private head: Watched | undefined;
  private tail: Watched | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (0: no timer). */
  private timerAt = 0;
  /** In {@link sweep}: watches appended meanwhile leave the timer to the sweep's end. */
  private sweeping = false;
  private readonly step: number;
  private readonly sweepBound = (): void => this.sweep();

  /** `ms` > 0: the period without progress that expires a watch. */
  constructor(readonly ms: number) {
    this.step = Math.max(1, Math.ceil(ms / 4));
  }

  /** Start watching `w` (progress counts from now); a watch already in a queue is moved here. */
  add(w: Watched, now = Date.now()): void {
    if (w.watchQueue) w.watchQueue.delete(w);
    w.watchLast = w.progress();
    w.watchMoved = now;
    this.append(w, now + this.step);
  }

  /** Stop watching `w` (no-op when it is not watched here). */
  delete(w: Watched): void {
    if (w.watchQueue !== this) return;
    const prev = w.watchPrev;
    const next = w.watchNext;
    if (prev) prev.watchNext = next;
    else this.head = next;
    if (next) next.watchPrev = prev;
    else this.tail = prev;
    w.watchQueue = w.watchPrev = w.watchNext = undefined;
    // The timer stays armed: when it fires on an empty or later queue it just re-arms or stops.
  }

  /** How many watches are running (for specs). */
  get size(): number {
    let n = 0;
    for (let w = this.head; w; w = w.watchNext) n++;
    return n;
  }

  private append(w: Watched, at: number): void {
    w.watchAt = at;
    w.watchQueue = this;
    w.watchNext = undefined;
    w.watchPrev = this.tail;
    if (this.tail) this.tail.watchNext = w;
    else this.head = w;
    this.tail = w;
    if (this.timerAt === 0 && !this.sweeping) this.arm(at);
  }

  private arm(at: number): void {
    this.timerAt = at;
    this.timer = setTimeout(this.sweepBound, Math.max(1, at - Date.now()));
    this.timer.unref();
  }

  private sweep(): void {
    this.timerAt = 0;
    this.timer = undefined;
    const now = Date.now();
    this.sweeping = true;
    try {
      for (let w = this.head; w && w.watchAt <= now; w = this.head) {
        this.delete(w);
        const p = w.progress();
        if (!w.waiting()) {
          w.watchLast = p;
          w.watchMoved = 0;
        } else if (p !== w.watchLast || w.watchMoved === 0) {
          // Moved, or waiting since a look that came late: the time nothing waited is no stall.
          w.watchLast = p;
          w.watchMoved = now;
        } else if (now - w.watchMoved >= this.ms) {
          w.expire();
          continue;
        }
        this.append(w, now + this.step);
      }
    } finally {
      this.sweeping = false;
      if (this.head && this.timerAt === 0) this.arm(this.head.watchAt);
    }
  }

  /** Stop the timer (the watches stay listed; nothing expires any more unless one is added). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = 0;
  }
}
