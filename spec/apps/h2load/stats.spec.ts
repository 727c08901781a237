import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import {
  computeTimeStat,
  dtos,
  formatDuration,
  formatMicros,
  formatSummary,
  newWorkerStats,
  processTimeStats,
  recordRequestTime,
  utosFunit,
  WorkerStats,
} from '../../../lib/apps/h2load/stats';
import { slotOfMicros } from '../../../lib/apps/h2load/histogram';
import { parseSummary, SummaryParseError } from '../../../lib/apps/h2load/parse';
import { SAMPLES } from './helpers';
import { NO_REFERENCE_SAMPLES } from '../../helpers/repo';

/** Specs that replay the C h2load's recorded output; skipped, saying why, where it is absent. */
const ts = (title: string, fn: (t: ExecutionContext) => unknown) =>
  fs.existsSync(SAMPLES) ? test(title, fn) : test.skip(`${title} (skipped: ${NO_REFERENCE_SAMPLES})`, fn);

test('computeTimeStat: population sd, within-sd percentage, empty = zeros with 0%', (t) => {
  const s = computeTimeStat([1, 2, 3, 4]);
  t.is(s.min, 1);
  t.is(s.max, 4);
  t.is(s.mean, 2.5);
  t.true(Math.abs(s.sd - Math.sqrt(1.25)) < 1e-12);
  t.is(s.withinSd, 50); // 2 and 3 lie within 2.5 +/- 1.118
  t.deepEqual(computeTimeStat([]), { min: 0, max: 0, mean: 0, sd: 0, withinSd: 0 });
  t.is(computeTimeStat([7]).withinSd, 100);
});

test('processTimeStats: connect and ttfb from connect start; req/s per client; unrecorded skipped', (t) => {
  const w = newWorkerStats(2);
  recordRequestTime(w, 1000); // microseconds
  recordRequestTime(w, 3000);
  w.clients.push({ clientStart: 0, clientEnd: 1000, connectStart: 0, connectTime: 2, ttfb: 5, reqSuccess: 10 });
  w.clients.push({ clientStart: 0, clientEnd: 500, connectStart: 0, connectTime: -1, ttfb: -1, reqSuccess: 0 });
  const ts = processTimeStats([w]);
  t.is(ts.request.mean, 0.002);
  t.is(ts.connect.max, 0.002);
  t.is(ts.ttfb.max, 0.005);
  t.deepEqual([ts.rps.min, ts.rps.max], [0, 10]);
});

test('number formats as nghttp2 util prints them', (t) => {
  t.is(dtos(81.15), '81.15');
  t.is(dtos(100), '100.00');
  t.is(dtos(0.5), '0.50');
  t.is(formatDuration(0.000032), '32us');
  t.is(formatDuration(0.0000329), '32us'); // microseconds are truncated
  t.is(formatDuration(0.00164), '1.64ms');
  t.is(formatDuration(4), '4.00s');
  t.is(formatMicros(183), '183us');
  t.is(formatMicros(204720), '204.72ms');
  t.is(utosFunit(0), '0');
  t.is(utosFunit(95), '95');
  t.is(utosFunit(2203), '2.15K');
  t.is(utosFunit(105300970), '100.42M');
  t.is(utosFunit(1445980290), '1.35G');
});

ts('formatSummary reproduces the reference connection-refused summary byte for byte', (t) => {
  const sample = fs.readFileSync(path.join(SAMPLES, 'h2load-output-connrefused.txt'), 'latin1');
  const expected = sample.slice(sample.indexOf('\nfinished in') + 1, sample.indexOf('[exit code'));
  const s = newWorkerStats(10);
  s.reqFailed = 10;
  s.reqError = 10;
  const w = newWorkerStats(10);
  w.clients.push({ clientStart: 0, clientEnd: 0.1, connectStart: 0, connectTime: -1, ttfb: -1, reqSuccess: 0 });
  t.is(formatSummary({ stats: s, times: processTimeStats([w]), durationUs: 183 }), '\n' + expected);
});

ts('formatSummary lays out figures like the reference h2c sample', (t) => {
  const s = newWorkerStats(100000);
  Object.assign(s, {
    reqStarted: 100000,
    reqDone: 100000,
    reqSuccess: 100000,
    reqStatusSuccess: 100000,
    bytesTotal: 105300970,
    bytesHead: 1100730,
    bytesBody: 102400000,
  });
  s.status[2] = 100000;
  // Savings 92.94%: decompressed = head / (1 - 0.9294).
  s.bytesHeadDecomp = Math.round(1100730 / (1 - 0.92941));
  const row = (min: number, max: number, mean: number, sd: number, w: number) => ({ min, max, mean, sd, withinSd: w });
  const text = formatSummary({
    stats: s,
    times: {
      request: row(0.000032, 0.00164, 0.000175, 0.000059, 81.15),
      connect: row(0.000097, 0.000536, 0.000276, 0.000125, 70),
      ttfb: row(0.000472, 0.000839, 0.000736, 0.000099, 80),
      rps: row(48931.62, 49262.32, 49062.97, 102.12, 80),
    },
    durationUs: 204720,
  });
  const sample = fs.readFileSync(path.join(SAMPLES, 'h2load-output-h2c.txt'), 'latin1');
  const want = sample.slice(sample.indexOf('\nfinished in'), sample.indexOf('[exit code')).split('\n');
  const got = text.split('\n');
  // Every line but "finished in" (its req/s comes from the exact duration) is identical.
  t.deepEqual(got.slice(2), want.slice(2));
  t.regex(got[1], /^finished in 204\.72ms, 488\d{3}\.\d\d req\/s, 490\.\d\dMB\/s$/);
});

ts('parseSummary reads every reference sample output', (t) => {
  const files = fs.readdirSync(SAMPLES).filter((f) => f.startsWith('h2load-output-'));
  t.true(files.length >= 9);
  for (const f of files) {
    const p = parseSummary(fs.readFileSync(path.join(SAMPLES, f), 'latin1'));
    t.is(p.requests.total, p.requests.succeeded + p.requests.failed, f);
  }
  const multi = parseSummary(fs.readFileSync(path.join(SAMPLES, 'h2load-output-404-and-multi-uri.txt'), 'latin1'));
  t.deepEqual(multi.requests, { total: 1000, started: 1000, done: 1000, succeeded: 666, failed: 334, errored: 0, timeout: 0 });
  t.deepEqual(multi.status, { '2xx': 666, '3xx': 0, '4xx': 334, '5xx': 0 });
  t.deepEqual(multi.traffic, { total: 34435406, headers: 11182, savingsPercent: 92.34, data: 34388248 });
  t.is(multi.request.min, 0.000028);
  t.is(multi.protocol, 'h2c');
  t.deepEqual(multi.progress, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
});

ts('parseSummary refuses a changed layout', (t) => {
  const sample = fs.readFileSync(path.join(SAMPLES, 'h2load-output-h2c.txt'), 'latin1');
  t.throws(() => parseSummary(sample.replace('0 timeout', '0 timeouts')), { instanceOf: SummaryParseError });
  t.throws(() => parseSummary(sample.replace('time for connect:', 'time to connect:')), { instanceOf: SummaryParseError });
  t.throws(() => parseSummary('nothing here'), { instanceOf: SummaryParseError });
});

test('request times: exact running statistics, merged across workers; +/- sd to the histogram slot', (t) => {
  const one = newWorkerStats(0);
  for (const v of [1, 2, 3, 4]) recordRequestTime(one, v * 1e6);
  const r = processTimeStats([one]).request;
  t.deepEqual([r.min, r.max, r.mean], [1, 4, 2.5]);
  t.true(Math.abs(r.sd - Math.sqrt(1.25)) < 1e-12);
  t.is(r.withinSd, 50); // 2 and 3 lie within 2.5 +/- 1.118 (slots 1 s wide here: no boundary slot holds one)
  // Several workers: their statistics combined exactly.
  const other = newWorkerStats(0);
  for (const v of [5, 6]) recordRequestTime(other, v * 1e6);
  const both = processTimeStats([one, other]).request;
  t.is(both.mean, 3.5);
  t.true(Math.abs(both.sd - Math.sqrt(17.5 / 6)) < 1e-12);
  t.deepEqual([both.min, both.max], [1, 6]);
  // One request, or all equal: every one within; none: zeros, as the reference prints them.
  const same = newWorkerStats(0);
  for (let i = 0; i < 3; i++) recordRequestTime(same, 150.25);
  t.is(processTimeStats([same]).request.withinSd, 100);
  t.deepEqual(processTimeStats([newWorkerStats(0)]).request, { min: 0, max: 0, mean: 0, sd: 0, withinSd: 0 });
  // The printed row keeps the reference's layout.
  const row = formatSummary({ stats: newWorkerStats(0), times: processTimeStats([one, other]), durationUs: 1 }).split('\n')[6];
  t.is(row, 'time for request:      1.00s       6.00s       3.50s       1.71s    66.67%');
});

/**
 * The request row against the samples it summarises: min, max, mean and sd as computeTimeStat
 * gives them from every sample; the "+/- sd" share within the stated bound, the share of samples
 * in the (at most two) histogram slots holding mean - sd and mean + sd.
 */
test('fast-check: request-time row from running sums and the histogram matches the samples', (t) => {
  const latency = fc.oneof(
    fc.double({ min: 0, max: 3000, noNaN: true }), // 1 us slots
    fc.double({ min: 0, max: 5e6, noNaN: true }), // up to 4 ms slots
    fc.integer({ min: 0, max: 20000 }), // whole microseconds, many ties
  );
  fc.assert(
    fc.property(fc.array(latency, { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 3 }), (us, threads) => {
      const workers: WorkerStats[] = [];
      for (let i = 0; i < threads; i++) workers.push(newWorkerStats(0));
      us.forEach((v, i) => recordRequestTime(workers[i % threads], v));
      const got = processTimeStats(workers).request;
      const want = computeTimeStat(us.map((v) => v / 1e6));
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1e-6, Math.abs(b));
      if (got.min !== want.min || got.max !== want.max) return false;
      if (!close(got.mean, want.mean) || !close(got.sd, want.sd)) return false;
      // The slots holding mean - sd and mean + sd, taken a rounding either side: the row is in
      // seconds, the histogram in microseconds, and a bound such as 8112 us can come back as
      // 8111.999999999999 (the slot below the one whose lowest value it is).
      const edges = [want.mean - want.sd, want.mean + want.sd].flatMap((s) => [s * 1e6 * (1 - 1e-12), s * 1e6 * (1 + 1e-12)]);
      const slots = new Set(edges.map((us) => slotOfMicros(us)[0]));
      const boundary = us.filter((v) => slots.has(slotOfMicros(v)[0])).length;
      const bound = (boundary / us.length) * 100;
      return Math.abs(got.withinSd - want.withinSd) <= bound + 1e-9;
    }),
    { numRuns: 500, examples: [[[8112, 6913], 1]] }, // mean + sd = 8112 us exactly, 8111.999999999999 from seconds
  );
  t.pass();
});
