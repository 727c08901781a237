/**
 * Reading h2load's output back: the summary block (and the lines before it) of nghttp2's h2load
 * or ours, into numbers. Strict: every summary line must match its pattern, so a layout change
 * shows up as a parse error rather than a silent zero.
 */

/** One row of the min/max/mean/sd table; durations in seconds, req/s as printed. */
export interface SummaryRow {
  min: number;
  max: number;
  mean: number;
  sd: number;
  withinSd: number;
}

/** A parsed h2load output. Byte counts are the exact figures in parentheses. */
export interface ParsedSummary {
  /** `Application protocol:` value, if printed. */
  protocol?: string;
  /** The `progress: N% done` / `N% of clients started` percentages, in order. */
  progress: number[];
  finishedInSeconds: number;
  reqPerSec: number;
  requests: { total: number; started: number; done: number; succeeded: number; failed: number; errored: number; timeout: number };
  status: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  traffic: { total: number; headers: number; savingsPercent: number; data: number };
  request: SummaryRow;
  connect: SummaryRow;
  ttfb: SummaryRow;
  rps: SummaryRow;
}

const DUR = String.raw`(\d+(?:\.\d+)?)(us|ms|s)`;
const FUNIT = String.raw`\d+(?:\.\d\d)?[KMG]?B`;
const PATTERNS = {
  finished: new RegExp(String.raw`^finished in ${DUR}, (\d+\.\d\d) req/s, ${FUNIT}/s$`),
  requests: /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout$/,
  status: /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx$/,
  traffic: new RegExp(
    String.raw`^traffic: ${FUNIT} \((\d+)\) total, ${FUNIT} \((\d+)\) headers \(space savings (-?\d+\.\d\d)%\), ${FUNIT} \((\d+)\) data$`,
  ),
  header: /^ {21}min {9}max {9}mean {9}sd {8}\+\/- sd$/,
  timeRow: (label: string) => new RegExp(String.raw`^${label}: +${DUR} +${DUR} +${DUR} +${DUR} +(\d+\.\d\d)%$`),
  rpsRow: /^req\/s {11}: +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d) +(\d+\.\d\d)%$/,
};

const SCALE: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1 };
const secs = (n: string, unit: string) => Number(n) * SCALE[unit];

/** A line that does not match where a summary line is expected. */
export class SummaryParseError extends Error {
  constructor(
    readonly what: string,
    readonly line: string | undefined,
  ) {
    super(`h2load output: expected the ${what} line, got ${JSON.stringify(line)}`);
    this.name = 'SummaryParseError';
  }
}

/** Parse h2load's stdout (either implementation). Throws SummaryParseError on a layout mismatch. */
export function parseSummary(text: string): ParsedSummary {
  const lines = text.split('\n');
  const progress: number[] = [];
  let protocol: string | undefined;
  let i = 0;
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('finished in ')) break;
    const p = /^progress: (\d+)% (?:done|of clients started)$/.exec(l);
    if (p) progress.push(Number(p[1]));
    const a = /^Application protocol: (\S+)$/.exec(l);
    if (a) protocol = a[1];
  }
  if (i === 0 || lines[i - 1] !== '') throw new SummaryParseError('blank line before "finished in"', lines[i - 1]);
  const take = <T>(what: string, re: RegExp, f: (m: RegExpExecArray) => T): T => {
    const line = lines[i++];
    const m = line === undefined ? null : re.exec(line);
    if (!m) throw new SummaryParseError(what, line);
    return f(m);
  };
  const row = (what: string) =>
    take(what, PATTERNS.timeRow(what), (m) => ({
      min: secs(m[1], m[2]),
      max: secs(m[3], m[4]),
      mean: secs(m[5], m[6]),
      sd: secs(m[7], m[8]),
      withinSd: Number(m[9]),
    }));
  const finished = take('finished', PATTERNS.finished, (m) => ({ s: secs(m[1], m[2]), rps: Number(m[3]) }));
  const requests = take('requests', PATTERNS.requests, (m) => ({
    total: +m[1],
    started: +m[2],
    done: +m[3],
    succeeded: +m[4],
    failed: +m[5],
    errored: +m[6],
    timeout: +m[7],
  }));
  const status = take('status codes', PATTERNS.status, (m) => ({ '2xx': +m[1], '3xx': +m[2], '4xx': +m[3], '5xx': +m[4] }));
  const traffic = take('traffic', PATTERNS.traffic, (m) => ({ total: +m[1], headers: +m[2], savingsPercent: +m[3], data: +m[4] }));
  take('table header', PATTERNS.header, () => null);
  const request = row('time for request');
  const connect = row('time for connect');
  const ttfb = row('time to 1st byte');
  const rps = take('req/s', PATTERNS.rpsRow, (m) => ({ min: +m[1], max: +m[2], mean: +m[3], sd: +m[4], withinSd: +m[5] }));
  return {
    protocol,
    progress,
    finishedInSeconds: finished.s,
    reqPerSec: finished.rps,
    requests,
    status,
    traffic,
    request,
    connect,
    ttfb,
    rps,
  };
}
