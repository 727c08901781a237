/**
 * Waiting in specs without fixed sleeps: poll a condition against a deadline, or wait for an
 * event; and, named as such, the one kind of timed wait a spec may make: a window in which
 * nothing is expected to happen (`expectQuietFor`).
 */
import type { EventEmitter } from 'events';

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long and how often {@link until} / {@link waitFor} poll. */
export interface PollOptions {
  /** Give up after this long (default 20 s: a loaded 2-core machine can stall a spawned tool for seconds). */
  timeoutMs?: number;
  /** Time between two probes (default 25 ms). */
  intervalMs?: number;
}

/**
 * Poll `probe` until it returns a truthy value or the deadline passes; resolves with the last
 * value (falsy on timeout), so a spec can assert on it with its own message.
 */
export async function until<T>(probe: () => T | Promise<T>, opts: PollOptions = {}): Promise<T> {
  const { timeoutMs = 20000, intervalMs = 25 } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v || Date.now() >= deadline) return v;
    await pause(intervalMs);
  }
}

/** Like {@link until}, but rejects with `what` named when the deadline passes. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, opts: PollOptions = {}): Promise<T> {
  const v = await until(probe, opts);
  if (!v) throw new Error(`timed out after ${opts.timeoutMs ?? 20000} ms waiting for ${what}`);
  return v;
}

/** The first `event` of `emitter` (its arguments), or a rejection naming it after `timeoutMs`. */
export function nextEvent(emitter: EventEmitter, event: string, timeoutMs = 20000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, on);
  });
}

/**
 * A window of `ms` in which nothing is expected to happen: the only fixed wait a spec may make,
 * for assertions of the form "for a while, X does not occur". `check` is probed every
 * `intervalMs`; the first message it returns (something happened) ends the window early and is
 * resolved, so the spec fails at once and says what; undefined means the window stayed quiet.
 */
export async function expectQuietFor(ms: number, check?: () => string | undefined, intervalMs = 25): Promise<string | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const msg = check?.();
    if (msg !== undefined) return msg;
    const left = end - Date.now();
    if (left <= 0) return undefined;
    await pause(Math.min(left, intervalMs));
  }
}
