import test, { type ExecutionContext } from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import {
  computeTimeStat,
  dtos,
  sampleRequestTime,
  formatDuration,
  formatMicros,
  formatSummary,
  newWorkerStats,
  processTimeStats,
  requestTimesOf,
  utosFunit,
} from '../../../lib/apps/h2load/stats';
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
  // The reservoir-sampled variant divides by n - 1.
  t.true(Math.abs(computeTimeStat([1, 2, 3, 4], true).sd - Math.sqrt(5 / 3)) < 1e-12);
});

test('processTimeStats: connect and ttfb from connect start; req/s per client; unrecorded skipped', (t) => {
  const w = newWorkerStats(2);
  sampleRequestTime(w, 1000); // microseconds
  sampleRequestTime(w, 3000);
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

test('request times: kept up to the cap, then a reservoir sample, and the sd switches to n - 1', (t) => {
  const w = newWorkerStats(0);
  for (let i = 0; i < 100; i++) sampleRequestTime(w, i, 10);
  t.is(w.requestTimesCount, 10);
  t.true(w.requestTimes.length >= 10);
  t.is(w.requestTimesSeen, 100);
  for (const v of requestTimesOf(w)) t.true(v >= 0 && v < 100);
  const full = newWorkerStats(0);
  for (const v of [1, 2, 3, 4]) sampleRequestTime(full, v * 1e6, 10);
  t.true(Math.abs(processTimeStats([full]).request.sd - Math.sqrt(1.25)) < 1e-12);
  const sampled = { ...full, requestTimesSeen: 5 };
  t.true(Math.abs(processTimeStats([sampled]).request.sd - Math.sqrt(5 / 3)) < 1e-12);
  // Several workers: their samples together.
  const other = newWorkerStats(0);
  for (const v of [5, 6]) sampleRequestTime(other, v * 1e6, 10);
  t.is(processTimeStats([full, other]).request.mean, 3.5);
  // A planned run takes room for its requests at once; past it the buffer grows.
  const planned = newWorkerStats(3000);
  for (let i = 0; i < 3001; i++) sampleRequestTime(planned, i);
  t.is(planned.requestTimesCount, 3001);
  t.is(requestTimesOf(planned)[3000], 3000);
});
