/**
 * The Throttle seam (lib/transport/throttle.ts) on a fake clock: token refill, burst, reads held
 * and resumed within the bucket's bounds, writes metered, shared buckets, and the ThrottledWriter
 * over an in-memory sink.
 */
import test from 'ava';
import { Writable } from 'stream';
import { RESUME_AT, Throttle, type ThrottleClock, ThrottledWriter, TokenBucket } from '../../lib/transport/throttle';

/** A clock moved by hand whose timers fire, in order, as `advance()` passes them. */
function fakeClock(): ThrottleClock & { advance(ms: number): void; pending(): number; t(): number } {
  let now = 1000;
  let ids = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    t: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++ids, { at: now + ms, fn });
      return ids;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    pending: () => timers.size,
    advance(ms) {
      const end = now + ms;
      for (let guard = 0; guard < 100000; guard++) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

test('a bucket starts full and refills at its rate, never past its burst', (t) => {
  const c = fakeClock();
  const b = new TokenBucket(1000, 4000, c.now);
  t.is(b.available(), 4000);
  b.take(4000);
  t.is(b.available(), 0);
  c.advance(500);
  t.is(b.available(), 500);
  c.advance(10_000);
  t.is(b.available(), 4000);
});

test('a read past an empty bucket is a debt paid back before tokens show again', (t) => {
  const c = fakeClock();
  const b = new TokenBucket(1000, 1000, c.now);
  b.take(3000);
  t.is(b.available(), -2000);
  t.is(b.delayUntil(1), 2001);
  c.advance(2000);
  t.is(b.available(), 0);
  c.advance(1);
  t.true(b.available() > 0);
});

test('delayUntil waits for at most a full bucket, and is 0 when the tokens are there', (t) => {
  const c = fakeClock();
  const b = new TokenBucket(1000, 2000, c.now);
  t.is(b.delayUntil(100), 0);
  b.take(2000);
  t.is(b.delayUntil(100), 100);
  t.is(b.delayUntil(1_000_000), 2000);
});

test('burst 0 means a bucket the size of one second of the rate', (t) => {
  const b = new TokenBucket(5000, 0, fakeClock().now);
  t.is(b.burst, 5000);
  t.is(b.available(), 5000);
});

test('reads: go on while tokens remain, stop at the empty bucket, resume once RESUME_AT tokens are back', (t) => {
  const c = fakeClock();
  const th = new Throttle([new TokenBucket(64 * 1024, 32 * 1024, c.now)], [], c);
  let resumed = 0;
  th.onReadable(() => resumed++);
  t.true(th.read(16 * 1024));
  t.false(th.read(16 * 1024), 'the burst is spent: stop reading');
  t.true(th.readHeld);
  // Another chunk that was already on its way is counted (a debt), and still says stop.
  t.false(th.read(4096));
  // The 4 KiB debt + RESUME_AT (16 KiB) at 64 KiB/s: 312.5 ms (the timer set for 250 ms waits again).
  c.advance(300);
  t.is(resumed, 0, 'not before the debt and RESUME_AT are refilled');
  c.advance(20);
  t.is(resumed, 1);
  t.false(th.readHeld);
  t.true(th.read(1));
  t.is(new Throttle([], [], c).read(1e9), true, 'no bucket: never held');
});

test('reads: a reader that always reads when allowed stays within burst + rate x time + one chunk', (t) => {
  const c = fakeClock();
  const rate = 64 * 1024;
  const burst = 16 * 1024;
  const chunk = 8192;
  const th = new Throttle([new TokenBucket(rate, burst, c.now)], [], c);
  let paused = false;
  let total = 0;
  th.onReadable(() => (paused = false));
  // Ten simulated seconds, a chunk every millisecond while not paused.
  for (let ms = 0; ms < 10_000; ms++) {
    if (!paused) {
      total += chunk;
      if (!th.read(chunk)) paused = true;
    }
    const bound = burst + (rate * (ms + 1)) / 1000 + chunk;
    if (total > bound) return t.fail(`at ${ms} ms: ${total} bytes read, bound ${bound}`);
    c.advance(1);
  }
  // And it is not held back much below the rate either.
  t.true(total >= rate * 9, `${total} bytes in 10 s at ${rate}/s`);
});

test('writes: the allowance is the bucket, 0 while a writer waits; whenWritable wakes each writer once', (t) => {
  const c = fakeClock();
  const th = new Throttle([], [new TokenBucket(32 * 1024, 32 * 1024, c.now)], c);
  t.true(th.limitsWrites);
  t.false(th.limitsReads);
  t.is(th.writeAllowance(), 32 * 1024);
  th.wrote(30 * 1024);
  t.is(th.writeAllowance(), 0, 'under RESUME_AT: wait rather than trickle');
  let woken = 0;
  const wake = () => woken++;
  th.whenWritable(wake);
  th.whenWritable(wake);
  t.is(c.pending(), 1);
  c.advance(Math.ceil(((RESUME_AT - 2048) * 1000) / (32 * 1024)) - 1);
  t.is(woken, 0);
  c.advance(1);
  t.is(woken, 1, 'woken once, not twice');
  t.true(th.writeAllowance() >= RESUME_AT);
  t.is(new Throttle([], [], c).writeAllowance(), Number.POSITIVE_INFINITY);
});

test('a shared bucket spent by another throttle meanwhile: the waiting one waits again', (t) => {
  const c = fakeClock();
  const shared = new TokenBucket(16 * 1024, 16 * 1024, c.now);
  const a = new Throttle([shared], [], c);
  const b = new Throttle([shared], [], c);
  let aResumed = 0;
  a.onReadable(() => aResumed++);
  t.false(a.read(16 * 1024));
  // 1 s refills the bucket for a, but b takes it all just before.
  c.advance(999);
  t.false(b.read(16 * 1024));
  c.advance(1);
  t.is(aResumed, 0);
  c.advance(2000);
  t.is(aResumed, 1);
});

test('close() cancels the timers and every callback', (t) => {
  const c = fakeClock();
  const th = new Throttle([new TokenBucket(1000, 1000, c.now)], [new TokenBucket(1000, 1000, c.now)], c);
  let calls = 0;
  th.onReadable(() => calls++);
  th.read(5000);
  th.wrote(5000);
  th.whenWritable(() => calls++);
  t.is(c.pending(), 2);
  th.close();
  t.is(c.pending(), 0);
  c.advance(60_000);
  t.is(calls, 0);
});

test('ThrottledWriter: bytes reach the sink intact, in order, at the rate; end() ends the sink after them', async (t) => {
  const c = fakeClock();
  const got: Buffer[] = [];
  let ended = false;
  const sink = new Writable({
    highWaterMark: 4096,
    write(chunk: Buffer, _enc, cb) {
      got.push(chunk);
      cb();
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  const rate = 10 * 1024;
  const w = new ThrottledWriter(sink, new Throttle([], [new TokenBucket(rate, rate, c.now)], c));
  const data = Buffer.alloc(100 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;
  for (let off = 0; off < data.length; off += 7000) w.write(data.subarray(off, off + 7000));
  w.end();
  const bytes = () => got.reduce((n, b) => n + b.length, 0);
  const tick = () => new Promise((r) => setImmediate(r));
  await tick();
  t.true(bytes() > 0 && bytes() <= rate, `at most the burst at once: ${bytes()}`);
  // Each simulated second lets at most `rate` more bytes through.
  for (let s = 1; s <= 20 && !ended; s++) {
    c.advance(1000);
    for (let i = 0; i < 5; i++) await tick();
    t.true(bytes() <= rate * (s + 1), `${bytes()} bytes after ${s} s`);
  }
  t.true(ended, 'the sink ended once everything had left');
  t.true(Buffer.concat(got).equals(data));
});
