/**
 * What the nghttp engine fetches and what it keeps per stream: the planned requests (command
 * line, -m, -a), and the bookkeeping of each live stream beside its record.
 */
import type { HeaderField, PrioritySpec } from '../../protocol/frame/types';
import type { AssetParser } from './assets';
import type { NghttpOptions } from './options';
import { weightFor } from './options';
import { uriPriority } from './priority';
import { nowMicros } from './records';
import type { RequestRecord } from './records';
import type { TargetUri } from './uri';

/** One thing to fetch. */
export interface Planned {
  /** The URI to request. */
  uri: TargetUri;
  /** The priority it is sent with. */
  priority: PrioritySpec;
  /** 0 = given on the command line; 1 = found by -a. */
  level: number;
  /** How many times the server refused it unprocessed (REFUSED_STREAM) so far. */
  refusals?: number;
}

/** What the engine tracks per stream beyond the record. */
export interface Live {
  rec: RequestRecord;
  /** What was asked for (own requests), to retry after REFUSED_STREAM. */
  plan?: Planned;
  /** Refused before any processing: send again on a new stream once this one closes. */
  retry?: boolean;
  own: boolean;
  level: number;
  remoteEnded: boolean;
  closed: boolean;
  resetCode?: number;
  resetRemote?: boolean;
  timedOut?: boolean;
  timer?: NodeJS.Timeout;
  /** Body waiting for 100 Continue. */
  continueTimer?: NodeJS.Timeout;
  waitingContinue?: boolean;
  inflate?: 'gzip' | 'deflate';
  compressed?: Buffer[];
  assets?: AssetParser;
  /**
   * The socket read during which the request was submitted (-1: outside any read): its HEADERS
   * leaves with the flush after that read, so a GOAWAY in the same read finds it unsent.
   */
  submittedInRead: number;
}

/** One planned request sent `count` times in a row (`-m N`): one object, not N. */
export interface PlanRun {
  /** The request (shared by its repeats: a planned request is never changed). */
  planned: Planned;
  /** How many times it is sent. */
  count: number;
  /** `planned.uri` (what groupByOrigin compares). */
  uri: TargetUri;
}

/** The command-line URIs as runs of planned requests: each repeated -m times in a row, repeats dropped without -m. */
export function planRuns(o: Pick<NghttpOptions, 'uris' | 'multiply' | 'weights' | 'noDep'>): PlanRun[] {
  const out: PlanRun[] = [];
  const seen = new Set<string>();
  o.uris.forEach((uri, i) => {
    if (o.multiply === 1) {
      if (seen.has(uri.raw)) return;
      seen.add(uri.raw);
    }
    if (o.multiply <= 0) return;
    out.push({ planned: { uri, priority: uriPriority(weightFor(o, i), o.noDep), level: 0 }, count: o.multiply, uri });
  });
  return out;
}

/** The command-line URIs as planned requests: each repeated -m times in a row, repeats dropped without -m. */
export function planRequests(o: Pick<NghttpOptions, 'uris' | 'multiply' | 'weights' | 'noDep'>): Planned[] {
  const out: Planned[] = [];
  // One priority object for the -m repeats of a URI: planned requests never change it.
  for (const r of planRuns(o)) for (let k = 0; k < r.count; k++) out.push({ ...r.planned });
  return out;
}

/** RFC 9113 section 5.3.5 default (0, 16, not exclusive): sent without the PRIORITY flag. */
export function isDefaultPriority(p: PrioritySpec): boolean {
  return p.dependsOn === 0 && p.weight === 16 && !p.exclusive;
}

/** The value of the first field called `name`, if any. */
export function header(fields: readonly HeaderField[], name: string): string | undefined {
  // A loop, not find(): no closure per call (twice per response under -m).
  for (let i = 0; i < fields.length; i++) if (fields[i][0] === name) return fields[i][1];
  return undefined;
}

/** The record of a stream the server promised (its request "started" now, at the PUSH_PROMISE). */
export function pushedRecord(promisedId: number, headers: HeaderField[]): RequestRecord {
  const path = header(headers, ':path') ?? '';
  const scheme = header(headers, ':scheme') ?? 'http';
  const authority = header(headers, ':authority') ?? '';
  return {
    streamId: promisedId,
    uri: `${scheme}://${authority}${path}`,
    path,
    method: header(headers, ':method') ?? 'GET',
    pushed: true,
    requestHeaders: headers,
    responseHeaders: [],
    status: 0,
    responseLength: 0,
    requestStart: nowMicros(),
    completed: false,
  };
}

/** The bookkeeping of a new stream, every field present from the start (one hidden class). */
export function newLive(rec: RequestRecord, plan: Planned | undefined, own: boolean, level: number): Live {
  return {
    rec,
    plan,
    retry: undefined,
    own,
    level,
    remoteEnded: false,
    closed: false,
    resetCode: undefined,
    resetRemote: undefined,
    timedOut: undefined,
    timer: undefined,
    continueTimer: undefined,
    waitingContinue: undefined,
    inflate: undefined,
    compressed: undefined,
    assets: undefined,
    submittedInRead: -1,
  };
}
