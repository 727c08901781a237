/**
 * CONNECT tunnels over HTTP/2: the rules of RFC 9113 section 8.5 (plain CONNECT) and RFC 8441
 * (extended CONNECT with `:protocol`, as WebSockets over HTTP/2 use it) that the session applies
 * to requests it sends, to its own SETTINGS, and to the responses that open a tunnel. Pure: each
 * check returns an error message or null. (Received requests are checked by `validateRequest`.)
 */
import type { HeaderField } from '../frame/types';

/** The pseudo-headers of a request that decide whether it is a tunnel, and which kind. */
export interface ConnectShape {
  /** `:method`, or '' when absent. */
  method: string;
  /** `:protocol`, or null when absent (plain CONNECT, or not CONNECT at all). */
  protocol: string | null;
  /** Whether `:scheme`, `:path` and `:authority` are present (non-empty). */
  scheme: boolean;
  path: boolean;
  authority: boolean;
}

/** Read the pseudo-headers that matter for CONNECT from a request header list. */
export function connectShape(headers: readonly HeaderField[]): ConnectShape {
  const shape: ConnectShape = { method: '', protocol: null, scheme: false, path: false, authority: false };
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    if (name.charCodeAt(0) !== 0x3a) continue;
    const value = headers[i][1];
    if (name === ':method') shape.method = value;
    else if (name === ':protocol') shape.protocol = value;
    else if (name === ':scheme') shape.scheme = value.length > 0;
    else if (name === ':path') shape.path = value.length > 0;
    else if (name === ':authority') shape.authority = value.length > 0;
  }
  return shape;
}

/** Whether a request opens a tunnel: plain CONNECT or extended CONNECT. */
export function isConnectRequest(headers: readonly HeaderField[]): boolean {
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    if (name.charCodeAt(0) !== 0x3a) break;
    if (name === ':method') return headers[i][1] === 'CONNECT';
  }
  return false;
}

/**
 * Check a request we are about to send as a client. `peerAllows` is the server's
 * SETTINGS_ENABLE_CONNECT_PROTOCOL (false until its SETTINGS arrived). Returns an error or null.
 */
export function checkOutgoingConnect(headers: readonly HeaderField[], peerAllows: boolean): string | null {
  const s = connectShape(headers);
  if (s.protocol !== null) {
    // RFC 8441 section 4: "A client MUST NOT send a :protocol pseudo-header field unless the
    // server has sent SETTINGS_ENABLE_CONNECT_PROTOCOL ... with a value of 1" (section 3: "Using
    // [it] ... a client MUST NOT use the extended CONNECT until it has received the setting").
    if (!peerAllows) return ':protocol (extended CONNECT) needs SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 from the server';
    // RFC 8441 section 4: "The :protocol pseudo-header field MUST NOT be included unless the
    // :method is CONNECT" (a new pseudo-header for the CONNECT method only).
    if (s.method !== 'CONNECT') return `:protocol on a ${s.method || 'method-less'} request (only CONNECT may carry it)`;
    if (s.protocol.length === 0) return 'empty :protocol';
    // "On requests that contain the :protocol pseudo-header field, the :scheme and :path
    // pseudo-header fields of the target URI (see Section 5) MUST also be included."
    if (!s.scheme || !s.path) return 'extended CONNECT needs :scheme and :path';
    // ":authority ... is interpreted according to Section 8.1.2.3 of [RFC7540]": the target's authority.
    if (!s.authority) return 'extended CONNECT needs :authority';
    return null;
  }
  if (s.method === 'CONNECT') {
    // RFC 9113 section 8.5: "The ":scheme" and ":path" pseudo-header fields MUST be omitted."
    // "The ":authority" pseudo-header field contains the host and port to connect to".
    if (s.scheme || s.path) return 'plain CONNECT must omit :scheme and :path (add :protocol for extended CONNECT)';
    if (!s.authority) return 'CONNECT needs :authority (the host and port to connect to)';
  }
  return null;
}

/**
 * Check a change of our own SETTINGS_ENABLE_CONNECT_PROTOCOL. RFC 8441 section 3: "A sender
 * MUST NOT send a SETTINGS_ENABLE_CONNECT_PROTOCOL parameter with the value of 0 after
 * previously sending a value of 1."
 */
export function checkConnectSettingChange(sentBefore: boolean, next: boolean | undefined): string | null {
  if (sentBefore && next === false) return 'SETTINGS_ENABLE_CONNECT_PROTOCOL cannot go from 1 back to 0 (RFC 8441 section 3)';
  return null;
}

/**
 * Whether a final response to a request opens a tunnel: any 2xx to CONNECT (plain or extended).
 * RFC 9110 section 9.3.6: "A client MUST ignore any Content-Length or Transfer-Encoding header
 * fields received in a successful response to CONNECT": the tunnel's DATA is not a message body.
 */
export function opensTunnel(requestWasConnect: boolean, status: number): boolean {
  return requestWasConnect && status >= 200 && status < 300;
}

/**
 * Put pseudo-header fields first, keeping the relative order of each group (RFC 9113 section
 * 8.3: "All pseudo-header fields MUST appear in a field block before all regular field lines").
 * For tools that take `-H ':protocol: websocket'` after the default fields.
 */
export function pseudoHeadersFirst<T extends readonly [string, string]>(fields: readonly T[]): T[] {
  const pseudo: T[] = [];
  const regular: T[] = [];
  for (const f of fields) (f[0].charCodeAt(0) === 0x3a ? pseudo : regular).push(f);
  return pseudo.concat(regular);
}
