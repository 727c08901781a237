import test from 'ava';
import { IdMap } from '../../../lib/protocol/session/id-map';
import { seededRandom as rng } from '../../helpers/random';

test('IdMap agrees with Map over random set/delete/get (including growth and wrap-around deletes)', (t) => {
  const rand = rng(7);
  const m = new IdMap<string>();
  const ref = new Map<number, string>();
  let next = 1;
  for (let step = 0; step < 20000; step++) {
    const r = rand();
    if (r < 0.45) {
      // New ids mostly ascending (as streams open), sometimes a random one.
      const id = rand() < 0.8 ? (next += 2) : 1 + Math.floor(rand() * 0x7ffffffe);
      m.set(id, `v${step}`);
      ref.set(id, `v${step}`);
    } else if (r < 0.9) {
      const keys = [...ref.keys()];
      const id = keys.length && rand() < 0.9 ? keys[Math.floor(rand() * keys.length)] : 1 + Math.floor(rand() * 1000);
      t.is(m.delete(id), ref.delete(id));
    } else {
      const id = 1 + Math.floor(rand() * (next + 2));
      t.is(m.get(id), ref.get(id));
      t.is(m.has(id), ref.has(id));
    }
    if (step % 997 === 0) t.deepEqual([...m], [...ref]);
    t.is(m.size, ref.size);
  }
  for (const id of ref.keys()) t.is(m.get(id), ref.get(id));
  t.deepEqual([...m.entries()], [...ref.entries()]);
});

test('IdMap iterates in insertion order (as a Map), updates keep their place, clear empties it', (t) => {
  const m = new IdMap<number>();
  for (const id of [5, 1, 2, 9, 3]) m.set(id, id * 10);
  m.set(1, 11);
  t.deepEqual([...m.keys()], [5, 1, 2, 9, 3]);
  t.deepEqual([...m.values()], [50, 11, 20, 90, 30]);
  m.delete(2);
  const seen: number[] = [];
  m.forEach((_v, k) => seen.push(k));
  t.deepEqual(seen, [5, 1, 9, 3]);
  // Deleting while iterating is safe (the iteration is a snapshot).
  for (const [k] of m) m.delete(k);
  t.is(m.size, 0);
  m.set(4, 1);
  m.clear();
  t.is(m.size, 0);
  t.is(m.get(4), undefined);
  t.throws(() => m.set(0, 1), { instanceOf: RangeError });
});
