/**
 * nghttpx's API endpoint (a frontend with the `api` parameter), pure: a request (method, path,
 * body) becomes a JSON answer; `POST|PUT /api/v1beta1/backendconfig` replaces every backend with
 * the `backend=` lines of the body, `GET /api/v1beta1/configrevision` reports the revision of the
 * loaded configuration.
 */

/** What the API answers. */
export interface ApiResponse {
  status: number;
  /** Extra fields (lowercase), before `content-length` and `server`. */
  fields: [string, string][];
  body: string;
  /** The client connection is closed after this answer (HTTP/1.1: `Connection: close`). */
  close: boolean;
}

/** What the API may do to the running proxy. */
export interface ApiHost<B> {
  /** Parse one `backend=` value; throws with a message when it is not valid. */
  parseBackend(value: string): B;
  /** Check the whole new set (a catch-all, groups consistent); throws with a message otherwise. */
  validate(backends: B[]): void;
  /** Swap the backends in; new requests use them, requests in flight finish where they are. */
  replace(backends: B[]): void;
  /** The configuration revision (`configrevision`). */
  configRevision(): number;
  /** `--api-max-request-body` in bytes. */
  maxRequestBody: number;
  /** A line for the error log. */
  log(level: 'NOTICE' | 'ERROR', msg: string): void;
}

const json = (status: number, extra = '') => `{"status":"${status < 400 ? 'Success' : 'Failure'}","code":${status}${extra}}`;

function answer(status: number, extra = '', fields: [string, string][] = [], close = false): ApiResponse {
  return { status, fields, body: json(status, extra), close };
}

/** The answer to one API request; `body` is the whole request body. */
export function handleApiRequest<B>(host: ApiHost<B>, method: string, path: string, body: Buffer): ApiResponse {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  if (p === '/api/v1beta1/backendconfig') {
    if (method !== 'POST' && method !== 'PUT') return answer(405, '', [['allow', 'POST, PUT']], true);
    if (body.length > host.maxRequestBody) return answer(413, '', [], true);
    const backends: B[] = [];
    const lines = body.toString('utf8').split(/\r?\n/);
    try {
      for (const raw of lines) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const eq = line.indexOf('=');
        if (eq <= 0) throw new Error(`bad configuration line: ${line}`);
        // Only backends can be changed: as nghttpx, other names are ignored.
        if (line.slice(0, eq).trim() !== 'backend') continue;
        backends.push(host.parseBackend(line.slice(eq + 1).trim()));
      }
      host.validate(backends);
    } catch (err) {
      host.log('ERROR', `api: backendconfig rejected: ${(err as Error).message}`);
      return answer(400);
    }
    host.replace(backends);
    host.log('NOTICE', 'Replace downstream');
    return answer(200);
  }
  if (p === '/api/v1beta1/configrevision') {
    if (method !== 'GET') return answer(405, '', [['allow', 'GET']], true);
    return answer(200, `,"data":{"configRevision":${host.configRevision()}}`);
  }
  return answer(404);
}
