/**
 * The token buckets behind nghttpx's --read-rate/--write-rate (and --worker-*), with an injected
 * clock: no timers. Then a socket pair in-process, limited on one side.
 */
import test from 'ava';
import * as net from 'net';
import { defaultOptions } from '../../../lib/apps/nghttpx/config';
import { RateLimit, RateLimits, TokenBucket } from '../../../lib/apps/nghttpx/rate-limit';

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('a bucket starts full and refills at its rate, never past its burst', (t) => {
  const c = clock();
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
  const c = clock();
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
  const c = clock();
  const b = new TokenBucket(1000, 2000, c.now);
  t.is(b.delayUntil(100), 0);
  b.take(2000);
  t.is(b.delayUntil(100), 100);
  // Asking for more than the burst waits for a full bucket, not forever.
  t.is(b.delayUntil(1_000_000), 2000);
});

test('burst 0 means a bucket the size of one second of the rate', (t) => {
  const b = new TokenBucket(5000, 0, clock().now);
  t.is(b.burst, 5000);
  t.is(b.available(), 5000);
});

test('RateLimit: the connection and the worker bucket both bound it; no bucket is unlimited', (t) => {
  const c = clock();
  const conn = new TokenBucket(1000, 1000, c.now);
  const worker = new TokenBucket(100, 300, c.now);
  const l = new RateLimit([conn, worker]);
  t.is(l.available(), 300);
  l.take(300);
  t.is(conn.available(), 700);
  t.is(l.available(), 0);
  t.is(l.delayUntil(200), 2000);
  t.is(new RateLimit([]).available(), Number.POSITIVE_INFINITY);
  t.is(new RateLimit([]).delayUntil(1e9), 0);
});

/** Every rate option at its default (0: unlimited). */
const none = defaultOptions();

test('RateLimits: inactive with every rate 0 (bursts alone limit nothing)', (t) => {
  t.false(new RateLimits({ ...none, readBurst: 10, writeBurst: 10 }).active);
  t.true(new RateLimits({ ...none, workerWriteRate: 1 }).active);
});

/** A connected TCP pair on loopback. */
async function pair(): Promise<{ a: net.Socket; b: net.Socket; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const a = net.connect(port, '127.0.0.1');
  const b = await accepted;
  return {
    a,
    b,
    close: () => {
      a.destroy();
      b.destroy();
      server.close();
    },
  };
}

test('a limited socket delivers everything it reads and writes, written bytes intact and in order', async (t) => {
  const p = await pair();
  try {
    const limits = new RateLimits({ ...none, readRate: 512 * 1024, readBurst: 16384, writeRate: 512 * 1024, writeBurst: 16384 });
    limits.limit(p.b);
    t.true(limits.limited.has(p.b));
    const out = Buffer.alloc(200_000);
    for (let i = 0; i < out.length; i++) out[i] = i % 251;
    const back: Buffer[] = [];
    let got = 0;
    const echoed = new Promise<void>((resolve) => {
      p.a.on('data', (c: Buffer) => {
        back.push(c);
        got += c.length;
        if (got >= out.length) resolve();
      });
    });
    // b (limited) echoes what it reads.
    p.b.on('data', (c: Buffer) => p.b.write(c));
    const start = Date.now();
    p.a.write(out);
    await echoed;
    t.log(`200 kB each way at 512 KiB/s: ${Date.now() - start} ms`);
    t.true(Buffer.concat(back).equals(out));
  } finally {
    p.close();
  }
});
