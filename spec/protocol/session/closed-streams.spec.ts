import test from 'ava';
import { ClosedStreams } from '../../../lib/protocol/session/closed-streams';

test('ClosedStreams: sequential resets of one side, the last `size` of them remembered with their cause through every growth', (t) => {
  const size = 1000;
  const c = new ClosedStreams(size);
  const causes = ['localReset', 'remoteReset', 'connection'] as const;
  const cause = (id: number) => causes[(id >>> 1) % 3];
  // Client-initiated ids 1, 3, 5, ...: the table starts at 16 slots and grows to `size`.
  for (let k = 0; k < 3000; k++) {
    const id = 2 * k + 1;
    c.remember(id, cause(id));
    // Everything still within the last `size` streams is known, with how it closed.
    for (const back of [0, 1, 15, 16, 17, 127, 128, 129, size - 1]) {
      if (back > k || back >= size) continue;
      const old = id - 2 * back;
      t.is(c.causeOf(old), cause(old), `stream ${old} after ${id}`);
    }
  }
  // Beyond `size` streams back, a stream is forgotten (its slot holds a newer one).
  t.is(c.causeOf(5999 - 2 * size), undefined);
  t.is(c.causeOf(2), undefined, 'a stream never closed');
});

test('ClosedStreams: clean closes keep the table at 16 slots; each reset among them is remembered for `size` closes', (t) => {
  const size = 1000;
  const clean = new ClosedStreams(size);
  for (let k = 0; k < 3000; k++) clean.remember(2 * k + 1, 'endStream');
  // The last 16 are known; the 17th back shares a slot with the newest: 16 slots, not `size`.
  for (let back = 0; back < 16; back++) t.is(clean.causeOf(5999 - 2 * back), 'endStream');
  t.is(clean.causeOf(5999 - 2 * 16), undefined);

  // Every 50th stream reset among clean closes: each reset within the last `size` closes is known.
  const mixed = new ClosedStreams(size);
  const causeOf = (k: number) => (k % 50 === 0 ? 'localReset' : 'endStream');
  for (let k = 0; k < 3000; k++) {
    mixed.remember(2 * k + 1, causeOf(k));
    for (let r = k - (k % 50); r > k - size && r >= 0; r -= 50)
      t.is(mixed.causeOf(2 * r + 1), 'localReset', `reset ${2 * r + 1} after ${2 * k + 1}`);
    t.is(mixed.causeOf(2 * k + 1), causeOf(k));
  }
  t.is(mixed.causeOf(2 * (3000 - 1050) + 1), undefined, 'a reset more than `size` closes back');
});

test('ClosedStreams: streams of both sides in one table; size 0 remembers nothing', (t) => {
  const c = new ClosedStreams(64);
  // Client ids 1, 5, 9, ... and server ids 2, 6, 10, ...: slots (id >> 1) 0, 2, 4, ... and 1, 3, 5, ...
  for (let k = 0; k < 32; k++) {
    c.remember(4 * k + 1, 'localReset');
    c.remember(4 * k + 2, 'remoteReset');
  }
  for (let k = 0; k < 32; k++) {
    t.is(c.causeOf(4 * k + 1), 'localReset');
    t.is(c.causeOf(4 * k + 2), 'remoteReset');
  }
  const none = new ClosedStreams(0);
  none.remember(1, 'localReset');
  t.is(none.causeOf(1), undefined);
});
