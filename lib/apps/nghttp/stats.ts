/**
 * -s: the resource-timing table nghttp prints at the end, in the reference's layout (users and
 * scripts read its columns), one row per completed request sorted by completion time.
 */
import type { ConnectionTiming, RequestRecord } from './records';

/** `240us`, `1.39ms`, `2.00s`: the reference's duration format (µs in). */
export function formatDuration(us: number): string {
  const t = Math.max(0, Math.round(us));
  if (t >= 1_000_000) return (t / 1_000_000).toFixed(2) + 's';
  if (t >= 1000) return (t / 1000).toFixed(2) + 'ms';
  return `${t}us`;
}

/** `971`, `1K`, `3M`: octets with a truncating K/M/G unit (powers of 1024). */
export function formatSizeUnit(n: number): string {
  if (n >= 1 << 30) return `${Math.floor(n / (1 << 30))}G`;
  if (n >= 1 << 20) return `${Math.floor(n / (1 << 20))}M`;
  if (n >= 1 << 10) return `${Math.floor(n / (1 << 10))}K`;
  return String(n);
}

const STAT_HEADER = `***** Statistics *****

Request timing:
  responseEnd: the  time  when  last  byte of  response  was  received
               relative to connectEnd
 requestStart: the time  just before  first byte  of request  was sent
               relative  to connectEnd.   If  '*' is  shown, this  was
               pushed by server.
      process: responseEnd - requestStart
         code: HTTP status code
         size: number  of  bytes  received as  response  body  without
               inflation.
          URI: request URI

see http://www.w3.org/TR/resource-timing/#processing-model

sorted by 'complete'

id  responseEnd requestStart  process code size request path`;

/** The whole -s block (ends with a newline). Requests that did not complete are left out. */
export function formatStats(timing: ConnectionTiming, records: readonly RequestRecord[]): string {
  const done = records
    .filter((r) => r.completed && r.responseEnd !== undefined && r.requestStart !== undefined)
    .sort((a, b) => (a.responseEnd as number) - (b.responseEnd as number) || (a.requestStart as number) - (b.requestStart as number));
  const lines = [STAT_HEADER];
  for (const r of done) {
    const end = (r.responseEnd as number) - timing.connectEnd;
    const start = (r.requestStart as number) - timing.connectEnd;
    const total = (r.responseEnd as number) - (r.requestStart as number);
    lines.push(
      String(r.streamId).padStart(3) +
        ' ' +
        ('+' + formatDuration(end)).padStart(11) +
        ' ' +
        (r.pushed ? '*' : ' ') +
        ('+' + formatDuration(start)).padStart(11) +
        ' ' +
        formatDuration(total).padStart(8) +
        ' ' +
        String(r.status).padStart(4) +
        ' ' +
        formatSizeUnit(r.responseLength).padStart(4) +
        ' ' +
        r.path,
    );
  }
  return lines.join('\n') + '\n';
}
