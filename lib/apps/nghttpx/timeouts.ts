/**
 * nghttpx's progress timers: a deadline that fails something when a counter (bytes read, bytes
 * flushed) has not moved for a given time. One lazy Node timer per watch, re-armed when it finds
 * progress, so a busy connection pays one timer callback per period, not one reset per chunk.
 */
import type { Duplex } from 'stream';

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
  let since = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const now = Date.now();
    const p = progress();
    if (p !== last || !pending()) {
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

/** Bytes a socket has handed to the kernel (`bytesWritten` counts what is still buffered too). */
function flushed(socket: Duplex): number {
  const s = socket as Duplex & { bytesWritten?: number };
  return (s.bytesWritten ?? 0) - s.writableLength;
}

/**
 * A write timeout (`--frontend-write-timeout`, `--backend-write-timeout`): the socket has bytes
 * queued and none of them left for `ms`: `expired()` (which drops the connection). Stops by
 * itself when the socket closes.
 */
export function watchWrites(socket: Duplex, ms: number, expired: () => void): Watch {
  const w = watchProgress(
    ms,
    () => flushed(socket),
    () => socket.writableLength > 0,
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
