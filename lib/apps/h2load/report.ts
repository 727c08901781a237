/**
 * h2load's summary beyond the reference's text: one JSON document (`--json`) and a
 * self-contained HTML report (`--html-report FILE`) with a latency histogram and a
 * req/s-over-time plot drawn as inline SVG (no script, no network: it opens in any browser).
 */
import type { H2loadConfig, Target } from './options';
import { LatencyHistogram } from './histogram';
import { percentilesOf, SDStat, TIMELINE_BUCKET_MS, TimeStats, WorkerStats } from './stats';

const sd = (s: SDStat) => ({ min: s.min, max: s.max, mean: s.mean, sd: s.sd, withinSdPercent: s.withinSd });

/**
 * The whole summary as one JSON-serialisable object: the reference's numbers (times in seconds,
 * bytes as integers), the latency percentiles, and req/s per 100 ms.
 */
export function summaryJson(
  config: H2loadConfig,
  target: Target,
  s: WorkerStats,
  t: TimeStats,
  durationUs: number,
  protocol: string | undefined,
) {
  const secs = config.durationMs !== undefined ? config.durationMs / 1000 : durationUs / 1e6;
  return {
    target: { scheme: target.scheme, authority: target.authority, paths: target.paths },
    applicationProtocol: protocol ?? null,
    options: {
      requests: config.durationMs === undefined ? config.requests : null,
      clients: config.clients,
      threads: config.threads,
      maxConcurrentStreams: config.maxConcurrentStreams,
      durationSeconds: config.durationMs !== undefined ? config.durationMs / 1000 : null,
    },
    finished: {
      seconds: durationUs / 1e6,
      requestsPerSecond: durationUs > 0 ? s.reqSuccess / secs : 0,
      bytesPerSecond: durationUs > 0 ? s.bytesTotal / secs : 0,
    },
    requests: {
      total: s.reqTodo,
      started: s.reqStarted,
      done: s.reqDone,
      succeeded: s.reqStatusSuccess,
      failed: s.reqFailed,
      errored: s.reqError,
      timeout: s.reqTimedout,
    },
    statusCodes: { '2xx': s.status[2], '3xx': s.status[3], '4xx': s.status[4], '5xx': s.status[5] },
    traffic: {
      totalBytes: s.bytesTotal,
      headerBytes: s.bytesHead,
      dataBytes: s.bytesBody,
      headerSpaceSavingsPercent: s.bytesHeadDecomp > 0 ? (1 - s.bytesHead / s.bytesHeadDecomp) * 100 : 0,
    },
    timeForRequest: sd(t.request),
    timeForConnect: sd(t.connect),
    timeToFirstByte: sd(t.ttfb),
    requestsPerSecondPerClient: sd(t.rps),
    latencyPercentiles: { request: percentilesOf(s.requestHist), firstByte: percentilesOf(s.ttfbHist) },
    requestsPerSecondOverTime: { bucketSeconds: TIMELINE_BUCKET_MS / 1000, values: s.timeline.map((n) => (n * 1000) / TIMELINE_BUCKET_MS) },
  };
}

const esc = (x: string) => x.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function fmtUs(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)}s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)}ms`;
  return `${Math.round(us)}us`;
}

/** A bar chart as SVG: bars[i] = [label, value]. */
function barChart(title: string, bars: [string, number][], yLabel: string, color: string): string {
  const W = 900;
  const H = 300;
  const L = 70;
  const B = 40;
  const max = Math.max(1, ...bars.map((b) => b[1]));
  const bw = bars.length ? (W - L - 10) / bars.length : 0;
  const parts: string[] = [];
  bars.forEach(([label, v], i) => {
    const h = ((H - B - 20) * v) / max;
    const x = L + i * bw;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(label)}: ${v.toFixed(0)}</title></rect>`,
    );
  });
  const ticks = Math.min(bars.length, 10);
  for (let k = 0; k < ticks; k++) {
    const i = Math.floor((k * bars.length) / ticks);
    parts.push(`<text x="${(L + i * bw).toFixed(1)}" y="${H - B + 16}" font-size="11">${esc(bars[i][0])}</text>`);
  }
  for (let k = 0; k <= 4; k++) {
    const y = H - B - ((H - B - 20) * k) / 4;
    parts.push(
      `<line x1="${L}" x2="${W - 10}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${L - 6}" y="${y + 4}" font-size="11" text-anchor="end">${((max * k) / 4).toFixed(0)}</text>`,
    );
  }
  return `<h2>${esc(title)}</h2><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><text x="12" y="${H / 2}" font-size="11" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>${parts.join('')}</svg>`;
}

/** Latency buckets for the histogram plot: log-spaced, about 60 bars from the lowest to the highest sample. */
function latencyBars(counts: Uint32Array): [string, number][] {
  const slots = new LatencyHistogram(counts).slots();
  if (slots.length === 0) return [];
  const lo = Math.max(1, slots[0][0]);
  const hi = Math.max(lo * 1.01, slots[slots.length - 1][0]);
  const n = 60;
  const ratio = (hi / lo) ** (1 / n);
  const bars: [string, number][] = Array.from({ length: n + 1 }, (_, i) => [fmtUs(lo * ratio ** i), 0]);
  for (const [v, c] of slots) {
    const i = v <= lo ? 0 : Math.min(n, Math.floor(Math.log(v / lo) / Math.log(ratio)));
    bars[i][1] += c;
  }
  return bars;
}

/** The HTML report: the summary table, the percentiles, a latency histogram and req/s over time. */
export function htmlReport(config: H2loadConfig, target: Target, s: WorkerStats, t: TimeStats, durationUs: number): string {
  const j = summaryJson(config, target, s, t, durationUs, s.protocol);
  const p = j.latencyPercentiles;
  const row = (k: string, v: string | number) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`;
  const pct = (x: { p50: number; p90: number; p99: number; 'p99.9': number }) =>
    `<td>${fmtUs(x.p50 * 1e6)}</td><td>${fmtUs(x.p90 * 1e6)}</td><td>${fmtUs(x.p99 * 1e6)}</td><td>${fmtUs(x['p99.9'] * 1e6)}</td>`;
  const perSecond: [string, number][] = j.requestsPerSecondOverTime.values.map((v, i) => [
    `${((i * TIMELINE_BUCKET_MS) / 1000).toFixed(1)}s`,
    v,
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>h2load report: ${esc(target.authority)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f4f4f4;text-align:left}</style>
</head><body>
<h1>h2load: ${esc(`${target.scheme}://${target.authority}`)}</h1>
<table>
${row('application protocol', j.applicationProtocol ?? '-')}
${row('clients / threads / max streams', `${config.clients} / ${config.threads} / ${config.maxConcurrentStreams}`)}
${row('finished in', fmtUs(durationUs))}
${row('requests/s', j.finished.requestsPerSecond.toFixed(2))}
${row('requests', `${j.requests.total} total, ${j.requests.done} done, ${j.requests.succeeded} succeeded, ${j.requests.failed} failed, ${j.requests.errored} errored, ${j.requests.timeout} timeout`)}
${row('status codes', `${j.statusCodes['2xx']} 2xx, ${j.statusCodes['3xx']} 3xx, ${j.statusCodes['4xx']} 4xx, ${j.statusCodes['5xx']} 5xx`)}
${row('traffic', `${j.traffic.totalBytes} bytes total, ${j.traffic.headerBytes} headers, ${j.traffic.dataBytes} data`)}
</table>
<h2>Latency percentiles</h2>
<table><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th></tr>
<tr><th>request</th>${pct(p.request)}</tr>
<tr><th>time to 1st byte</th>${pct(p.firstByte)}</tr></table>
${barChart('Request latency (HDR histogram, log-spaced buckets)', latencyBars(s.requestHist), 'requests', '#3b7dd8')}
${barChart(`Requests per second over time (${TIMELINE_BUCKET_MS} ms buckets)`, perSecond, 'req/s', '#2e9e5b')}
</body></html>
`;
}
