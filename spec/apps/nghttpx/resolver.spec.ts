/**
 * The backends' resolver (lib/apps/nghttpx/resolver.ts), with an injected lookup and clock:
 * --backend-address-family filters, --dns-cache-timeout keeps answers and failures,
 * --dns-lookup-timeout bounds each try (scaled linearly), --dns-max-try bounds the tries.
 */
import test from 'ava';
import { BackendResolver, LookupAll, Resolved } from '../../../lib/apps/nghttpx/resolver';

const BOTH: Resolved[] = [
  { address: '192.0.2.1', family: 4 },
  { address: '2001:db8::1', family: 6 },
];

function counting(answer: (n: number) => Promise<Resolved[]>): { lookup: LookupAll; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    lookup: (_host, family) => {
      calls.push(family);
      return answer(calls.length);
    },
  };
}

test('family: auto keeps both, IPv4/IPv6 keep one; a literal of the other family is refused', async (t) => {
  const l = counting(async () => BOTH);
  t.deepEqual(await new BackendResolver({}, l.lookup).resolve('h'), BOTH);
  t.deepEqual(await new BackendResolver({ family: 'IPv4' }, l.lookup).resolve('h'), [BOTH[0]]);
  t.deepEqual(await new BackendResolver({ family: 'IPv6' }, l.lookup).resolve('h'), [BOTH[1]]);
  t.deepEqual(l.calls, [0, 4, 6]);
  await t.throwsAsync(new BackendResolver({ family: 'IPv6' }, l.lookup).resolve('127.0.0.1'), { message: /ENOTFOUND/ });
  t.deepEqual(await new BackendResolver({ family: 'IPv4' }, l.lookup).resolve('127.0.0.1'), [{ address: '127.0.0.1', family: 4 }]);
});

test('cache: answers and failures are kept for --dns-cache-timeout, then asked again', async (t) => {
  let now = 1000;
  const ok = counting(async () => BOTH);
  const r = new BackendResolver({ cacheTimeout: 500 }, ok.lookup, () => now);
  await r.resolve('h');
  now += 499;
  await r.resolve('h');
  t.is(ok.calls.length, 1);
  now += 1;
  await r.resolve('h');
  t.is(ok.calls.length, 2);
  const bad = counting(() => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })));
  const rb = new BackendResolver({ cacheTimeout: 500 }, bad.lookup, () => now);
  await t.throwsAsync(rb.resolve('x'));
  await t.throwsAsync(rb.resolve('x'));
  t.is(bad.calls.length, 1, 'the failure is cached too');
});

test('--dns-lookup-timeout bounds each try, scaled linearly; --dns-max-try bounds the tries; a "no such name" is not retried', async (t) => {
  // Tries 1 and 2 never answer; try 3 answers at once.
  const slow = counting((n) => (n < 3 ? new Promise<Resolved[]>(() => undefined) : Promise.resolve(BOTH)));
  const started = Date.now();
  const r = new BackendResolver({ lookupTimeout: 40, maxTry: 3 }, slow.lookup);
  t.deepEqual(await r.resolve('h'), BOTH);
  t.is(slow.calls.length, 3);
  // 40 ms then 80 ms before the third try (a lower bound: timers never fire early).
  t.true(Date.now() - started >= 115, String(Date.now() - started));
  const never = counting(() => new Promise<Resolved[]>(() => undefined));
  await t.throwsAsync(new BackendResolver({ lookupTimeout: 10, maxTry: 2 }, never.lookup).resolve('h'), {
    message: /timed out after 20 ms/,
  });
  t.is(never.calls.length, 2);
  const gone = counting(() => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })));
  await t.throwsAsync(new BackendResolver({ maxTry: 5 }, gone.lookup).resolve('h'));
  t.is(gone.calls.length, 1);
});

test('lookup(): the one-address and the all forms of net.connect', async (t) => {
  const r = new BackendResolver({}, async () => BOTH);
  const one = await new Promise<unknown[]>((res) => r.lookup('h', {}, (...a) => res(a)));
  t.deepEqual(one, [null, '192.0.2.1', 4]);
  const all = await new Promise<unknown[]>((res) => r.lookup('h', { all: true }, (...a) => res(a)));
  t.deepEqual(all, [null, BOTH]);
});
