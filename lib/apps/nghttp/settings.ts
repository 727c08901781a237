/**
 * The SETTINGS nghttp announces (entries in the reference's order, only those it sends), the
 * connection window it asks for, and the HTTP/1.1 Upgrade request/response of `-u`
 * (RFC 7540 section 3.2, which RFC 9113 section 3.1 deprecates but nghttp still speaks).
 */
import { Setting } from '../../protocol/frame/constants';
import type { SettingEntry } from '../../protocol/frame/types';
import type { NghttpOptions } from './options';
import { userAgent } from './headers';
import { encodeSettingsPayload } from '../../protocol/session/settings';

/**
 * MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, then HEADER_TABLE_SIZE (the smallest -c first
 * when it is below the last one, to make the server see two table-size changes), ENABLE_PUSH=0
 * for --no-push, NO_RFC7540_PRIORITIES=1 for --no-rfc7540-pri.
 */
export function initialSettings(
  o: Pick<NghttpOptions, 'maxConcurrentStreams' | 'windowBits' | 'headerTableSizes' | 'noPush' | 'noRfc7540Pri'>,
): SettingEntry[] {
  const iv: SettingEntry[] = [
    { id: Setting.MAX_CONCURRENT_STREAMS, value: o.maxConcurrentStreams },
    { id: Setting.INITIAL_WINDOW_SIZE, value: 2 ** o.windowBits - 1 },
  ];
  if (o.headerTableSizes.length) {
    const lastSize = o.headerTableSizes[o.headerTableSizes.length - 1];
    const min = Math.min(...o.headerTableSizes);
    if (min < lastSize) iv.push({ id: Setting.HEADER_TABLE_SIZE, value: min });
    iv.push({ id: Setting.HEADER_TABLE_SIZE, value: lastSize });
  }
  if (o.noPush) iv.push({ id: Setting.ENABLE_PUSH, value: 0 });
  if (o.noRfc7540Pri) iv.push({ id: Setting.NO_RFC7540_PRIORITIES, value: 1 });
  return iv;
}

/** The connection-level receive window -W asks for; undefined = keep the default 65535. */
export function connectionWindow(o: Pick<NghttpOptions, 'connectionWindowBits'>): number | undefined {
  return o.connectionWindowBits === undefined ? undefined : 2 ** o.connectionWindowBits - 1;
}

/** RFC 7540 section 3.2.1: HTTP2-Settings is the payload in base64url without padding. */
export function http2SettingsToken(iv: readonly SettingEntry[]): string {
  return encodeSettingsPayload(iv).toString('base64url');
}

/** The HTTP/1.1 request that asks for h2c, and the header list it carries. */
export interface UpgradeRequest {
  text: string;
  method: string;
  headers: [string, string][];
}

/**
 * The Upgrade request as nghttp writes it: `GET <path>` (or the -H :method), `OPTIONS *` when
 * a body is to be sent (-d), then host, connection, upgrade, http2-settings, accept, user-agent;
 * -H fields replace these by name or follow them (pseudo-headers are not HTTP/1.1 fields).
 */
export function buildUpgradeRequest(args: {
  authority: string;
  path: string;
  withBody: boolean;
  settings: readonly SettingEntry[];
  headers: readonly [string, string][];
}): UpgradeRequest {
  const methodOverride = args.headers.find(([n]) => n === ':method');
  const method = args.withBody ? 'OPTIONS' : methodOverride ? methodOverride[1] : 'GET';
  const target = args.withBody ? '*' : args.path;
  const headers: [string, string][] = [
    ['host', args.authority],
    ['connection', 'Upgrade, HTTP2-Settings'],
    ['upgrade', 'h2c'],
    ['http2-settings', http2SettingsToken(args.settings)],
    ['accept', '*/*'],
    ['user-agent', userAgent()],
  ];
  const fixed = headers.length;
  for (const [n, v] of args.headers) {
    if (n.startsWith(':')) continue;
    const i = headers.findIndex(([hn], idx) => idx < fixed && hn === n);
    if (i >= 0) headers[i] = [n, v];
    else headers.push([n, v]);
  }
  const text = `${method} ${target} HTTP/1.1\r\n` + headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') + '\r\n';
  return { text, method, headers };
}

/** The parsed head of the server's answer to the Upgrade request. */
export interface UpgradeResponse {
  statusCode: number;
  /** The head as received, for -v. */
  head: string;
  /** Bytes after the blank line: the first HTTP/2 bytes from the server. */
  rest: Buffer;
}

/** Thrown when the server's answer is not an HTTP/1.1 response head. */
export class UpgradeResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpgradeResponseError';
  }
}

/** Largest response head we buffer before giving up (a server sending endless headers). */
export const MAX_UPGRADE_RESPONSE_HEAD = 64 * 1024;

/**
 * Parse the response head once it is complete. Returns null while more bytes are needed;
 * throws UpgradeResponseError when the bytes cannot be an HTTP/1.1 response.
 */
export function parseUpgradeResponse(buf: Buffer): UpgradeResponse | null {
  const prefix = buf.subarray(0, Math.min(buf.length, 5)).toString('latin1');
  if (!'HTTP/'.startsWith(prefix)) throw new UpgradeResponseError('Expected HTTP/');
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > MAX_UPGRADE_RESPONSE_HEAD) throw new UpgradeResponseError('response header too long');
    return null;
  }
  const head = buf.subarray(0, end + 4).toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?\r\n/.exec(head);
  if (!m) throw new UpgradeResponseError('malformed status line');
  return { statusCode: Number(m[1]), head, rest: buf.subarray(end + 4) };
}

/** Whether a 101 answer agreed to h2c (RFC 7540 section 3.2: `Upgrade: h2c`). */
export function upgradeAccepted(res: UpgradeResponse): boolean {
  if (res.statusCode !== 101) return false;
  return /\r\nupgrade:[ \t]*h2c[ \t]*\r\n/i.test(res.head);
}
