/**
 * IdMap: a Map from stream id (a positive 31-bit integer) to a value, for the per-stream tables
 * of a connection. Open addressing over one array of keys, so adding and removing one stream per
 * request allocates nothing.
 *
 * Why not a Map: a JS Map that oscillates between a few and a dozen entries (one request in, one
 * out) reallocates its hash table over and over, and V8 links each discarded table to its
 * successor. Once one table has been promoted, that chain keeps every later table, and every
 * stream record and header list still listed in it, alive through young-generation GCs: under
 * h2load about a third of all per-request allocations were being promoted and then collected by
 * full GCs (--trace-gc-nvp: promoted ~4 MB per scavenge).
 *
 * Keys and insertion sequence numbers share one plain array of small integers (slot i's key at
 * 2i, its sequence number at 2i + 1), rather than an Int32Array and a Float64Array: each typed
 * array is an object, an ArrayBuffer and its store (~0.23 and ~0.26 KB for 8 slots, where the
 * shared array is 0.18 KB), and every connection has two maps with a table. Both fit V8's small
 * integers: a key is at most 2^31 - 1, and a map sees at most one insertion per stream id.
 */

const EMPTY = 0;

/** Shared zero-length tables of a map that never held an entry (an idle connection's maps; never written). */
const NO_SLOTS: number[] = [];
const NO_VALS: unknown[] = [];

/**
 * `n` (even, >= 2) zeros in a plain array V8 keeps as packed small integers of exactly that length:
 * filled by push, then copied (slice) to its length (an Array(n).fill() stays "holey": every read
 * would check for a hole; the pushed array itself keeps room to grow).
 */
export function packedZeros(n: number): number[] {
  const a = [0, 0];
  while (a.length < n) a.push(0, 0);
  return a.slice();
}

/** Fibonacci hashing of a stream id into `bits` bits (consecutive ids spread over the table). */
function slotOf(id: number, shift: number): number {
  return Math.imul(id, 0x9e3779b1) >>> shift;
}

/**
 * The subset of `Map<number, V>` the session and transport use, iterated in insertion order
 * (as a Map is). Keys must be integers in 1..2^31-1.
 */
export class IdMap<V> implements ReadonlyMap<number, V> {
  /** Slot i's key at 2i (EMPTY when free), its insertion sequence (Map-like iteration order) at 2i + 1. */
  private slots: number[];
  private vals: (V | undefined)[];
  private nextSeq = 0;
  private shift = 32;
  private count = 0;
  /** Slots of the first table, allocated by the first `set` (an idle connection's maps hold none). */
  private readonly firstCapacity: number;

  /**
   * `capacity`: slots of the first table (a power of two, at least 2). 2 holds one entry at the
   * 1/2 load the table keeps: a client with one stream at a time (the next request is sent once
   * the last stream closed) never grows it, one with a few grows it a few times as it starts
   * (8 slots were ~0.15 KB more per map, two maps per h2load connection).
   */
  constructor(capacity = 2) {
    let cap = 2;
    while (cap < capacity) cap *= 2;
    this.firstCapacity = cap;
    this.slots = NO_SLOTS;
    this.vals = NO_VALS as (V | undefined)[];
  }

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  private find(id: number): number {
    if (this.count === 0) return -1;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let i = slotOf(id, this.shift);
    for (;;) {
      const k = slots[i << 1];
      if (k === id) return i;
      if (k === EMPTY) return -1;
      i = (i + 1) & mask;
    }
  }

  get(id: number): V | undefined {
    const i = this.find(id);
    return i < 0 ? undefined : this.vals[i];
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  set(id: number, v: V): this {
    if (!(id > 0 && id <= 0x7fffffff)) throw new RangeError(`IdMap: key ${id} is not a stream id`);
    if (this.slots.length === 0) this.allocate(this.firstCapacity);
    const slots = this.slots;
    const cap = slots.length >> 1;
    const mask = cap - 1;
    let i = slotOf(id, this.shift);
    for (;;) {
      const k = slots[i << 1];
      if (k === id) {
        this.vals[i] = v;
        return this;
      }
      if (k === EMPTY) break;
      i = (i + 1) & mask;
    }
    if ((this.count + 1) * 2 > cap) {
      this.grow();
      return this.set(id, v);
    }
    slots[i << 1] = id;
    slots[(i << 1) + 1] = this.nextSeq++;
    this.vals[i] = v;
    this.count++;
    return this;
  }

  delete(id: number): boolean {
    let i = this.find(id);
    if (i < 0) return false;
    const slots = this.slots;
    const vals = this.vals;
    const mask = (slots.length >> 1) - 1;
    // Backward-shift deletion: no tombstones, so lookups stay short however many ids pass through.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = slots[j << 1];
      if (k === EMPTY) break;
      const home = slotOf(k, this.shift);
      // Move k into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      slots[i << 1] = k;
      slots[(i << 1) + 1] = slots[(j << 1) + 1];
      vals[i] = vals[j];
      i = j;
    }
    slots[i << 1] = EMPTY;
    vals[i] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.slots.fill(EMPTY);
    this.vals.fill(undefined);
    this.count = 0;
  }

  private allocate(cap: number): void {
    this.slots = packedZeros(2 * cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.shift = 32 - Math.log2(cap);
  }

  private grow(): void {
    const old = this.slots;
    const oldVals = this.vals;
    const cap = old.length;
    this.allocate(cap);
    const mask = cap - 1;
    const slots = this.slots;
    for (let s = 0; s < old.length >> 1; s++) {
      const k = old[s << 1];
      if (k === EMPTY) continue;
      let i = slotOf(k, this.shift);
      while (slots[i << 1] !== EMPTY) i = (i + 1) & mask;
      slots[i << 1] = k;
      slots[(i << 1) + 1] = old[(s << 1) + 1];
      this.vals[i] = oldVals[s];
    }
    // The old table is garbage now; leave it holding nothing (see the module comment).
    oldVals.fill(undefined);
  }

  /** Occupied slots in insertion order (a snapshot: safe to modify the map while iterating). */
  private ordered(): number[] {
    const all = this.slots;
    const slots: number[] = [];
    for (let s = 0; s < all.length >> 1; s++) if (all[s << 1] !== EMPTY) slots.push(s);
    slots.sort((a, b) => all[(a << 1) + 1] - all[(b << 1) + 1]);
    return slots;
  }

  /** Entries in insertion order, as of the call. */
  entries(): IterableIterator<[number, V]> {
    const all = this.slots;
    const vals = this.vals;
    return this.ordered()
      .map((s) => [all[s << 1], vals[s] as V] as [number, V])
      [Symbol.iterator]();
  }

  keys(): IterableIterator<number> {
    const all = this.slots;
    return this.ordered()
      .map((s) => all[s << 1])
      [Symbol.iterator]();
  }

  values(): IterableIterator<V> {
    const vals = this.vals;
    return this.ordered()
      .map((s) => vals[s] as V)
      [Symbol.iterator]();
  }

  forEach(fn: (value: V, key: number, map: ReadonlyMap<number, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }
}
