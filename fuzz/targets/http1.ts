/**
 * Target `http1`: the HTTP/1.1 head parsers and the h2c Upgrade path of lib/transport/http1.ts
 * (preface sniffing, request and response heads, Upgrade/HTTP2-Settings checks, the HTTP/2
 * request header list of an upgraded request). Clean outcomes: a result, null (incomplete), a
 * `{ reason }` refusal, or Http1ParseError. The incremental request parser (http1-request.ts)
 * must report the same requests whether the input comes whole or split in two.
 */
import {
  couldBeHttp1Request,
  h2cUpgradeOf,
  Http1ParseError,
  parseRequestHead,
  parseResponseHead,
  requestHeadersFromHttp1,
  sniffPreface,
} from '../../lib/transport/http1';
import { Http1RequestParser } from '../../lib/transport/http1-request';
import { FuzzTarget, InvariantError } from './target';

function parsed<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Http1ParseError) return null;
    throw err;
  }
}

const LIMITS = { maxHeadSize: 2048, maxFields: 20 };

/** The request parser's events for `parts` fed one after another (body pieces joined), and whether it threw. */
function requestEvents(parts: Buffer[]): string {
  const log: string[] = [];
  const p = new Http1RequestParser(
    {
      head: (h, info) => log.push(`head ${h.method} ${h.target} ${h.version} ${JSON.stringify(h.fields)} ${JSON.stringify(info)}`),
      data: (c) => {
        const last = log[log.length - 1];
        if (last?.startsWith('data ')) log[log.length - 1] = last + c.toString('latin1');
        else log.push(`data ${c.toString('latin1')}`);
      },
      end: (t) => log.push(`end ${JSON.stringify(t ?? null)}`),
    },
    LIMITS,
  );
  try {
    for (const b of parts) p.feed(b);
    p.eof();
  } catch (err) {
    if (!(err instanceof Http1ParseError)) throw err;
    log.push('error');
  }
  if (p.inBody && !log.includes('error')) throw new InvariantError('eof inside a body did not throw');
  return log.join('\n');
}

export const target: FuzzTarget = {
  name: 'http1',
  maxLen: 4096,
  dictionary: [
    'GET / HTTP/1.1\r\n',
    'HTTP/1.1 200 OK\r\n',
    'HTTP/1.0',
    '\r\n\r\n',
    '\r\n',
    ': ',
    'Host: ',
    'Upgrade: h2c\r\n',
    'Connection: Upgrade, HTTP2-Settings\r\n',
    'HTTP2-Settings: AAMAAABkAAQAAP__\r\n',
    'Content-Length: ',
    'Transfer-Encoding: chunked\r\n',
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    'OPTIONS * ',
    'CONNECT ',
    'h2c',
    'upgrade',
    'http2-settings',
    '=',
    ',',
    ' ',
    '\t',
  ],
  run(input: Buffer): void {
    const sniffed = sniffPreface(input);
    if (sniffed !== 'h2' && sniffed !== 'http1' && sniffed !== 'undecided')
      throw new InvariantError(`sniffPreface returned ${String(sniffed)}`);
    couldBeHttp1Request(input);
    const req = parsed(() => parseRequestHead(input, LIMITS));
    if (req) {
      if (req.consumed > input.length) throw new InvariantError(`consumed ${req.consumed} of ${input.length} octets`);
      const up = h2cUpgradeOf(req.head, 1024);
      if (!('reason' in up) && up.settingsPayload.length % 6 !== 0) throw new InvariantError('settings payload not a multiple of 6');
      requestHeadersFromHttp1(req.head, 'http');
      requestHeadersFromHttp1(req.head, 'https');
    }
    const whole = requestEvents([input]);
    const half = input.length >> 1;
    const split = requestEvents([input.subarray(0, half), input.subarray(half)]);
    // headBytes differ by nothing; only where the error shows may (a bad line seen early).
    if (whole !== split && !(whole.endsWith('error') && split.endsWith('error')))
      throw new InvariantError(`whole and split input differ:\n${whole}\n---\n${split}`);
    const res = parsed(() => parseResponseHead(input, LIMITS));
    if (res && res.consumed > input.length) throw new InvariantError(`consumed ${res.consumed} of ${input.length} octets`);
  },
};
