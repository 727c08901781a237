/**
 * nghttp's request header list: the seven default fields, --continuation padding fields,
 * content-length / expect for bodies, -H overrides (pseudo-headers too), and the trailer list.
 * Values are latin1 byte strings (one char per octet) as HeaderField requires.
 */
import type { HeaderField } from '../../protocol/frame/types';
import { packageVersion } from '../common/version';
import { pseudoHeadersFirst } from '../../protocol/http/connect';

/** Command-line text (UTF-16) to the octets sent on the wire, as a latin1 byte string. */
export function toByteString(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** The default user-agent value: ours, shaped like the reference's `nghttp2/1.52.0`. */
export function userAgent(): string {
  return `nghttp2-ts/${packageVersion()}`;
}

/** What shapes one request's header list. */
export interface RequestShape {
  scheme: 'http' | 'https';
  authority: string;
  path: string;
  /** Length of the body when there is one (-d); undefined for none. */
  bodyLength?: number;
  headers: readonly [string, string][];
  trailers: readonly [string, string][];
  continuation?: boolean;
  noContentLength?: boolean;
  expectContinue?: boolean;
}

/** The header list to send, the list as HAR records it, and the method that ended up in it. */
export interface BuiltRequest {
  /** Exactly what goes into the HEADERS frame, in order. */
  fields: HeaderField[];
  /** The same without the `trailer` announcement (as the reference records it for HAR). */
  recorded: HeaderField[];
  method: string;
  /** Whether an `expect: 100-continue` is sent (then the body waits for 100 or a short timer). */
  expectContinue: boolean;
}

/** Six fields of 4 KiB: enough to overflow one 16 KiB HEADERS frame into CONTINUATION frames. */
export const CONTINUATION_FIELDS: readonly [string, string][] = Array.from({ length: 6 }, (_, i) => [
  `continuation-test-${i + 1}`,
  '-'.repeat(4096),
]);

/**
 * Build the request header list the way nghttp does: defaults first; a -H naming one of the
 * defaults (pseudo-headers included) replaces its value in place; other -H fields follow the
 * body fields; `trailer` listing the --trailer names comes last.
 */
export function buildRequestHeaders(shape: RequestShape): BuiltRequest {
  const list: [string, string][] = [
    [':method', shape.bodyLength !== undefined ? 'POST' : 'GET'],
    [':path', shape.path],
    [':scheme', shape.scheme],
    [':authority', shape.authority],
    ['accept', '*/*'],
    ['accept-encoding', 'gzip, deflate'],
    ['user-agent', userAgent()],
  ];
  if (shape.continuation) list.push(...CONTINUATION_FIELDS.map(([n, v]) => [n, v] as [string, string]));
  const initial = list.length;
  let expectContinue = false;
  if (shape.bodyLength !== undefined) {
    if (!shape.noContentLength) list.push(['content-length', String(shape.bodyLength)]);
    if (shape.expectContinue) {
      expectContinue = true;
      list.push(['expect', '100-continue']);
    }
  }
  for (const [name, value] of shape.headers) {
    const i = list.findIndex(([n], idx) => idx < initial && n === name);
    if (i >= 0) list[i] = [name, value];
    else list.push([name, value]);
  }
  // A -H pseudo-header that is not a default one (`:protocol` for an extended CONNECT, RFC 8441)
  // joins the pseudo-headers: RFC 9113 section 8.3 wants them all before the regular fields.
  if (list.some(([n], idx) => idx >= initial && n.charCodeAt(0) === 0x3a)) list.splice(0, list.length, ...pseudoHeadersFirst(list));
  const recorded: HeaderField[] = list.map(([n, v]) => [toByteString(n), toByteString(v)]);
  const fields = recorded.slice();
  if (shape.trailers.length && shape.bodyLength !== undefined) {
    fields.push(['trailer', toByteString(shape.trailers.map(([n]) => n).join(', '))]);
  }
  const method = list.find(([n]) => n === ':method')![1];
  return { fields, recorded, method, expectContinue };
}

/** The trailer fields to send after the body. */
export function buildTrailers(trailers: readonly [string, string][]): HeaderField[] {
  return trailers.map(([n, v]) => [toByteString(n), toByteString(v)]);
}
