/**
 * nghttpx's two logs: the access log (`--accesslog-format` variables, default combined) and the
 * error log line `<ISO8601> <main-pid> <pid> <thread-id> <LEVEL> (<file>:<line>) <msg>`.
 */
import { LOG_LEVELS, LogLevel } from './options';
import type { TlsLogInfo } from './tls';

/** What one finished request contributes to its access log line. */
export interface AccessRecord {
  remoteAddress: string;
  remotePort: number | undefined;
  serverPort: number | undefined;
  /** When the request started (ms since epoch). */
  start: number;
  /** When the response finished (ms since epoch). */
  end: number;
  method: string;
  path: string;
  /** `HTTP/2` or `HTTP/1.1` (an upgraded request counts as HTTP/1.1, as nghttpx logs it). */
  protocolVersion: string;
  status: number;
  bodyBytesSent: number;
  /** Request header fields (lowercase names). */
  requestFields: [string, string][];
  /** `h2`, `h2c`, `http/1.1`. */
  alpn: string;
  backendHost?: string;
  backendPort?: number;
  pid: number;
  /** The frontend connection's TLS details (undefined in cleartext: `$tls_*` print `-`). */
  tls?: TlsLogInfo;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function tzOffset(d: Date, colon: boolean): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${sign}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

/** `24/Nov/2026:21:52:39 +0000` (local time, as nginx's $time_local). */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${tzOffset(d, false)}`;
}

/**
 * `2026-11-24T21:52:39.123Z` (UTC) or `2026-11-24T22:52:39.123+01:00`: local time with
 * milliseconds, as nghttpx writes `$time_iso8601`.
 */
export function timeIso8601(ms: number): string {
  const d = new Date(ms);
  const zone = d.getTimezoneOffset() === 0 ? 'Z' : tzOffset(d, true);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${zone}`;
}

/** One format piece: literal text or a variable name. */
export type FormatPart = { text: string } | { variable: string };

/** Split an access log format into literals and `$var` / `${var}` references. */
export function compileFormat(format: string): FormatPart[] {
  const parts: FormatPart[] = [];
  const re = /\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    if (m.index > last) parts.push({ text: format.slice(last, m.index) });
    parts.push({ variable: (m[1] ?? m[2]).toLowerCase() });
    last = m.index + m[0].length;
  }
  if (last < format.length) parts.push({ text: format.slice(last) });
  return parts;
}

function variable(name: string, r: AccessRecord): string {
  switch (name) {
    case 'remote_addr':
      return r.remoteAddress;
    case 'remote_port':
      return r.remotePort === undefined ? '-' : String(r.remotePort);
    case 'server_port':
      return r.serverPort === undefined ? '-' : String(r.serverPort);
    case 'time_local':
      return timeLocal(r.start);
    case 'time_iso8601':
      return timeIso8601(r.start);
    case 'request':
      return `${r.method} ${r.path} ${r.protocolVersion}`;
    case 'method':
      return r.method;
    case 'path':
      return r.path;
    case 'path_without_query': {
      const q = r.path.indexOf('?');
      return q < 0 ? r.path : r.path.slice(0, q);
    }
    case 'protocol_version':
      return r.protocolVersion;
    case 'status':
      return String(r.status);
    case 'body_bytes_sent':
      return String(r.bodyBytesSent);
    case 'request_time':
      return ((r.end - r.start) / 1000).toFixed(3);
    case 'pid':
      return String(r.pid);
    case 'alpn':
      return r.alpn || '-';
    case 'backend_host':
      return r.backendHost ?? '-';
    case 'backend_port':
      return r.backendPort === undefined ? '-' : String(r.backendPort);
    case 'tls_protocol':
      return r.tls?.protocol ?? '-';
    case 'tls_cipher':
      return r.tls?.cipher ?? '-';
    case 'tls_session_id':
      return r.tls ? r.tls.sessionId : '-';
    case 'tls_session_reused':
      return r.tls ? (r.tls.sessionReused ? 'r' : '.') : '-';
    case 'tls_sni':
      return r.tls?.sni ?? '-';
    case 'tls_client_fingerprint_sha256':
      return r.tls?.clientFingerprintSha256 ?? '-';
    case 'tls_client_fingerprint_sha1':
      return r.tls?.clientFingerprintSha1 ?? '-';
    case 'tls_client_subject_name':
      return r.tls?.clientSubjectName ?? '-';
    case 'tls_client_issuer_name':
      return r.tls?.clientIssuerName ?? '-';
    case 'tls_client_serial':
      return r.tls?.clientSerial ?? '-';
    default:
      if (name.startsWith('http_')) {
        const h = name.slice(5).replace(/_/g, '-');
        const vs = r.requestFields.filter((f) => f[0] === h).map((f) => f[1]);
        return vs.length ? vs.join(', ') : '-';
      }
      // $tls_* and anything unknown: nothing known, as nghttpx prints for a cleartext connection.
      return '-';
  }
}

/** Render one access log line (without the newline). */
export function formatAccessLine(parts: FormatPart[], r: AccessRecord): string {
  return parts.map((p) => ('text' in p ? p.text : variable(p.variable, r))).join('');
}

/** Whether a message at `level` is printed under `-L threshold`. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/** One error log line (without the newline). `where` stands for nghttpx's (file:line). */
export function formatErrorLine(
  ms: number,
  mainPid: number,
  pid: number,
  threadId: string,
  level: LogLevel,
  where: string,
  msg: string,
): string {
  return `${new Date(ms).toISOString()} ${mainPid} ${pid} ${threadId} ${level} (${where}) ${msg}`;
}
