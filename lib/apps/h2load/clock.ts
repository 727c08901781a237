/**
 * h2load's clock: milliseconds on the process's monotonic clock (`process.hrtime`, CLOCK_MONOTONIC,
 * one clock for every thread), and the wall-clock time of its zero for the req/s timeline.
 *
 * Not `performance.now()`: the `performance` global loads perf_hooks and nine internal modules on
 * first use, ~0.45 MB of h2load's peak RSS (`node --single-threaded --max-semi-space-size=1`:
 * 38.3 MB bare, 38.8 MB after one `performance.now()`), for a clock `process.hrtime` gives as well.
 * `--log-file` still reads `performance` for its microsecond wall-clock start times.
 * @module
 */

/** Milliseconds on the monotonic clock (an arbitrary zero, the same in every thread). */
export function monoMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/** The wall-clock time (ms since the epoch) at {@link monoMs}'s zero, to the millisecond. */
export const wallOriginMs = Date.now() - monoMs();
