/** nghttpx's limit and timer building blocks on their own: DispatchLimiter and the progress timers. */
import test from 'ava';
import { PassThrough } from 'stream';
import { DispatchLimiter } from '../../../lib/apps/nghttpx/dispatch';
import { tickInterval, watchProgress, watchWrites, Watched, WatchQueue } from '../../../lib/apps/nghttpx/timeouts';
import { expectQuietFor, until } from '../../helpers/wait';

test('DispatchLimiter: at most N per key run at once, the rest in arrival order as slots free; 0 is no limit', (t) => {
  const lim = new DispatchLimiter(2);
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const run = (key: string, name: string) =>
    lim.run(key, (release) => {
      started.push(name);
      releases.set(name, release);
    });
  run('a', 'a1');
  run('a', 'a2');
  run('a', 'a3');
  run('a', 'a4');
  run('b', 'b1');
  t.deepEqual(started, ['a1', 'a2', 'b1']);
  releases.get('a2')!();
  releases.get('a2')!(); // a second release frees nothing more
  t.deepEqual(started, ['a1', 'a2', 'b1', 'a3']);
  releases.get('a1')!();
  t.deepEqual(started, ['a1', 'a2', 'b1', 'a3', 'a4']);
  const free = new DispatchLimiter(0);
  let n = 0;
  for (let i = 0; i < 5; i++) free.run('a', () => n++);
  t.is(n, 5);
});

test('watchProgress: fires after the time without progress while something is pending, never while it moves or waits for nothing', async (t) => {
  // Progress moves at every look while `moving` (so the load on the machine cannot fake a stall).
  let progress = 0;
  let moving = true;
  let pending = true;
  let fired = 0;
  let firedAt = 0;
  // When the watcher last looked (it reads progress, then pending), and its last look with
  // nothing pending: the stall is measured from there, not from when `pending` is set.
  let lookAt = 0;
  let idleLookAt = 0;
  const w = watchProgress(
    80,
    () => {
      lookAt = Date.now();
      return moving ? ++progress : progress;
    },
    () => {
      if (!pending) idleLookAt = lookAt;
      return pending;
    },
    () => {
      fired++;
      firedAt = Date.now();
    },
  );
  t.is(await expectQuietFor(300, () => (fired ? 'fired while moving' : undefined)), undefined);
  // Nothing pending: stalled progress is no timeout either.
  moving = false;
  pending = false;
  t.is(await expectQuietFor(250, () => (fired ? 'fired with nothing pending' : undefined)), undefined);
  pending = true;
  await until(() => fired > 0);
  // 80 ms from the last look with nothing pending (a look is due every 20 ms, but at load 25 a
  // timer can be 100 ms late, and then the watcher rightly fires at its first look with
  // something pending: measuring from 'pending = true' failed a full-suite run of session 5).
  t.true(firedAt - idleLookAt >= 78, `fired ${firedAt - idleLookAt} ms after the last look with nothing pending`);
  t.is(fired, 1);
  w.stop();
  t.is(
    watchProgress(
      0,
      () => 0,
      () => true,
      () => t.fail(),
    ).stop(),
    undefined,
  );
});

/** Keep the event loop busy for `ms` (what a loaded machine does to timers). */
function blockLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

test('watchProgress: a look that comes late does not count the time nothing was pending as a stall', async (t) => {
  let pending = false;
  let fired = 0;
  const w = watchProgress(
    80,
    () => 0,
    () => pending,
    () => fired++,
  );
  try {
    // Let a look find nothing pending, then hold the loop past the period and start waiting.
    t.is(await expectQuietFor(50, () => (fired ? 'fired with nothing pending' : undefined)), undefined);
    blockLoop(150);
    pending = true;
    const from = Date.now();
    await until(() => fired > 0);
    t.true(Date.now() - from >= 80, `fired ${Date.now() - from} ms after something was pending`);
  } finally {
    w.stop();
  }
});

test('watchWrites: a socket whose queued bytes do not leave expires; tickInterval is a quarter of the SETTINGS timeout within [10, 1000] ms', async (t) => {
  // A Writable that never completes its writes: bytes stay queued.
  const stuck = new PassThrough({ highWaterMark: 1 });
  (stuck as unknown as { bytesWritten: number }).bytesWritten = 0;
  stuck.write(Buffer.alloc(1024));
  stuck.write(Buffer.alloc(1024));
  let expired = false;
  watchWrites(stuck, 60, () => (expired = true));
  t.true(await until(() => expired));
  stuck.destroy();
  t.is(tickInterval(300), 75);
  t.is(tickInterval(10000), 1000);
  t.is(tickInterval(1), 10);
});

/** A watch for the WatchQueue spec: progress moves while `moving`, waits while `pending`. */
class Probe extends Watched {
  count = 0;
  moving = false;
  pending = true;
  fired = 0;
  progress(): number {
    return this.moving ? ++this.count : this.count;
  }
  waiting(): boolean {
    return this.pending;
  }
  expire(): void {
    this.fired++;
  }
}

test('WatchQueue: one timer for many watches; a stalled waiting watch expires once, moving/idle/removed ones never', async (t) => {
  const q = new WatchQueue(80);
  const stalled = new Probe();
  const moving = new Probe();
  moving.moving = true;
  const idle = new Probe();
  idle.pending = false;
  const removed = new Probe();
  const start = Date.now();
  for (const p of [stalled, moving, idle, removed]) q.add(p);
  q.delete(removed);
  q.delete(removed); // twice: no-op
  t.is(q.size, 3);
  await until(() => stalled.fired > 0);
  // Expired within [ms, 1.25 ms] of its start, give or take the timer's lateness under load.
  t.true(Date.now() - start >= 80);
  t.is(q.size, 2);
  t.is(
    await expectQuietFor(300, () => (moving.fired || idle.fired || removed.fired || stalled.fired > 1 ? 'fired' : undefined)),
    undefined,
  );
  // Stops moving and waits: expires too; once nothing is listed, the timer is not re-armed.
  moving.moving = false;
  idle.pending = true;
  await until(() => moving.fired > 0 && idle.fired > 0);
  t.is(q.size, 0);
  // Added again after expiring: watched afresh.
  q.add(stalled);
  await until(() => stalled.fired === 2);
  q.close();
});

test('WatchQueue: a look that comes late does not count the time nothing was waiting as a stall', async (t) => {
  const q = new WatchQueue(80);
  const p = new Probe();
  p.pending = false;
  q.add(p);
  try {
    t.is(await expectQuietFor(50, () => (p.fired ? 'fired while not waiting' : undefined)), undefined);
    blockLoop(150);
    p.pending = true;
    const from = Date.now();
    await until(() => p.fired > 0);
    t.true(Date.now() - from >= 80, `expired ${Date.now() - from} ms after it began to wait`);
  } finally {
    q.close();
  }
});
