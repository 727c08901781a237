/**
 * -r: the transactions as an HTTP Archive (HAR 1.2), laid out as the reference writes it
 * (same keys, same order, two-space indent, timings as doubles in milliseconds).
 */
import type { HeaderField } from '../../protocol/frame/types';
import type { ConnectionTiming, RequestRecord } from './records';

/** HAR 1.2 `page.id` shared by every entry. */
export const PAGE_ID = 'page_0';

const REAL = '\u0000REAL:';

/** A double as C's `%.17g` prints it (always with a fraction or exponent), as jansson does. */
export function formatReal(x: number): string {
  if (!Number.isFinite(x)) return '0.0';
  if (x === 0) return '0.0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  let s: string;
  if (exp < -4 || exp >= 17) {
    s = x.toExponential(16);
    let [mant, e] = s.split('e');
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const en = Number(e);
    s = `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  } else {
    s = x.toPrecision(17);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  if (!/[.e]/.test(s)) s += '.0';
  return s;
}

function real(x: number): string {
  return REAL + formatReal(x);
}

function nameValues(fields: readonly HeaderField[]): { name: string; value: string }[] {
  const text = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
  return fields.map(([n, v]) => ({ name: text(n), value: text(v) }));
}

function header(fields: readonly HeaderField[], name: string): string | undefined {
  const f = fields.find(([n]) => n === name);
  return f ? Buffer.from(f[1], 'latin1').toString('utf8') : undefined;
}

/** The HAR object; numbers meant as doubles are placeholders until `serializeHar`. */
export function buildHar(timing: ConnectionTiming, records: readonly RequestRecord[], creatorVersion: string): object {
  const wall = (us: number) => new Date(timing.startWallMs + (us - timing.start) / 1000).toISOString();
  const ms = (us: number) => Math.round(us) / 1000;
  const dnsDelta = ms(timing.dnsEnd - timing.start);
  const connectDelta = ms(timing.connectEnd - timing.dnsEnd);
  const entries: object[] = [];
  records.forEach((r, i) => {
    if (!r.completed || r.requestStart === undefined || r.responseEnd === undefined) return;
    const first = i === 0;
    const responseStart = r.responseStart ?? r.responseEnd;
    entries.push({
      startedDateTime: wall(first ? timing.start : r.requestStart),
      time: real(ms(first ? r.responseEnd - timing.start : r.responseEnd - r.requestStart)),
      comment: r.pushed ? 'Pushed Object' : '',
      request: {
        headers: nameValues(r.requestHeaders),
        method: r.method,
        url: r.uri,
        httpVersion: 'HTTP/2.0',
        cookies: [],
        queryString: [],
        headersSize: -1,
        bodySize: -1,
      },
      response: {
        headers: nameValues(r.responseHeaders),
        status: r.status,
        statusText: '',
        httpVersion: 'HTTP/2.0',
        cookies: [],
        content: { size: r.responseLength, mimeType: header(r.responseHeaders, 'content-type') ?? '' },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
      },
      cache: {},
      timings: {
        dns: real(first ? dnsDelta : 0),
        connect: real(first ? connectDelta : 0),
        blocked: real(0),
        send: real(0),
        wait: real(ms(responseStart - r.requestStart)),
        receive: real(ms(r.responseEnd - responseStart)),
      },
      pageref: PAGE_ID,
      connection: String(r.streamId),
    });
  });
  return {
    log: {
      version: '1.2',
      creator: { name: 'nghttp', version: creatorVersion },
      pages: [{ startedDateTime: wall(timing.start), id: PAGE_ID, title: '', pageTimings: {} }],
      entries,
    },
  };
}

/** JSON text with two-space indent and doubles printed as doubles; no trailing newline (as the reference). */
export function serializeHar(har: object): string {
  return JSON.stringify(har, null, 2).replace(/"\\u0000REAL:([^"]*)"/g, '$1');
}

/** Build and serialize in one go. */
export function formatHar(timing: ConnectionTiming, records: readonly RequestRecord[], creatorVersion: string): string {
  return serializeHar(buildHar(timing, records, creatorVersion));
}
