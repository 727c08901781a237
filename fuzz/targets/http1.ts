/**
 * Target `http1`: the HTTP/1.1 head parsers and the h2c Upgrade path of lib/transport/http1.ts
 * (preface sniffing, request and response heads, Upgrade/HTTP2-Settings checks, the HTTP/2
 * request header list of an upgraded request). Clean outcomes: a result, null (incomplete), a
 * `{ reason }` refusal, or Http1ParseError.
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
    const res = parsed(() => parseResponseHead(input, LIMITS));
    if (res && res.consumed > input.length) throw new InvariantError(`consumed ${res.consumed} of ${input.length} octets`);
  },
};
