/**
 * h2load's numbers: the per-worker counters, the min/max/mean/sd/"+/- sd" statistics computed the
 * way nghttp2's h2load computes them, and the summary printed byte-for-byte in its layout. Pure.
 */
import { countWithin, HISTOGRAM_LENGTH, LatencyHistogram, PERCENTILES, recordMicros } from './histogram';

/** One client's (one connection's) timestamps, in ms from a monotonic clock; -1 = not recorded. */
export interface ClientStat {
  /** When the client started counting requests (connect start, or the main phase of -D). */
  clientStart: number;
  /** When the client disconnected. */
  clientEnd: number;
  /** When the client began to connect. */
  connectStart: number;
  /** When the connection (TCP, and TLS if any) was up. */
  connectTime: number;
  /** When the first response byte (DATA / body) arrived. */
  ttfb: number;
  /** Requests this client completed (any status). */
  reqSuccess: number;
}

/** The counters of one worker (one thread). Plain data so worker_threads can post it. */
export interface WorkerStats {
  reqTodo: number;
  reqStarted: number;
  reqDone: number;
  /** Streams closed normally (any status): what req/s counts. */
  reqSuccess: number;
  /** 2xx and 3xx. */
  reqStatusSuccess: number;
  reqFailed: number;
  reqError: number;
  reqTimedout: number;
  /** status[k] counts kxx responses (k = 1..5). */
  status: number[];
  bytesTotal: number;
  bytesHead: number;
  bytesHeadDecomp: number;
  bytesBody: number;
  /**
   * Every completed request's time, HEADERS sent to stream closed, in microseconds: count, mean,
   * sum of squared deviations, min and max kept as they come (O(1) memory, whatever the run's
   * length). The "+/- sd" share comes from `requestHist`.
   */
  requestTime: RunningStat;
  clients: ClientStat[];
  /** Every counted request's time (HEADERS sent to stream closed), microseconds: an HDR histogram's counts. */
  requestHist: Uint32Array;
  /** Every counted request's time to its first response byte (the response header), microseconds. */
  ttfbHist: Uint32Array;
  /** Requests completed per TIMELINE_BUCKET_MS since `timelineStartMs` (wall clock, ms since the epoch). */
  timeline: number[];
  timelineStartMs: number;
  /** The application protocol of the first connection made (h2, h2c, http/1.1). */
  protocol?: string;
  /**
   * Why the first request that failed failed, in words (a protocol error, a reset, a GOAWAY, a
   * timeout, a refused connection): printed when no request succeeded. Undefined while none failed.
   */
  firstFailure?: string;
}

/** Remember `why` a request failed, if it is the first failure this worker saw. */
export function noteFailure(w: WorkerStats, why: string): void {
  if (w.firstFailure === undefined) w.firstFailure = why;
}

/** Width of one req/s-over-time bucket. */
export const TIMELINE_BUCKET_MS = 100;

/**
 * The two histograms' counts as halves of one zeroed buffer (2 x 88 KiB). An allocation that large
 * is above glibc's mmap threshold (128 KiB; bin/h2load's MALLOC_TRIM_THRESHOLD_ keeps it fixed), so
 * it is mapped fresh and a page of it becomes resident only when a count in it is first written:
 * a run's latencies fill a few of its 44 pages. Two buffers of 88 KiB each came from malloc's heap,
 * zeroed there byte by byte, all resident: ~0.18 MB per worker and as much again for the merged
 * statistics at the end of a run, when h2load's memory is at its highest.
 */
function newHistogramCounts(): [requests: Uint32Array, firstBytes: Uint32Array] {
  const both = new Uint32Array(2 * HISTOGRAM_LENGTH);
  return [both.subarray(0, HISTOGRAM_LENGTH), both.subarray(HISTOGRAM_LENGTH)];
}

/** Fresh zeroed counters. */
export function newWorkerStats(reqTodo: number): WorkerStats {
  const [requestHist, ttfbHist] = newHistogramCounts();
  return {
    reqTodo,
    reqStarted: 0,
    reqDone: 0,
    reqSuccess: 0,
    reqStatusSuccess: 0,
    reqFailed: 0,
    reqError: 0,
    reqTimedout: 0,
    status: [0, 0, 0, 0, 0, 0],
    bytesTotal: 0,
    bytesHead: 0,
    bytesHeadDecomp: 0,
    bytesBody: 0,
    requestTime: newRunningStat(),
    clients: [],
    requestHist,
    ttfbHist,
    timeline: [],
    timelineStartMs: 0,
  };
}

/**
 * Running statistics of a series of values: how many, their mean and the sum of squared
 * deviations from it (Welford's update), the smallest and the largest. Plain data, so a worker
 * thread can post it.
 */
export interface RunningStat {
  n: number;
  mean: number;
  /** Sum of squared deviations from the mean (variance = m2 / n). */
  m2: number;
  min: number;
  max: number;
}

/** No values yet. */
export function newRunningStat(): RunningStat {
  return { n: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity };
}

/** Count one value (Welford: the mean and m2 updated without a sum that could lose precision). */
export function addRunning(s: RunningStat, x: number): void {
  const n = ++s.n;
  const d = x - s.mean;
  const mean = s.mean + d / n;
  s.m2 += d * (x - mean);
  s.mean = mean;
  // Stored every time: a store first reached late in a run (a new maximum) had no type feedback
  // and deoptimised the request-closing path it was inlined into.
  s.min = Math.min(s.min, x);
  s.max = Math.max(s.max, x);
}

/** Add `from`'s values to `into` (Chan, Golub and LeVeque's pairwise combination: exact, order-free). */
export function mergeRunning(into: RunningStat, from: RunningStat): void {
  if (from.n === 0) return;
  const n = into.n + from.n;
  const d = from.mean - into.mean;
  into.m2 += from.m2 + (d * d * into.n * from.n) / n;
  into.mean += (d * from.n) / n;
  into.n = n;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
}

/** Count one completed request's time (microseconds): its running statistics and its histogram slot. */
export function recordRequestTime(w: WorkerStats, us: number): void {
  addRunning(w.requestTime, us);
  recordMicros(w.requestHist, us);
}

/** min, max, mean, standard deviation and the percentage of samples within mean +/- sd. */
export interface SDStat {
  min: number;
  max: number;
  mean: number;
  sd: number;
  withinSd: number;
}

/**
 * h2load's statistic over kept samples (connect times, first bytes, req/s: one per client): one
 * pass with the running ("rapid calculation") variance, population sd, within-sd as a percentage.
 * No samples: all zero, 0% within.
 */
export function computeTimeStat(samples: ArrayLike<number>): SDStat {
  const n = samples.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, sd: 0, withinSd: 0 };
  let a = 0;
  let q = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = samples[i];
    if (t < min) min = t;
    if (t > max) max = t;
    sum += t;
    const na = a + (t - a) / (i + 1);
    q += (t - a) * (t - na);
    a = na;
  }
  const mean = sum / n;
  const sd = Math.sqrt(q / n);
  const lower = mean - sd;
  const upper = mean + sd;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const t = samples[i];
    if (lower <= t && t <= upper) m++;
  }
  return { min, max, mean, sd, withinSd: (m / n) * 100 };
}

/**
 * The request-time row from running statistics in microseconds (`per` = 1e6: seconds out) and
 * the histogram of the same values: min, max, mean and population sd exact; the share within
 * mean +/- sd to the histogram's resolution (3 significant digits: 1 us below 2 ms, 2 us below 4
 * ms, ...; the two slots holding mean - sd and mean + sd counted by the share of their width
 * inside). No values: all zero, 0% within; one value, or all equal: 100%.
 */
export function runningTimeStat(r: RunningStat, counts: Uint32Array, per = 1): SDStat {
  if (r.n === 0) return { min: 0, max: 0, mean: 0, sd: 0, withinSd: 0 };
  const sd = Math.sqrt(r.m2 / r.n);
  const within = sd === 0 ? r.n : countWithin(counts, r.mean - sd, r.mean + sd);
  return { min: r.min / per, max: r.max / per, mean: r.mean / per, sd: sd / per, withinSd: (Math.min(within, r.n) / r.n) * 100 };
}

/** The four rows of the table. */
export interface TimeStats {
  request: SDStat;
  connect: SDStat;
  ttfb: SDStat;
  rps: SDStat;
}

/**
 * Gather every worker's samples into the table's four statistics (as h2load's process_time_stats).
 * The request row comes from `merged`, the workers' {@link mergeStats} (a run has it already).
 */
export function processTimeStats(workers: readonly WorkerStats[], merged: WorkerStats = mergeStats(workers)): TimeStats {
  const connect: number[] = [];
  const ttfb: number[] = [];
  const rps: number[] = [];
  for (const w of workers) {
    for (const c of w.clients) {
      if (c.clientStart >= 0 && c.clientEnd >= 0) {
        const t = (c.clientEnd - c.clientStart) / 1000;
        if (t > 1e-9) rps.push(c.reqSuccess / t);
      }
      // The connect event comes before the first byte.
      if (c.connectStart < 0 || c.connectTime < 0) continue;
      connect.push((c.connectTime - c.connectStart) / 1000);
      if (c.ttfb < 0) continue;
      ttfb.push((c.ttfb - c.connectStart) / 1000);
    }
  }
  return {
    request: runningTimeStat(merged.requestTime, merged.requestHist, 1e6),
    connect: computeTimeStat(connect),
    ttfb: computeTimeStat(ttfb),
    rps: computeTimeStat(rps),
  };
}

/** Sum the workers' counters (running statistics and histograms merged). */
export function mergeStats(workers: readonly WorkerStats[]): WorkerStats {
  const out = newWorkerStats(0);
  for (const w of workers) {
    out.reqTodo += w.reqTodo;
    out.reqStarted += w.reqStarted;
    out.reqDone += w.reqDone;
    out.reqSuccess += w.reqSuccess;
    out.reqStatusSuccess += w.reqStatusSuccess;
    out.reqFailed += w.reqFailed;
    out.reqError += w.reqError;
    out.reqTimedout += w.reqTimedout;
    for (let i = 0; i < out.status.length; i++) out.status[i] += w.status[i] ?? 0;
    out.bytesTotal += w.bytesTotal;
    out.bytesHead += w.bytesHead;
    out.bytesHeadDecomp += w.bytesHeadDecomp;
    out.bytesBody += w.bytesBody;
    mergeRunning(out.requestTime, w.requestTime);
    addCounts(out.requestHist, w.requestHist);
    addCounts(out.ttfbHist, w.ttfbHist);
    if (out.firstFailure === undefined) out.firstFailure = w.firstFailure;
  }
  // The timelines, aligned on the earliest start (threads start within milliseconds of each other).
  const starts = workers.filter((w) => w.timeline.length > 0).map((w) => w.timelineStartMs);
  if (starts.length) {
    out.timelineStartMs = Math.min(...starts);
    for (const w of workers) {
      const shift = Math.round((w.timelineStartMs - out.timelineStartMs) / TIMELINE_BUCKET_MS);
      w.timeline.forEach((n, i) => {
        out.timeline[i + shift] = (out.timeline[i + shift] ?? 0) + (n ?? 0);
      });
    }
    for (let i = 0; i < out.timeline.length; i++) out.timeline[i] ??= 0;
  }
  return out;
}

function addCounts(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < into.length; i++) if (from[i] !== 0) into[i] += from[i];
}

/**
 * The worker's completed request at which the per-request path runs its rare calls once (a new
 * timeline bucket, a client's end check, the progress line's check) where they do nothing: late
 * enough that V8 records what they call (it keeps no feedback for a function's first few runs),
 * early enough to be before it optimises that path. The optimised code then calls them; a call it
 * had never seen run it compiled as a deoptimisation, and the path was compiled again (the first
 * client to end did so at the end of every run, a ~1.5 MB TurboFan zone on top of h2load's highest
 * heap: its peak RSS at -c 100 -m 1). Called that rarely, they are not inlined.
 */
export const REHEARSAL_AT = 32;

/** Count one completed request in the timeline (wall clock `nowMs`). */
export function countInTimeline(w: WorkerStats, nowMs: number): void {
  if (w.timeline.length === 0 && w.timelineStartMs === 0) w.timelineStartMs = nowMs;
  const i = Math.floor((nowMs - w.timelineStartMs) / TIMELINE_BUCKET_MS);
  // A new bucket every 100 ms (see REHEARSAL_AT).
  if (i >= w.timeline.length || w.reqDone === REHEARSAL_AT) extendTimeline(w.timeline, i);
  w.timeline[i]++;
}

/** Zero buckets up to `i`. */
function extendTimeline(timeline: number[], i: number): void {
  while (timeline.length <= i) timeline.push(0);
}

/** p50, p90, p99 and p99.9 of a histogram, seconds. */
export function percentilesOf(counts: Uint32Array): { p50: number; p90: number; p99: number; 'p99.9': number } {
  const h = new LatencyHistogram(counts);
  const [p50, p90, p99, p999] = h.percentiles(PERCENTILES).map((us) => us / 1e6);
  return { p50, p90, p99, 'p99.9': p999 };
}

/**
 * Beyond the reference, after its table (whose lines stay as they are for parsers): the latency
 * percentiles of every counted request, from HDR histograms (3 significant digits).
 */
export function formatPercentiles(s: WorkerStats): string {
  const row = (label: string, counts: Uint32Array) => {
    const p = percentilesOf(counts);
    return `${label}${pad(formatDuration(p.p50), 10)}  ${pad(formatDuration(p.p90), 10)}  ${pad(formatDuration(p.p99), 10)}  ${pad(formatDuration(p['p99.9']), 10)}`;
  };
  return (
    [
      '',
      `latency percentiles:${pad('p50', 8)}  ${pad('p90', 10)}  ${pad('p99', 10)}  ${pad('p99.9', 10)}`,
      row('request         : ', s.requestHist),
      row('1st byte        : ', s.ttfbHist),
    ].join('\n') + '\n'
  );
}

// ------------------------------------------------------------------ number formats

/** Two decimals, rounded half away from zero on 100*n (nghttp2's util::dtos). */
export function dtos(n: number): string {
  const m = Math.round(100 * n);
  const f = String(m % 100);
  return `${Math.floor(m / 100)}.${f.length === 1 ? '0' : ''}${f}`;
}

/** Bytes with a binary K/M/G unit and two decimals, or the plain integer below 1024 (util::utos_funit). */
export function utosFunit(n: number): string {
  const v = Math.floor(n);
  if (v >= 1 << 30) return `${dtos(v / (1 << 30))}G`;
  if (v >= 1 << 20) return `${dtos(v / (1 << 20))}M`;
  if (v >= 1 << 10) return `${dtos(v / 1024)}K`;
  return String(v);
}

/** Seconds as `12us` (truncated), `1.64ms` or `4.00s` (util::format_duration(double)). */
export function formatDuration(t: number): string {
  if (t >= 1) return `${dtos(t)}s`;
  if (t >= 0.001) return `${dtos(t * 1000)}ms`;
  return `${Math.trunc(t * 1000000)}us`;
}

/** Whole microseconds as `578us`, `3.47ms`, `1.00s` (util::format_duration(microseconds)). */
export function formatMicros(us: number): string {
  const t = Math.floor(us);
  if (t >= 1000000) return `${dtos(t / 1000000)}s`;
  if (t >= 1000) return `${dtos(t / 1000)}ms`;
  return `${t}us`;
}

/** C++ iostream `std::fixed << std::setprecision(2)`. */
function fixed2(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : String(n);
}

const pad = (s: string, w: number) => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

function durationRow(label: string, s: SDStat): string {
  return `${label}${pad(formatDuration(s.min), 10)}  ${pad(formatDuration(s.max), 10)}  ${pad(formatDuration(s.mean), 10)}  ${pad(formatDuration(s.sd), 10)}${pad(dtos(s.withinSd), 9)}%`;
}

/** What the summary needs besides the merged counters. */
export interface SummaryInput {
  stats: WorkerStats;
  times: TimeStats;
  /** Wall time of the whole run, microseconds. */
  durationUs: number;
  /** -D: the main duration in seconds (req/s and B/s are over it, as in h2load). */
  timingSeconds?: number;
}

/**
 * The summary from the blank line after the progress lines to the req/s row, each line ending
 * in "\n", exactly as h2load prints it.
 */
export function formatSummary(inp: SummaryInput): string {
  const { stats: s, times: ts } = inp;
  let rps = 0;
  let bps = 0;
  if (inp.durationUs > 0) {
    const secs = inp.timingSeconds !== undefined ? inp.timingSeconds : inp.durationUs / 1e6;
    rps = s.reqSuccess / secs;
    bps = s.bytesTotal / secs;
  }
  const savings = s.bytesHeadDecomp > 0 ? 1 - s.bytesHead / s.bytesHeadDecomp : 0;
  const lines = [
    '',
    `finished in ${formatMicros(inp.durationUs)}, ${fixed2(rps)} req/s, ${utosFunit(bps)}B/s`,
    `requests: ${s.reqTodo} total, ${s.reqStarted} started, ${s.reqDone} done, ${s.reqStatusSuccess} succeeded, ${s.reqFailed} failed, ${s.reqError} errored, ${s.reqTimedout} timeout`,
    `status codes: ${s.status[2]} 2xx, ${s.status[3]} 3xx, ${s.status[4]} 4xx, ${s.status[5]} 5xx`,
    `traffic: ${utosFunit(s.bytesTotal)}B (${s.bytesTotal}) total, ${utosFunit(s.bytesHead)}B (${s.bytesHead}) headers (space savings ${fixed2(savings * 100)}%), ${utosFunit(s.bytesBody)}B (${s.bytesBody}) data`,
    '                     min         max         mean         sd        +/- sd',
    durationRow('time for request: ', ts.request),
    durationRow('time for connect: ', ts.connect),
    durationRow('time to 1st byte: ', ts.ttfb),
    `req/s           : ${pad(fixed2(ts.rps.min), 10)}  ${pad(fixed2(ts.rps.max), 10)}  ${pad(fixed2(ts.rps.mean), 10)}  ${pad(fixed2(ts.rps.sd), 10)}${pad(dtos(ts.rps.withinSd), 9)}%`,
  ];
  return lines.join('\n') + '\n';
}
