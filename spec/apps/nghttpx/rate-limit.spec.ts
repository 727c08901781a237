/**
 * nghttpx's --read-rate/--write-rate (and --worker-*) as throttles: each connection gets its own
 * buckets and shares the worker's (the Throttle itself: spec/transport/throttle.spec.ts).
 */
import test from 'ava';
import { defaultOptions } from '../../../lib/apps/nghttpx/config';
import { RateLimits } from '../../../lib/apps/nghttpx/rate-limit';
import type { ThrottleClock } from '../../../lib/transport/throttle';

/** A clock the test moves by hand; its timers never fire on their own. */
function clock(): ThrottleClock & { advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms), setTimeout: () => 0, clearTimeout: () => undefined };
}

/** Every rate option at its default (0: unlimited). */
const none = defaultOptions();

test('RateLimits: inactive with every rate 0 (bursts alone limit nothing)', (t) => {
  t.false(new RateLimits({ ...none, readBurst: 10, writeBurst: 10 }).active);
  t.true(new RateLimits({ ...none, workerWriteRate: 1 }).active);
});

test('each connection has its own buckets and shares the worker bucket', (t) => {
  const c = clock();
  const limits = new RateLimits({ ...none, readRate: 1000, readBurst: 1000, workerReadRate: 1000, workerReadBurst: 1500 }, c);
  const one = limits.throttle()!;
  const two = limits.throttle()!;
  t.true(one.limitsReads);
  t.false(one.limitsWrites);
  // One connection spends its own 1000 (and 1000 of the worker's 1500).
  t.true(one.read(999));
  t.false(one.read(1));
  // The other has its own 1000 but only 500 of the worker's left.
  t.true(two.read(499));
  t.false(two.read(1));
  t.is(new RateLimits(none).throttle(), undefined);
});
