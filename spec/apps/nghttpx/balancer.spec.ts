import test from 'ava';
import { Affinity, Balancer, BackendHealth, Member } from '../../../lib/apps/nghttpx/balancer';

const member = (key: string, o: Partial<Member<string>> = {}, fall = 0, rise = 0): Member<string> => ({
  target: key,
  key,
  health: new BackendHealth(fall, rise, 120000, () => 0.5),
  weight: 1,
  group: '',
  groupWeight: 1,
  ...o,
});
const ctx = (now = 0, o: Partial<Parameters<Balancer<string>['choose']>[0]> = {}) => ({
  remoteAddress: '127.0.0.1',
  secure: false,
  now,
  ...o,
});

function counts(b: Balancer<string>, n: number, now = 0): Record<string, number> {
  const c: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const t = b.choose(ctx(now))!.target;
    c[t] = (c[t] ?? 0) + 1;
  }
  return c;
}

test('round robin over equal weights; weight 8 gets 4 times weight 2 (man page)', (t) => {
  t.deepEqual(counts(new Balancer([member('a'), member('b'), member('c')]), 30), { a: 10, b: 10, c: 10 });
  t.deepEqual(counts(new Balancer([member('a', { weight: 8 }), member('b', { weight: 2 })]), 100), { a: 80, b: 20 });
});

test('group-weight shares requests between groups; weight only inside a group', (t) => {
  const b = new Balancer([
    member('a1', { group: 'A', groupWeight: 3 }),
    member('a2', { group: 'A', groupWeight: 3 }),
    member('b1', { group: 'B', groupWeight: 1, weight: 100 }),
  ]);
  const c = counts(b, 400);
  t.is(c.a1 + c.a2, 300);
  t.is(c.b1, 100);
  t.is(c.a1, 150);
});

test('a connect failure blocks the address for a backoff; excluded members are skipped', (t) => {
  const a = member('a');
  const b = new Balancer([a, member('b')]);
  a.health.connectFailed(1000);
  t.false(a.health.usable(1000));
  t.deepEqual(counts(b, 4, 1000), { b: 4 });
  // 1.5 s after the first failure (jitter 0 here) it is eligible again.
  t.true(a.health.usable(2500));
  // As nghttpx 1.52's connect blocker: an address backing off is not tried, even when every other was.
  t.is(b.choose(ctx(1000, { exclude: new Set(['b']) })), undefined, 'all others tried, the blocked one backing off: none');
  t.is(b.choose(ctx(2500, { exclude: new Set(['b']) }))!.target, 'a', 'its backoff over, it is tried again');
  t.is(b.choose(ctx(1000, { exclude: new Set(['a', 'b']) })), undefined);
});

test('without a time given, a backoff is judged by the clock (read only while the address is blocked)', (t) => {
  const a = member('a');
  const b = new Balancer([a, member('b')]);
  const any = { remoteAddress: '127.0.0.1', secure: false };
  t.true(a.health.usable(), 'never failed');
  a.health.connectFailed(Date.now());
  t.false(a.health.usable(), 'blocked for its backoff from now');
  for (let i = 0; i < 4; i++) t.is(b.choose(any)!.target, 'b');
  a.health.connectFailed(Date.now() - 60_000);
  t.true(a.health.usable(), 'a backoff that ended a minute ago');
  a.health.connected();
  t.is(a.health.blockedUntil, 0);
  t.true(a.health.usable());
});

test('backoff grows 1.5x per failure and is capped by --backend-max-backoff', (t) => {
  const h = new BackendHealth(0, 0, 5000, () => 0.5);
  t.is(h.backoffMs(1), 1500);
  t.is(h.backoffMs(2), 2250);
  t.is(h.backoffMs(10), 5000);
});

test('fall=N takes the address offline after N failures in a row; rise=N brings it back after N good checks', (t) => {
  const a = member('a', {}, 2, 2);
  const changes: boolean[] = [];
  a.health.onChange = (off) => changes.push(off);
  a.health.connectFailed(0);
  t.false(a.health.offline);
  a.health.connectFailed(0);
  t.true(a.health.offline);
  t.false(a.health.usable(1e9), 'offline is not lifted by time');
  t.false(a.health.checked(true));
  t.false(a.health.checked(false), 'a failed check restarts the count');
  t.false(a.health.checked(true));
  t.true(a.health.checked(true));
  t.true(a.health.usable(0));
  t.deepEqual(changes, [true, false]);
  const never = member('n', {}, 1, 0);
  never.health.connectFailed(0);
  t.false(never.health.checked(true) || never.health.checked(true), 'rise=0: offline for good');
});

test('affinity=ip: one client address always gets the same backend; others spread', (t) => {
  const b = new Balancer([member('a'), member('b'), member('c')], { type: 'ip' });
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const one = b.choose(ctx(0, { remoteAddress: `10.0.0.${i}` }))!.target;
    t.is(b.choose(ctx(0, { remoteAddress: `10.0.0.${i}` }))!.target, one);
    seen.add(one);
  }
  t.is(seen.size, 3);
});

test('affinity=cookie: Set-Cookie NAME=8 hex digits; Path; Secure by scheme under auto; the cookie sticks', (t) => {
  const aff: Affinity = { type: 'cookie', cookie: { name: 'aff', path: '/p', secure: 'auto', stickiness: 'loose' } };
  let r = 0;
  const b = new Balancer([member('a'), member('b')], aff, () => (r = (r + 0.37) % 1));
  const first = b.choose(ctx())!;
  t.regex(first.setCookie!, /^aff=[0-9a-f]{8}; Path=\/p$/);
  const value = first.setCookie!.split(';')[0];
  for (let i = 0; i < 5; i++) {
    const again = b.choose(ctx(0, { cookies: [`x=1; ${value}`] }))!;
    t.is(again.target, first.target);
    t.is(again.setCookie, undefined);
  }
  t.regex(b.choose(ctx(0, { secure: true }))!.setCookie!, /; Secure$/);
});

test('affinity=cookie strict: the cookie names one backend; when it is down a new one is chosen and told', (t) => {
  const aff: Affinity = { type: 'cookie', cookie: { name: 's', secure: 'no', stickiness: 'strict' } };
  const a = member('a');
  const b = new Balancer([a, member('b')], aff);
  const pick = b.choose(ctx())!;
  t.regex(pick.setCookie!, /^s=[0-9a-f]{8}$/);
  const cookie = pick.setCookie!;
  t.is(b.choose(ctx(0, { cookies: [cookie] }))!.target, pick.target);
  (pick.target === 'a' ? a : b.members[1]).health.connectFailed(0);
  const moved = b.choose(ctx(0, { cookies: [cookie] }))!;
  t.not(moved.target, pick.target);
  t.truthy(moved.setCookie);
});
