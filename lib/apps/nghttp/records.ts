/**
 * What nghttp remembers about each request and the connection, for -s and -r. Times are
 * microseconds on a monotonic clock; `startWallMs` maps them to wall-clock dates.
 */
import type { HeaderField } from '../../protocol/frame/types';

/** Connection-level timestamps (µs, monotonic). */
export interface ConnectionTiming {
  /** Wall-clock time (ms since the epoch) at `start`. */
  startWallMs: number;
  start: number;
  /** Name resolution finished. */
  dnsEnd: number;
  /** TCP (+TLS, +Upgrade) finished: the origin of -s times. */
  connectEnd: number;
}

/** One request (or pushed stream) and what came back. */
export interface RequestRecord {
  streamId: number;
  /** Full URI (HAR `url`). */
  uri: string;
  /** Path and query (the -s `request path` column). */
  path: string;
  method: string;
  pushed: boolean;
  requestHeaders: HeaderField[];
  responseHeaders: HeaderField[];
  /** Final status code; 0 until a final response arrived. */
  status: number;
  /** DATA octets received, without padding and before any decompression. */
  responseLength: number;
  /** Just before the first octet of the request was sent (for pushes: the PUSH_PROMISE). */
  requestStart?: number;
  /** The response's first header block began. */
  responseStart?: number;
  /** The last octet of the response arrived (stream closed). */
  responseEnd?: number;
  /** The response completed (END_STREAM received, stream closed without error). */
  completed: boolean;
}

/** Microseconds now, on the monotonic clock used by every record. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
