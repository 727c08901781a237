/**
 * What nghttp hands `session.request` for a planned request: its header list (built once per URI
 * and level, since `-m N` sends the same list N times) and its request options (shared objects:
 * the session does not keep them).
 */
import type { PrioritySpec } from '../../protocol/frame/types';
import type { RequestOptions } from '../../protocol/session/types';
import { buildRequestHeaders } from './headers';
import type { BuiltRequest } from './headers';
import type { NghttpOptions } from './options';
import { isDefaultPriority } from './plan';
import type { Planned } from './plan';
import type { TargetUri } from './uri';

/** session.request options of a request at the default priority. */
const WITHOUT_BODY: RequestOptions = Object.freeze({ endStream: true });
const WITH_BODY: RequestOptions = Object.freeze({ endStream: false });

/** Header lists and request options of one connection's requests; see the module comment. */
export class RequestFactory {
  /** Request header lists by URI and level. */
  private readonly built = new Map<TargetUri, BuiltRequest[]>();
  /** The last request options made for a priority (the -m repeats of a URI share one). */
  private lastOptions: RequestOptions | undefined;

  constructor(
    private readonly o: NghttpOptions,
    /** The -d body, sent by level-0 requests. */
    private readonly body: Buffer | undefined,
  ) {}

  /** The header list of a planned request. */
  headers(p: Planned): BuiltRequest {
    let byLevel = this.built.get(p.uri);
    if (!byLevel) this.built.set(p.uri, (byLevel = []));
    let b = byLevel[p.level];
    if (!b) {
      const o = this.o;
      b = byLevel[p.level] = buildRequestHeaders({
        scheme: p.uri.scheme,
        authority: p.uri.authority,
        path: p.uri.path,
        bodyLength: p.level === 0 && this.body !== undefined ? this.body.length : undefined,
        headers: o.headers,
        trailers: o.trailers,
        continuation: o.continuation,
        noContentLength: o.noContentLength,
        expectContinue: o.expectContinue,
      });
    }
    return b;
  }

  /** session.request's options for a request at `priority`. */
  options(priority: PrioritySpec, withBody: boolean): RequestOptions {
    if (isDefaultPriority(priority)) return withBody ? WITH_BODY : WITHOUT_BODY;
    const last = this.lastOptions;
    if (last !== undefined && last.priority === priority && last.endStream === !withBody) return last;
    return (this.lastOptions = { endStream: !withBody, priority });
  }
}
