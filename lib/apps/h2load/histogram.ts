/**
 * A High Dynamic Range histogram of microsecond latencies (HdrHistogram's bucket layout: 3
 * significant digits, 1 us to about 35 minutes): recording is a few integer operations and no
 * allocation, merging is adding counts, and percentiles are exact to the resolution. Ours
 * rather than hdr-histogram-js: that package takes longer to load than all of h2load's own
 * modules together, and h2load needs only record, merge and percentile.
 */

/** Sub-buckets per bucket: 2048 keeps 3 significant decimal digits (2 * 10^3 rounded up to a power of two). */
const SUB_BUCKET_COUNT = 2048;
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK = SUB_BUCKET_COUNT - 1;
/** Largest recordable value (2^31 - 1 us); larger ones are clamped to it. */
export const HISTOGRAM_MAX_US = 0x7fffffff;
/** Buckets needed so that 2048 << (buckets - 1) covers HISTOGRAM_MAX_US. */
const BUCKETS = 21;
/** Length of the counts array. */
export const HISTOGRAM_LENGTH = (BUCKETS + 1) << SUB_BUCKET_HALF_MAGNITUDE;

function indexOf(v: number): number {
  const bucket = 32 - Math.clz32(v | SUB_BUCKET_MASK) - (SUB_BUCKET_HALF_MAGNITUDE + 1);
  const sub = v >>> bucket;
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (sub - SUB_BUCKET_HALF);
}

/**
 * Count `us` (microseconds; negative: 0, beyond the range: clamped) in `counts`: a slot counts
 * the whole microseconds `[lowest, lowest + width)`, so a real time t lies in `[lowest, lowest + width)`.
 */
export function recordMicros(counts: Uint32Array, us: number): void {
  counts[indexOf(us <= 0 ? 0 : us >= HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.floor(us))]++;
}

/** The slot that counts `us`: its lowest value and its width (microseconds). */
export function slotOfMicros(us: number): [lowest: number, width: number] {
  return slotOf(indexOf(us <= 0 ? 0 : us >= HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.floor(us)));
}

/**
 * How many of the counted values lie in `[lower, upper]` (microseconds), to the histogram's
 * resolution: slots wholly inside count whole, slots wholly outside not at all, and the one or
 * two slots the bounds fall in count by the share of their width inside (values taken as spread
 * evenly over a slot). So the answer is off by at most those boundary slots' counts.
 */
export function countWithin(counts: Uint32Array, lower: number, upper: number): number {
  if (!(upper >= lower)) return 0;
  let m = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c === 0) continue;
    const [low, width] = slotOf(i);
    const high = low + width;
    if (high <= lower) continue;
    if (low > upper) break;
    if (low >= lower && high <= upper) m += c;
    else m += (c * (Math.min(high, upper) - Math.max(low, lower))) / width;
  }
  return m;
}

/** The lowest value counted at `index`, and the width of its slot. */
function slotOf(index: number): [lowest: number, width: number] {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF;
    bucket = 0;
  }
  return [sub * 2 ** bucket, 2 ** bucket];
}

/** The percentiles h2load prints. */
export const PERCENTILES = [50, 90, 99, 99.9] as const;

/** Latency histogram; `counts` is plain data so worker threads can post it. */
export class LatencyHistogram {
  readonly counts: Uint32Array;
  total = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(HISTOGRAM_LENGTH);
    if (counts) for (let i = 0; i < counts.length; i++) this.total += counts[i];
  }

  /** Count one value in microseconds (negative: 0; beyond the range: clamped). */
  record(us: number): void {
    recordMicros(this.counts, us);
    this.total++;
  }

  /** Add another histogram's counts. */
  add(other: { counts: Uint32Array }): void {
    const c = this.counts;
    const o = other.counts;
    for (let i = 0; i < c.length; i++) {
      if (o[i] !== 0) {
        c[i] += o[i];
        this.total += o[i];
      }
    }
  }

  /**
   * The value at percentile `p` (0..100) in microseconds: the highest value equivalent to the
   * slot holding the ceil(p% of total)-th smallest sample, as HdrHistogram reports it; 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    const c = this.counts;
    for (let i = 0; i < c.length; i++) {
      seen += c[i];
      if (seen >= rank) {
        const [low, width] = slotOf(i);
        return low + width - 1;
      }
    }
    return HISTOGRAM_MAX_US;
  }

  /**
   * `percentile(p)` for each of `ps` (ascending) in one walk that stops at the last one's slot:
   * at the end of a run (start-up matters for a one-shot run) this walks the counts once, not
   * once per percentile.
   */
  percentiles(ps: readonly number[]): number[] {
    const out: number[] = [];
    if (this.total === 0) return ps.map(() => 0);
    const c = this.counts;
    let seen = 0;
    let i = 0;
    for (const p of ps) {
      const rank = Math.max(1, Math.ceil((p / 100) * this.total));
      while (i < c.length && seen + c[i] < rank) seen += c[i++];
      if (i === c.length) {
        out.push(HISTOGRAM_MAX_US);
        continue;
      }
      const [low, width] = slotOf(i);
      out.push(low + width - 1);
    }
    return out;
  }

  /** Non-empty slots as [lowest value us, count], ascending (for plots). */
  slots(): [number, number][] {
    const out: [number, number][] = [];
    const c = this.counts;
    for (let i = 0; i < c.length; i++) if (c[i] !== 0) out.push([slotOf(i)[0], c[i]]);
    return out;
  }
}
