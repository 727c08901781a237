/**
 * IdMap: a Map from stream id (a positive 31-bit integer) to a value, for the per-stream tables
 * of a connection. Open addressing over an Int32Array of keys, so adding and removing one stream
 * per request allocates nothing.
 *
 * Why not a Map: a JS Map that oscillates between a few and a dozen entries (one request in, one
 * out) reallocates its hash table over and over, and V8 links each discarded table to its
 * successor. Once one table has been promoted, that chain keeps every later table, and every
 * stream record and header list still listed in it, alive through young-generation GCs: under
 * h2load about a third of all per-request allocations were being promoted and then collected by
 * full GCs (--trace-gc-nvp: promoted ~4 MB per scavenge).
 */

const EMPTY = 0;

/** Shared zero-length tables of a map that never held an entry (an idle connection's maps). */
const NO_KEYS = new Int32Array(0);
const NO_SEQS = new Float64Array(0);

/** Fibonacci hashing of a stream id into `bits` bits (consecutive ids spread over the table). */
function slotOf(id: number, shift: number): number {
  return Math.imul(id, 0x9e3779b1) >>> shift;
}

/**
 * The subset of `Map<number, V>` the session and transport use, iterated in insertion order
 * (as a Map is). Keys must be integers in 1..2^31-1.
 */
export class IdMap<V> implements ReadonlyMap<number, V> {
  private keys_: Int32Array;
  private vals: (V | undefined)[];
  /** Insertion sequence of each slot, for Map-like iteration order. */
  private seqs: Float64Array;
  private nextSeq = 0;
  private shift = 32;
  private count = 0;
  /** Slots of the first table, allocated by the first `set` (an idle connection's maps hold none). */
  private readonly firstCapacity: number;

  /**
   * `capacity`: slots of the first table (a power of two, at least 8). 8 holds four entries at
   * the 1/2 load the table keeps: a client with one or a few streams at a time never grows it,
   * and its typed arrays stay small enough (<= 64 octets) for V8 to keep them in its heap
   * instead of malloc (16 slots were ~0.3 KB more per map, two maps per h2load connection).
   */
  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.firstCapacity = cap;
    this.keys_ = NO_KEYS;
    this.vals = [];
    this.seqs = NO_SEQS;
  }

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  private find(id: number): number {
    if (this.count === 0) return -1;
    const keys = this.keys_;
    const mask = keys.length - 1;
    let i = slotOf(id, this.shift);
    for (;;) {
      const k = keys[i];
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
    if (this.keys_.length === 0) this.allocate(this.firstCapacity);
    const keys = this.keys_;
    const mask = keys.length - 1;
    let i = slotOf(id, this.shift);
    for (;;) {
      const k = keys[i];
      if (k === id) {
        this.vals[i] = v;
        return this;
      }
      if (k === EMPTY) break;
      i = (i + 1) & mask;
    }
    if ((this.count + 1) * 2 > keys.length) {
      this.grow();
      return this.set(id, v);
    }
    keys[i] = id;
    this.vals[i] = v;
    this.seqs[i] = this.nextSeq++;
    this.count++;
    return this;
  }

  delete(id: number): boolean {
    let i = this.find(id);
    if (i < 0) return false;
    const keys = this.keys_;
    const vals = this.vals;
    const seqs = this.seqs;
    const mask = keys.length - 1;
    // Backward-shift deletion: no tombstones, so lookups stay short however many ids pass through.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === EMPTY) break;
      const home = slotOf(k, this.shift);
      // Move k into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      keys[i] = k;
      vals[i] = vals[j];
      seqs[i] = seqs[j];
      i = j;
    }
    keys[i] = EMPTY;
    vals[i] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.keys_.fill(EMPTY);
    this.vals.fill(undefined);
    this.count = 0;
  }

  private allocate(cap: number): void {
    this.keys_ = new Int32Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.seqs = new Float64Array(cap);
    this.shift = 32 - Math.log2(cap);
  }

  private grow(): void {
    const oldKeys = this.keys_;
    const oldVals = this.vals;
    const oldSeqs = this.seqs;
    const cap = oldKeys.length * 2;
    this.allocate(cap);
    const mask = cap - 1;
    for (let s = 0; s < oldKeys.length; s++) {
      const k = oldKeys[s];
      if (k === EMPTY) continue;
      let i = slotOf(k, this.shift);
      while (this.keys_[i] !== EMPTY) i = (i + 1) & mask;
      this.keys_[i] = k;
      this.vals[i] = oldVals[s];
      this.seqs[i] = oldSeqs[s];
    }
    // The old table is garbage now; leave it holding nothing (see the module comment).
    oldVals.fill(undefined);
  }

  /** Occupied slots in insertion order (a snapshot: safe to modify the map while iterating). */
  private ordered(): number[] {
    const keys = this.keys_;
    const slots: number[] = [];
    for (let s = 0; s < keys.length; s++) if (keys[s] !== EMPTY) slots.push(s);
    const seqs = this.seqs;
    slots.sort((a, b) => seqs[a] - seqs[b]);
    return slots;
  }

  /** Entries in insertion order, as of the call. */
  entries(): IterableIterator<[number, V]> {
    const keys = this.keys_;
    const vals = this.vals;
    return this.ordered()
      .map((s) => [keys[s], vals[s] as V] as [number, V])
      [Symbol.iterator]();
  }

  keys(): IterableIterator<number> {
    const keys = this.keys_;
    return this.ordered()
      .map((s) => keys[s])
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
