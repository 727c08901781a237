/**
 * nghttpx's header-field limits (`--request-header-field-buffer`, `--max-request-header-fields`,
 * `--response-header-field-buffer`, `--max-response-header-fields`), measured as the reference
 * measures them (checked side by side with Debian's nghttpx 1.52):
 * - the size is the sum of the names' and values' lengths; an HTTP/2 head counts its pseudo-headers
 *   too, an HTTP/1.1 request its request-target;
 * - the count is the number of fields (pseudo-headers included over HTTP/2);
 * - a head over either limit is refused: a request with 431, a backend response with 502;
 * - a response's trailers share its head's budget: from an HTTP/2 backend, each trailer field that
 *   does not fit is dropped (later ones that fit still go; nghttpx's own `transfer-encoding:
 *   chunked`, added to a head without content-length, counts too); from an HTTP/1.1 backend, whose
 *   head counts its framing fields, trailers past a limit fail the response (RST_STREAM
 *   INTERNAL_ERROR to an HTTP/2 client).
 */
import type { Field } from './request';

/** How much of a header field limit a head uses. */
export interface HeadLoad {
  /** Fields (pseudo-headers included over HTTP/2). */
  count: number;
  /** Octets of names and values (plus the request-target of an HTTP/1.1 request). */
  bytes: number;
}

/** The load of `fields`, plus `count`/`bytes` of what is not in them (pseudo-headers, request-target). */
export function headLoad(fields: readonly Field[], count = 0, bytes = 0): HeadLoad {
  for (let i = 0; i < fields.length; i++) bytes += fields[i][0].length + fields[i][1].length;
  return { count: count + fields.length, bytes };
}

/** Whether a head is over a buffer of `buffer` octets or `maxFields` fields (the reference refuses only past them). */
export function overLimit(load: HeadLoad, buffer: number, maxFields: number): boolean {
  return load.bytes > buffer || load.count > maxFields;
}

/**
 * Node's HTTP/1.1 parser limits for an HTTP/1.x side whose field limits are `buffer` octets and
 * `maxFields` fields: room for every head our own check must see (names, values, request line,
 * `: ` and CRLFs), so the reference's answer, not Node's, decides; one field more than the limit
 * is kept so that the count can be seen to exceed it.
 */
export function nodeParserLimits(buffer: number, maxFields: number): { maxHeaderSize: number; maxHeadersCount: number } {
  return { maxHeaderSize: 2 * buffer + 4 * (maxFields + 2) + 1024, maxHeadersCount: maxFields + 1 };
}

/** The load of Node's raw header pairs (`rawHeaders`), plus `extraBytes` (an HTTP/1.1 request's target). */
export function rawHeadLoad(raw: readonly string[], extraBytes = 0): HeadLoad {
  let bytes = extraBytes;
  for (let i = 0; i < raw.length; i++) bytes += raw[i].length;
  return { count: raw.length >> 1, bytes };
}

/**
 * The trailer fields of a response from an HTTP/2 backend that nghttpx passes on: each field that
 * would take the head and the trailers kept so far past `buffer` octets, or that arrives when
 * `maxFields` fields are there, is dropped. `head` is the response head's load ({@link headLoad}
 * with its :status) plus what nghttpx adds to it before the trailers ({@link CHUNKED_LOAD}).
 */
export function trailersWithin(trailers: readonly Field[], head: HeadLoad, buffer: number, maxFields: number): Field[] {
  let bytes = head.bytes;
  let count = head.count;
  const out: Field[] = [];
  for (const f of trailers) {
    const n = f[0].length + f[1].length;
    if (bytes + n > buffer || count >= maxFields) continue;
    bytes += n;
    count++;
    out.push(f);
  }
  return out;
}

/**
 * `transfer-encoding: chunked`, which nghttpx records in a response head without content-length
 * (measured: the budget left for an HTTP/2 backend's trailers is 24 octets and one field smaller
 * than the head alone leaves).
 */
export const CHUNKED_LOAD: HeadLoad = { count: 1, bytes: 'transfer-encoding'.length + 'chunked'.length };
